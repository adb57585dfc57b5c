"""Entity-level scoring of generated NER output: the one scorer of tasks, training and leaderboard.

A prediction is a (type, entity string) pair, which is all an LLM's answer gives us; a gold
entity is a character span (`sciner_tasks.data.schema.Entity`, or a dict with the same keys as a
Hub row has). None of the reference implementations (UniNER, IEPile, EasyInstruct) grounds
generated strings to offsets, so the primary metric compares exact (type, string) pairs:

* gold: a sentence's gold is the set of its (type, string) pairs: an entity mentioned twice
  with the same type counts once (`gold_spans`), as in UniNER's and IEPile's scorers
  (universal-ner src/eval/evaluate.py runs the gold answer through its de-duplicating parser;
  IEPile de-duplicates labels in convert/processer/ner_processer.py `filter_lable`).
* strict: per sentence, the multiset intersection of predicted and gold (type, string) pairs is
  the true positives (a repeated prediction matches one gold pair; the repeats are false
  positives), fp = predictions - tp, fn = gold - tp; counts are summed over the corpus (micro
  average). Predictions are counted as the format's parser returns them: UniNER's parser
  de-duplicates its answers, the others do not (IEPile's scorer counts repeats too).
* normalised: the same after UniNER's answer normalisation of the strings (`normalise`), gold
  de-duplicated after normalising; types are compared as-is.
* per type: the strict counts restricted to each type.
* error classes and hallucinations: diagnostics, see `classify_predictions` and
  `count_hallucinated`.

Everything a corpus score needs is an integer count, so per-document `SentenceScore`s add up
(`+`, `sum`) and `aggregate` turns the sum into exact corpus micro scores: lm-eval's
`process_results` returns one per document and its aggregation calls `aggregate`. (A mean of
per-document F1 would not be micro-F1.)
"""

from __future__ import annotations

import math
import random
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple, Protocol, TypeVar

Pair = tuple[str, str]
"""(entity type, entity string): a prediction, or a gold entity as the metrics compare it."""


class Span(NamedTuple):
    """A gold entity with its character offsets; sorts by (start, end, type, text)."""

    start: int
    end: int
    type: str
    text: str


CORRECT = "correct"
WRONG_TYPE = "wrong_type"
WRONG_BOUNDARY = "wrong_boundary"
SPURIOUS = "spurious"


