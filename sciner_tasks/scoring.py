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

Everything a corpus score needs is an integer count per sentence (a mean of per-document F1
would not be micro-F1). `tally` counts a whole corpus in one linear pass: a sentence's gold is a
set of pairs, so its true positives are one set intersection; the error classes, which need
offsets, are counted apart (`count_errors`). `score_corpus` gives every corpus figure;
`score_sentence` and `aggregate` are the same for one sentence and for sums of them, and
`bootstrap_f1_stderr` resamples the per-sentence counts.
"""

from __future__ import annotations

import math
import random
import re
import string
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, field, fields
from functools import cached_property
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple, Protocol, TypeVar

import numpy as np

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


# `normalise_all` takes the same steps over many strings joined by a separator no string holds,
# so each step runs once per batch (in C) instead of once per string. The separator is neither
# a letter, a word character nor whitespace: it ends a word, a run of spaces and a final
# sigma's context exactly where the end of a string does.
_SEPARATOR = "\x00"
_PUNCTUATION_RUN = re.compile(f"[{re.escape(string.punctuation)}]+")
# A run of articles and whitespace, which `normalise` turns into one space.
_ARTICLES_AND_SPACES = re.compile(r"(?:\b(?:a|an|the)\b|\s)+")


def normalise_all(texts: Sequence[str]) -> list[str]:
    """`normalise` of each string, in one pass over the batch."""
    if not texts:
        return []
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != len(texts) - 1:  # some string holds the separator
        return [normalise(text) for text in texts]
    joined = _ARTICLES_AND_SPACES.sub(" ", _PUNCTUATION_RUN.sub("", joined.lower()))
    return [part.strip() for part in joined.split(_SEPARATOR)]


def count_matches(gold: Iterable[Pair], predictions: Iterable[Pair]) -> Counts:
    """Multiset matching of one sentence: each gold pair absorbs at most one equal prediction."""
    gold_bag, pred_bag = Counter(gold), Counter(predictions)
    tp = sum((gold_bag & pred_bag).values())
    return Counts(tp=tp, fp=sum(pred_bag.values()) - tp, fn=sum(gold_bag.values()) - tp)


def _as_span(entity: GoldEntity) -> Span:
    if isinstance(entity, Mapping):
        return Span(int(entity["start"]), int(entity["end"]), entity["type"], entity["text"])
    return Span(entity.start, entity.end, entity.type, entity.text)


def _as_pair(entity: GoldEntity) -> Pair:
    if isinstance(entity, dict):  # the common case, checked first: a Mapping check is slower
        return entity["type"], entity["text"]
    if isinstance(entity, Mapping):
        return entity["type"], entity["text"]
    return entity.type, entity.text


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


class SentencePredictions(NamedTuple):
    """What one sentence is scored on: its gold entities, the predictions for it (all its
    queries' together, as (type, string) tuples) and its text (None where unknown). Both are
    sequences: the counts and the error classes each read them."""

    gold: Sequence[GoldEntity]
    predictions: Sequence[Pair]
    text: str | None = None


def _gold_pairs(gold: Sequence[GoldEntity]) -> set[Pair]:
    try:
        return {(entity["type"], entity["text"]) for entity in gold}
    except TypeError:  # records with attributes (not subscriptable), or a mix
        return {_as_pair(entity) for entity in gold}


def _matches(gold: set[Pair], predictions: Sequence[Pair]) -> tuple[int, int, int]:
    """tp, fp, fn of one sentence. Gold pairs are unique, so the true positives are the
    distinct predicted pairs found in gold (the multiset intersection: a repeat of a matched
    prediction is a false positive)."""
    tp = len(gold.intersection(predictions))
    return tp, len(predictions) - tp, len(gold) - tp


_TYPE = itemgetter(0)


def _rows(counts: Iterable[tuple[int, int, int]], sentences: int) -> np.ndarray:
    flat = np.fromiter(chain.from_iterable(counts), dtype=np.int64, count=3 * sentences)
    return flat.reshape(sentences, 3)


@dataclass(frozen=True, eq=False)
class Tally:
    """The counts of a corpus, sentence by sentence: every metric but the error classes is a
    function of these. Made by `tally`, which counts the strict matches; the other counts are
    made when first asked for, so the primary metric costs one pass over the corpus."""

    gold: list[set[Pair]]
    """Each sentence's gold as a set of (type, string) pairs."""
    predictions: list[Sequence[Pair]]
    texts: list[str | None]
    strict: np.ndarray
    """(sentences, 3) int64: tp, fp, fn of each sentence, strict matching."""

    @cached_property
    def normalised(self) -> np.ndarray:
        """(sentences, 3) int64: tp, fp, fn after `normalise` (gold de-duplicated after)."""
        strings = list({s for pairs in (*self.gold, *self.predictions) for _, s in pairs})
        normal = dict(zip(strings, normalise_all(strings), strict=True))
        return _rows(
            (
                _matches({(t, normal[s]) for t, s in gold}, [(t, normal[s]) for t, s in predicted])
                for gold, predicted in zip(self.gold, self.predictions, strict=True)
            ),
            len(self.gold),
        )

    @cached_property
    def per_type(self) -> dict[str, Counts]:
        """Corpus strict counts per type, for the types in gold or predictions, sorted."""
        gold, predicted, matched = Counter(), Counter(), Counter()
        for pairs, predictions in zip(self.gold, self.predictions, strict=True):
            gold.update(map(_TYPE, pairs))
            predicted.update(map(_TYPE, predictions))
            matched.update(map(_TYPE, pairs.intersection(predictions)))
        return {
            t: Counts(matched[t], predicted[t] - matched[t], gold[t] - matched[t])
            for t in sorted(gold.keys() | predicted.keys())
        }

    @cached_property
    def grounding(self) -> tuple[int, int]:
        """(hallucinated, checked): predicted strings not found in their sentence's text
        (empty ones included: an empty string names nothing), among the predictions of
        sentences whose text is known."""
        hallucinated = checked = 0
        for predictions, text in zip(self.predictions, self.texts, strict=True):
            if text is not None:
                hallucinated += count_hallucinated(predictions, text)
                checked += len(predictions)
        return hallucinated, checked

    @property
    def strict_counts(self) -> Counts:
        return Counts(*map(int, self.strict.sum(axis=0)))

    @property
    def normalised_counts(self) -> Counts:
        return Counts(*map(int, self.normalised.sum(axis=0)))

    @property
    def hallucination_rate(self) -> float:
        return _ratio(*self.grounding)

    def total(self, errors: ErrorCounts = ErrorCounts()) -> SentenceScore:
        """The corpus's counts added up, with its error classes (counted apart)."""
        hallucinated, checked = self.grounding
        return SentenceScore(
            strict=self.strict_counts,
            normalised=self.normalised_counts,
            per_type=self.per_type,
            errors=errors,
            hallucinated=hallucinated,
            grounding_checked=checked,
        )

    def score(self, errors: ErrorCounts = ErrorCounts()) -> CorpusScore:
        """Corpus micro scores, with the error classes counted apart (`count_errors`)."""
        return _corpus_score(self.total(errors))


def tally(sentences: Iterable[SentencePredictions]) -> Tally:
    """Count every sentence's strict matches, in one pass over the corpus (linear time).

    The semantics are the module docstring's: a sentence's gold is a set of (type, string)
    pairs, its predictions a multiset."""
    gold, predictions, texts = [], [], []
    for sentence in sentences:
        gold.append(_gold_pairs(sentence.gold))
        predictions.append(sentence.predictions)
        texts.append(sentence.text)
    strict = _rows(map(_matches, gold, predictions), len(gold))
    return Tally(gold=gold, predictions=predictions, texts=texts, strict=strict)


def _occurrences(needle: str, text: str) -> list[tuple[int, int]]:
    """Every [start, end) where `needle` occurs in `text`, overlapping occurrences included."""
    found = []
    start = text.find(needle) if needle else -1
    while start != -1:
        found.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    return found


class _FreeSpans:
    """One type's gold spans in gold order, answering "the first free span overlapping
    [start, end)" in O(log n): a segment tree of the largest `end` among free spans."""

    def __init__(self, indices: list[int], spans: Sequence[Span]):
        self.indices = indices  # positions in the sentence's gold order
        self.starts = [spans[j].start for j in indices]  # sorted: gold order sorts by start
        self.size = 1 << max(len(indices) - 1, 0).bit_length()
        self.ends = [-1] * (2 * self.size)
        for leaf, j in enumerate(indices):
            self.ends[self.size + leaf] = spans[j].end
        for node in range(self.size - 1, 0, -1):
            self.ends[node] = max(self.ends[2 * node], self.ends[2 * node + 1])

    def take(self, leaf: int) -> None:
        node = self.size + leaf
        self.ends[node] = -1
        while node > 1:
            node //= 2
            self.ends[node] = max(self.ends[2 * node], self.ends[2 * node + 1])

    def first_overlapping(self, start: int, end: int) -> int | None:
        """The first free leaf whose span starts before `end` and ends after `start`."""
        before = bisect_left(self.starts, end)  # leaves [0, before) start before `end`

        def first(node: int, low: int, high: int) -> int | None:
            if low >= before or self.ends[node] <= start:
                return None
            if high - low == 1:
                return low
            middle = (low + high) // 2
            left = first(2 * node, low, middle)
            return left if left is not None else first(2 * node + 1, middle, high)

        return first(1, 0, self.size)


def _match_boundaries(
    spans: list[Span],
    preds: list[Pair],
    unmatched: list[int],
    free: list[bool],
    labels: list[str],
    matched: list[int | None],
    sentence_text: str | None,
) -> None:
    """Pass 3 of `classify_predictions`, per type (in place): a free gold entity of the
    prediction's type has another string, as pass 1 took the one with the same string."""
    by_type: dict[str, list[int]] = {}
    for j, span in enumerate(spans):
        if free[j]:
            by_type.setdefault(span.type, []).append(j)
    trees = {t: _FreeSpans(indices, spans) for t, indices in by_type.items()}
    located: dict[str, list[tuple[int, int]]] = {}
    for i in unmatched:
        t, s = preds[i]
        if t not in trees or not s:
            continue
        tree = trees[t]
        if sentence_text is None:
            leaf = next(
                (
                    leaf
                    for leaf, j in enumerate(tree.indices)
                    if free[j] and (s in spans[j].text or spans[j].text in s)
                ),
                None,
            )
        else:
            if s not in located:
                located[s] = _occurrences(s, sentence_text)
            hits = (tree.first_overlapping(start, end) for start, end in located[s])
            leaf = min((hit for hit in hits if hit is not None), default=None)
        if leaf is not None:
            free[tree.indices[leaf]] = False
            tree.take(leaf)
            labels[i] = WRONG_BOUNDARY
            matched[i] = tree.indices[leaf]


@dataclass(frozen=True)
class Classification:
    """Error classes of one sentence's predictions."""

    labels: tuple[str, ...]
    """One of correct, wrong_type, wrong_boundary, spurious per prediction, in input order."""
    missed: tuple[Span, ...]
    """Gold entities that no prediction was matched to, in text order."""
    gold: tuple[Span, ...] = ()
    """The gold entities matched against (`gold_spans`: text order, each pair once)."""
    matched: tuple[int | None, ...] = ()
    """Per prediction, the index in `gold` of the entity it was matched to (None: spurious)."""


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

    Time: linear in gold and predictions for passes 1 and 2 (a string has at most one gold
    entity per type), O(log n) per occurrence of a predicted string in pass 3. Without a text,
    pass 3 compares strings pairwise within a type: there are no offsets to index.
    """
    spans = gold_spans(gold)
    preds = [(t, s) for t, s in predictions]
    labels = [SPURIOUS] * len(preds)
    matched: list[int | None] = [None] * len(preds)
    free = [True] * len(spans)
    unmatched = sorted(range(len(preds)), key=preds.__getitem__)

    # Passes 1 and 2. Gold pairs are unique, so a prediction left over by pass 1 finds its own
    # pair taken, and every free gold entity with its string has another type.
    by_pair = {(span.type, span.text): [j] for j, span in enumerate(spans)}
    by_string: dict[str, list[int]] = {}
    for j, span in enumerate(spans):
        by_string.setdefault(span.text, []).append(j)
    for label, candidates in ((CORRECT, by_pair), (WRONG_TYPE, by_string)):
        still_unmatched = []
        for i in unmatched:
            key = preds[i] if label == CORRECT else preds[i][1]
            j = next((j for j in candidates.get(key, ()) if free[j]), None)
            if j is None:
                still_unmatched.append(i)
            else:
                free[j] = False
                labels[i] = label
                matched[i] = j
        unmatched = still_unmatched
    if unmatched and any(free):
        _match_boundaries(spans, preds, unmatched, free, labels, matched, sentence_text)
    missed = tuple(span for span, left in zip(spans, free, strict=True) if left)
    return Classification(tuple(labels), missed, tuple(spans), tuple(matched))


def count_errors(sentences: Iterable[SentencePredictions]) -> ErrorCounts:
    """Error classes summed over sentences (`classify_predictions`)."""
    return sum_errors(classify_predictions(*sentence) for sentence in sentences)


def sum_errors(classifications: Iterable[Classification]) -> ErrorCounts:
    """Error classes summed over sentences already classified (`classify_predictions`)."""
    labels: Counter[str] = Counter()
    missed = 0
    for classes in classifications:
        labels.update(classes.labels)
        missed += len(classes.missed)
    return ErrorCounts(
        correct=labels[CORRECT],
        wrong_type=labels[WRONG_TYPE],
        wrong_boundary=labels[WRONG_BOUNDARY],
        spurious=labels[SPURIOUS],
        missed=missed,
    )


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
    sentence = SentencePredictions(list(gold), [tuple(p) for p in predictions], sentence_text)
    return tally([sentence]).total(count_errors([sentence]))


def _corpus_score(total: SentenceScore) -> CorpusScore:
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


def aggregate(scores: Iterable[SentenceScore]) -> CorpusScore:
    """Corpus micro scores from per-sentence scores (an empty corpus scores 0 everywhere)."""
    return _corpus_score(sum(scores, SentenceScore()))


def score_corpus(sentences: Sequence[SentencePredictions]) -> CorpusScore:
    """Corpus micro scores of many sentences, error classes included."""
    return tally(sentences).score(count_errors(sentences))


def group_by_sentence(items: Iterable[Mapping[str, Any]]) -> list[SentencePredictions]:
    """Logged per-query items as sentences: items carry `sentence_id`, `text`, `entities`
    (gold) and `predictions`; UniNER and IEPile ask several queries per sentence, and a
    sentence's predictions are scored together, against its gold once. Sentences keep the
    order in which they first occur.

    Items that say which types their query asked (`query_types`) are scored against the gold
    of the types their sentence was asked about: when --limit or --samples keeps only some of
    a sentence's queries, the types never asked are not counted as missed (a perfect answer
    scores 1 whatever the limit). With all of a sentence's queries, that is all of its gold."""
    by_sentence: dict[str, SentencePredictions] = {}
    asked: dict[str, set[str] | None] = {}
    for item in items:
        predictions = [(t, s) for t, s in item["predictions"]]
        key = item["sentence_id"]
        sentence = by_sentence.get(key)
        if sentence is None:
            by_sentence[key] = SentencePredictions(item["entities"], predictions, item["text"])
            asked[key] = None if "query_types" not in item else set()
        else:
            sentence.predictions.extend(predictions)
        if asked[key] is not None:
            asked[key].update(item.get("query_types", ()))
    return [
        sentence
        if asked[key] is None
        else sentence._replace(gold=[e for e in sentence.gold if _as_pair(e)[0] in asked[key]])
        for key, sentence in by_sentence.items()
    ]


