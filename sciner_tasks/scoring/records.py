"""The scorer's records: spans, counts and scores, and UniNER's string normalisation."""

from __future__ import annotations

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


# The error counts of a tally scored without error classes (counted apart, `count_errors`).
NO_ERRORS = ErrorCounts()


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