class EntityLike(Protocol):
    """Anything with the fields of `sciner_tasks.data.schema.Entity` (read-only)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def type(self) -> str: ...

    @property
    def text(self) -> str: ...


GoldEntity = EntityLike | Mapping[str, Any]


def _ratio(numerator: int, denominator: int) -> float:
    """numerator / denominator, 0.0 where undefined (no predictions, no gold, nothing right)."""
    return numerator / denominator if denominator else 0.0


_Summable = TypeVar("_Summable", "Counts", "ErrorCounts")


def _add_fields(a: _Summable, b: _Summable) -> _Summable:
    return type(a)(**{f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(a)})


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives; sums give corpus micro scores."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return _add_fields(self, other)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        # 2tp / (2tp + fp + fn) is the harmonic mean of P and R, and 0 where either is 0.
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def to_dict(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(frozen=True)
class ErrorCounts:
    """How many predictions fall in each error class, and how many gold entities were missed.

    correct + wrong_type + wrong_boundary + spurious = predictions;
    correct + wrong_type + wrong_boundary + missed = gold entities.
    """

    correct: int = 0
    wrong_type: int = 0
    wrong_boundary: int = 0
    spurious: int = 0
    missed: int = 0

    def __add__(self, other: ErrorCounts) -> ErrorCounts:
        return _add_fields(self, other)


def _add_per_type(a: Mapping[str, Counts], b: Mapping[str, Counts]) -> dict[str, Counts]:
    return {t: a.get(t, Counts()) + b.get(t, Counts()) for t in sorted(a.keys() | b.keys())}


@dataclass(frozen=True)
class SentenceScore:
    """The counts of one sentence, or of many once added up: all a corpus score needs."""

    strict: Counts = Counts()
    normalised: Counts = Counts()
    per_type: Mapping[str, Counts] = field(default_factory=dict)
    errors: ErrorCounts = ErrorCounts()
    hallucinated: int = 0
    # Predictions checked for hallucination: those of sentences whose text was given.
    grounding_checked: int = 0

    def __add__(self, other: SentenceScore) -> SentenceScore:
        return SentenceScore(
            strict=self.strict + other.strict,
            normalised=self.normalised + other.normalised,
            per_type=_add_per_type(self.per_type, other.per_type),
            errors=self.errors + other.errors,
            hallucinated=self.hallucinated + other.hallucinated,
            grounding_checked=self.grounding_checked + other.grounding_checked,
        )


@dataclass(frozen=True)
class CorpusScore:
    """Corpus micro scores; `f1` (strict) is the primary metric."""

    precision: float
    recall: float
    f1: float
    normalised_precision: float
    normalised_recall: float
    normalised_f1: float
    per_type: dict[str, Counts]
    errors: ErrorCounts
    hallucination_rate: float
    n_predictions: int
    n_gold: int
    counts: Counts
    normalised_counts: Counts

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, for result files and the leaderboard."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "normalised_precision": self.normalised_precision,
            "normalised_recall": self.normalised_recall,
            "normalised_f1": self.normalised_f1,
            "hallucination_rate": self.hallucination_rate,
            "n_predictions": self.n_predictions,
            "n_gold": self.n_gold,
            "counts": self.counts.to_dict(),
            "normalised_counts": self.normalised_counts.to_dict(),
            "errors": {f.name: getattr(self.errors, f.name) for f in fields(self.errors)},
            "per_type": {t: c.to_dict() for t, c in self.per_type.items()},
        }


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalise(text: str) -> str:
    """UniNER's (SQuAD's) answer normalisation: lowercase, drop ASCII punctuation, drop the
    articles a/an/the, collapse whitespace, in that order."""
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def count_matches(gold: Iterable[Pair], predictions: Iterable[Pair]) -> Counts:
    """Multiset matching of one sentence: each gold pair absorbs at most one equal prediction."""
    gold_bag, pred_bag = Counter(gold), Counter(predictions)
    tp = sum((gold_bag & pred_bag).values())
    return Counts(tp=tp, fp=sum(pred_bag.values()) - tp, fn=sum(gold_bag.values()) - tp)


def count_per_type(gold: Sequence[Pair], predictions: Sequence[Pair]) -> dict[str, Counts]:
    """`count_matches` restricted to each type that occurs in gold or predictions."""
    types = sorted({t for t, _ in gold} | {t for t, _ in predictions})
    return {
        t: count_matches([p for p in gold if p[0] == t], [p for p in predictions if p[0] == t])
        for t in types
    }


def _as_span(entity: GoldEntity) -> Span:
    if isinstance(entity, Mapping):
        return Span(int(entity["start"]), int(entity["end"]), entity["type"], entity["text"])
    return Span(entity.start, entity.end, entity.type, entity.text)


def gold_spans(gold: Iterable[GoldEntity]) -> list[Span]:
    """A sentence's gold entities in text order, each (type, string) pair once: the first
    mention stands for the repeats."""
    seen: set[Pair] = set()
    spans = []
    for span in sorted(map(_as_span, gold)):
        if (span.type, span.text) not in seen:
            seen.add((span.type, span.text))
            spans.append(span)
    return spans


def _occurrences(needle: str, text: str) -> list[tuple[int, int]]:
    """Every [start, end) where `needle` occurs in `text`, overlapping occurrences included."""
    found = []
    start = text.find(needle) if needle else -1
    while start != -1:
        found.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    return found


def _overlaps(prediction: str, span: Span, located: list[tuple[int, int]] | None) -> bool:
    """Whether the predicted string overlaps the gold span.

    `located` holds the prediction's occurrences in the sentence text, or is None when the text
    is unknown; then the strings decide: one must contain the other.
    """
    if located is None:
        return bool(prediction) and (prediction in span.text or span.text in prediction)
    return any(start < span.end and span.start < end for start, end in located)


@dataclass(frozen=True)
class Classification:
    """Error classes of one sentence's predictions."""

    labels: tuple[str, ...]
    """One of correct, wrong_type, wrong_boundary, spurious per prediction, in input order."""
    missed: tuple[Span, ...]
    """Gold entities that no prediction was matched to, in text order."""


def classify_predictions(
    gold: Iterable[GoldEntity], predictions: Iterable[Pair], sentence_text: str | None = None
) -> Classification:
    """Give each prediction one error class by greedy one-to-one matching to gold entities.

    The order is fixed so counts are deterministic and independent of input order. Gold entities
    are sorted by (start, end, type, text), predictions by (type, string). Three passes follow;
    each pass visits the predictions not yet matched, in that order, and matches each to the
    first gold entity, in that order, that no prediction has been matched to yet and that fits:

    1. correct: same type and same string. (This pass is the strict multiset intersection, so
       correct == strict tp.)
    2. wrong_type: same string, another type.
    3. wrong_boundary: same type, another string, and the predicted string overlaps the gold
       span: some occurrence of the string in `sentence_text` (each exact occurrence counts,
       overlapping ones too) shares a character with the span. Without `sentence_text`, one of
       the two strings must contain the other. An empty string overlaps nothing.

    Predictions left over are spurious; gold entities left over are missed. Pass 3 is greedy, not
    a maximum matching: a prediction overlapping two gold entities takes the first free one.
    """
    spans = gold_spans(gold)
    preds = [(t, s) for t, s in predictions]
    taken = [False] * len(spans)
    labels = [SPURIOUS] * len(preds)
    located = {
        s: (None if sentence_text is None else _occurrences(s, sentence_text)) for _, s in preds
    }
    passes = (
        (CORRECT, lambda t, s, span: span.type == t and span.text == s),
        (WRONG_TYPE, lambda t, s, span: span.type != t and span.text == s),
        (
            WRONG_BOUNDARY,
            lambda t, s, span: span.type == t and span.text != s and _overlaps(s, span, located[s]),
        ),
    )
    unmatched = sorted(range(len(preds)), key=preds.__getitem__)
    for label, fits in passes:
        still_unmatched = []
        for i in unmatched:
            t, s = preds[i]
            j = next((j for j, span in enumerate(spans) if not taken[j] and fits(t, s, span)), None)
            if j is None:
                still_unmatched.append(i)
            else:
                taken[j] = True
                labels[i] = label
        unmatched = still_unmatched
    missed = tuple(span for span, used in zip(spans, taken, strict=True) if not used)
    return Classification(labels=tuple(labels), missed=missed)


