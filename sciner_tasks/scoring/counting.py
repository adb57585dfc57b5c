"""Strict and normalised counts of a corpus in one linear pass (`tally`), and logged items
regrouped by sentence (`group_by_sentence`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np

from .records import (
    NO_ERRORS,
    CorpusScore,
    Counts,
    ErrorCounts,
    GoldEntity,
    Pair,
    SentenceScore,
    Span,
    _corpus_score,
    _ratio,
    normalise_all,
)


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

    def total(self, errors: ErrorCounts = NO_ERRORS) -> SentenceScore:
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

    def score(self, errors: ErrorCounts = NO_ERRORS) -> CorpusScore:
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


def count_hallucinated(predictions: Iterable[Pair], sentence_text: str) -> int:
    """Predicted strings that are not an exact substring of the sentence (empty ones included:
    an empty string names nothing in the text)."""
    return sum(1 for _, s in predictions if not s or s not in sentence_text)