BOOTSTRAP_ITERATIONS = 1000
BOOTSTRAP_SEED = 1234
# Values drawn per chunk of bootstrap iterations: bounds the memory of long corpora.
_BOOTSTRAP_CHUNK = 1 << 20


def micro_f1(tp: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """`Counts.f1` elementwise, from true positives and false positives + false negatives:
    2tp / (2tp + fp + fn), 0 where nothing was predicted nor to be found."""
    denominator = 2 * tp + wrong
    zeros = np.zeros(np.shape(denominator))
    return np.divide(2 * tp, denominator, out=zeros, where=denominator > 0)


def _python_random_state(seed: int) -> np.random.RandomState:
    """A NumPy generator in the state of `random.Random(seed)`: both are the Mersenne Twister
    and both make a float from two 32-bit draws the same way, so they draw the same floats."""
    _, (*key, position), _ = random.Random(seed).getstate()
    generator = np.random.RandomState()
    generator.set_state(("MT19937", np.array(key, dtype=np.uint32), position))
    return generator


def bootstrap_f1_stderr(
    counts: Sequence[Counts] | np.ndarray,
    iterations: int = BOOTSTRAP_ITERATIONS,
    seed: int = BOOTSTRAP_SEED,
) -> float:
    """Bootstrap standard error of corpus micro-F1 over per-sentence strict counts (`Counts`,
    or rows of tp, fp, fn): resample sentences with replacement, `iterations` times.

    The draws are those of `random.Random(seed).choices(sentences, k=len(sentences))` called
    once per iteration (an index is floor(random() * n)), made in bulk with NumPy."""
    rows = np.array([astuple(c) if isinstance(c, Counts) else c for c in counts], dtype=np.int64)
    n = len(rows)
    if n < 2:
        return float("nan")
    tp, wrong = rows[:, 0], rows[:, 1] + rows[:, 2]
    # One gather instead of two where the sums fit: tp in the high 32 bits, fp + fn below.
    packed = (tp << 32) | wrong if n * max(tp.max(), wrong.max()) < 1 << 31 else None
    generator = _python_random_state(seed)
    values: list[float] = []
    per_chunk = max(1, _BOOTSTRAP_CHUNK // n)
    for done in range(0, iterations, per_chunk):
        draws = generator.random_sample((min(per_chunk, iterations - done), n))
        draws *= n
        sample = draws.astype(np.intp)  # floor: the draws are not negative
        if packed is None:
            sample_tp, sample_wrong = tp[sample].sum(axis=1), wrong[sample].sum(axis=1)
        else:
            sums = packed[sample].sum(axis=1)
            sample_tp, sample_wrong = sums >> 32, sums & 0xFFFFFFFF
        values += micro_f1(sample_tp, sample_wrong).tolist()
    # Python sums, in order, as the scalar version did: the result is the same to the bit.
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