def count_hallucinated(predictions: Iterable[Pair], sentence_text: str) -> int:
    """Predicted strings that are not an exact substring of the sentence (empty ones included:
    an empty string names nothing in the text)."""
    return sum(1 for _, s in predictions if not s or s not in sentence_text)


def score_sentence(
    gold: Iterable[GoldEntity], predictions: Iterable[Pair], sentence_text: str | None = None
) -> SentenceScore:
    """All counts of one sentence. Without `sentence_text` the sentence's predictions are not
    checked for hallucination and boundary errors are decided on strings alone (see
    `classify_predictions`)."""
    spans = gold_spans(gold)
    preds = [(t, s) for t, s in predictions]
    gold_pairs = [(span.type, span.text) for span in spans]
    classes = classify_predictions(spans, preds, sentence_text)
    labels = Counter(classes.labels)
    return SentenceScore(
        strict=count_matches(gold_pairs, preds),
        normalised=count_matches(
            list(dict.fromkeys((t, normalise(s)) for t, s in gold_pairs)),
            [(t, normalise(s)) for t, s in preds],
        ),
        per_type=count_per_type(gold_pairs, preds),
        errors=ErrorCounts(
            correct=labels[CORRECT],
            wrong_type=labels[WRONG_TYPE],
            wrong_boundary=labels[WRONG_BOUNDARY],
            spurious=labels[SPURIOUS],
            missed=len(classes.missed),
        ),
        hallucinated=0 if sentence_text is None else count_hallucinated(preds, sentence_text),
        grounding_checked=0 if sentence_text is None else len(preds),
    )


def aggregate(scores: Iterable[SentenceScore]) -> CorpusScore:
    """Corpus micro scores from per-sentence scores (an empty corpus scores 0 everywhere)."""
    total = sum(scores, SentenceScore())
    return CorpusScore(
        precision=total.strict.precision,
        recall=total.strict.recall,
        f1=total.strict.f1,
        normalised_precision=total.normalised.precision,
        normalised_recall=total.normalised.recall,
        normalised_f1=total.normalised.f1,
        per_type=dict(total.per_type),
        errors=total.errors,
        hallucination_rate=_ratio(total.hallucinated, total.grounding_checked),
        n_predictions=total.strict.tp + total.strict.fp,
        n_gold=total.strict.tp + total.strict.fn,
        counts=total.strict,
        normalised_counts=total.normalised,
    )


def sentence_scores(items: Iterable[Mapping[str, Any]]) -> list[SentenceScore]:
    """Score logged per-query items once per sentence: items carry `sentence_id`, `text`,
    `entities` (gold) and `predictions`; UniNER and IEPile ask several queries per sentence,
    and a sentence's predictions are scored together, against its gold once."""
    by_sentence: dict[str, dict[str, Any]] = {}
    for item in items:
        merged = by_sentence.setdefault(
            item["sentence_id"],
            {"text": item["text"], "entities": item["entities"], "predictions": []},
        )
        merged["predictions"] += [tuple(p) for p in item["predictions"]]
    return [
        score_sentence(s["entities"], s["predictions"], s["text"]) for s in by_sentence.values()
    ]


BOOTSTRAP_ITERATIONS = 1000
BOOTSTRAP_SEED = 1234


def bootstrap_f1_stderr(
    counts: Sequence[Counts], iterations: int = BOOTSTRAP_ITERATIONS, seed: int = BOOTSTRAP_SEED
) -> float:
    """Bootstrap standard error of corpus micro-F1 over per-sentence strict counts: resample
    sentences with replacement, `iterations` times, with a generator seeded by `seed`."""
    if len(counts) < 2:
        return float("nan")
    rng = random.Random(seed)
    values = []
    for _ in range(iterations):
        tp = fp = fn = 0
        for c in rng.choices(counts, k=len(counts)):
            tp, fp, fn = tp + c.tp, fp + c.fp, fn + c.fn
        values.append(Counts(tp, fp, fn).f1)
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
