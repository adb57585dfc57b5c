"""Error classes (correct, wrong type, wrong boundary, spurious) and hallucinations, which
need offsets, and the scores built from them (`score_sentence`, `aggregate`, `score_corpus`)."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .counting import SentencePredictions, gold_spans, tally
from .records import (
    CORRECT,
    SPURIOUS,
    WRONG_BOUNDARY,
    WRONG_TYPE,
    CorpusScore,
    ErrorCounts,
    GoldEntity,
    Pair,
    SentenceScore,
    Span,
    _corpus_score,
)


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


def score_sentence(
    gold: Iterable[GoldEntity], predictions: Iterable[Pair], sentence_text: str | None = None
) -> SentenceScore:
    """All counts of one sentence. Without `sentence_text` the sentence's predictions are not
    checked for hallucination and boundary errors are decided on strings alone (see
    `classify_predictions`)."""
    sentence = SentencePredictions(list(gold), [tuple(p) for p in predictions], sentence_text)
    return tally([sentence]).total(count_errors([sentence]))


def aggregate(scores: Iterable[SentenceScore]) -> CorpusScore:
    """Corpus micro scores from per-sentence scores (an empty corpus scores 0 everywhere)."""
    return _corpus_score(sum(scores, SentenceScore()))


def score_corpus(sentences: Sequence[SentencePredictions]) -> CorpusScore:
    """Corpus micro scores of many sentences, error classes included."""
    return tally(sentences).score(count_errors(sentences))
