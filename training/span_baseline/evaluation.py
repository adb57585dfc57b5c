"""Predicted spans -> the project's scorer: (type, string) pairs scored by
`sciner_tasks.scoring` exactly as the leaderboard re-scores logged samples, plus the
offset-level span F1 for information."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sciner_tasks.data import Sentence
from sciner_tasks.data.stats import text_key
from sciner_tasks.scoring import (
    CorpusScore,
    Counts,
    Pair,
    bootstrap_f1_stderr,
    count_errors,
    group_by_sentence,
    tally,
)

from .features import Features, WordSpan, word_offsets

Chosen = list[tuple[WordSpan, str]]
"""A sentence's predicted entities: word spans with their types."""
CharSpan = tuple[int, int, str, str]
"""(start, end, type, text) of a predicted entity in the sentence text."""


def decode(
    predicted: Sequence[int],
    sentence_index: Sequence[int],
    features: Sequence[Features],
    labels: Sequence[str],
) -> list[Chosen]:
    """Per sentence, every span whose predicted label is not 'no entity' (overlaps kept).

    `predicted` and `sentence_index` have one entry per candidate span of the evaluated
    batches, in batch order: a sentence's spans come together and in order, so they are
    matched to `Features.spans` by counting."""
    chosen: list[Chosen] = [[] for _ in features]
    seen = [0] * len(features)
    for label, i in zip(predicted, sentence_index, strict=True):
        span = features[i].spans[seen[i]]
        seen[i] += 1
        if label:
            chosen[i].append((span, labels[label]))
    return chosen


def spans_to_pairs(sentence: Sentence, chosen: Chosen) -> list[CharSpan]:
    """Predicted word spans with their types -> character spans with their text."""
    offsets = word_offsets(sentence)
    out = []
    for (i, j), label in chosen:
        start, end = offsets[i][0], offsets[j][1]
        out.append((start, end, label, sentence.text[start:end]))
    return out


def as_scorer_pairs(predictions: Sequence[CharSpan]) -> list[Pair]:
    """What the LLM tasks are scored on: (type, entity string) pairs, each once per sentence
    (two predicted mentions of the same string are one pair, as the gold counts them)."""
    return list(dict.fromkeys((label, text) for _, _, label, text in predictions))


def span_counts(sentence: Sentence, predictions: Sequence[CharSpan]) -> Counts:
    """Offset-level matching: exact (start, end, type), multiset per sentence."""
    gold = Counter((e.start, e.end, e.type) for e in sentence.entities)
    pred = Counter((s, e, t) for s, e, t, _ in predictions)
    tp = sum((gold & pred).values())
    return Counts(tp=tp, fp=sum(pred.values()) - tp, fn=sum(gold.values()) - tp)


def sample_item(
    sentence: Sentence, predictions: Sequence[CharSpan], seen_in_train: bool = False
) -> dict[str, Any]:
    """A sentence's predictions as the sciner tasks log them (what the leaderboard reads)."""
    return {
        "sentence_id": sentence.id,
        "text": sentence.text,
        "entities": [asdict(e) for e in sentence.entities],
        "predictions": [list(p) for p in as_scorer_pairs(predictions)],
        "predicted_spans": [
            {"start": s, "end": e, "type": t, "text": x} for s, e, t, x in predictions
        ],
        "failed": False,  # a span classifier's output always parses
        "seen_in_train": seen_in_train,
    }


@dataclass(frozen=True)
class Evaluation:
    score: CorpusScore
    span: Counts
    f1_stderr: float  # NaN when not computed or fewer than 2 sentences
    items: list[dict[str, Any]]


def score_predictions(
    sentences: Sequence[Sentence],
    chosen: Sequence[Chosen],
    with_stderr: bool = True,
    train: Sequence[Sentence] = (),
) -> Evaluation:
    """Score predictions with the project's scorer (strict type+string) and by offsets;
    sentences whose text is in `train` (the sentences trained on) are marked seen."""
    predictions = [spans_to_pairs(s, c) for s, c in zip(sentences, chosen, strict=True)]
    seen = {text_key(s.text) for s in train}
    items = [
        sample_item(s, p, text_key(s.text) in seen)
        for s, p in zip(sentences, predictions, strict=True)
    ]
    scored = group_by_sentence(items)
    counts = tally(scored)
    span = sum((span_counts(s, p) for s, p in zip(sentences, predictions, strict=True)), Counts())
    # The bootstrap of the LLM tasks' f1_stderr (same seed and draws).
    stderr = bootstrap_f1_stderr(counts.strict) if with_stderr else math.nan
    return Evaluation(counts.score(count_errors(scored)), span, stderr, items)
