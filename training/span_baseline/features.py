"""Sentence -> subword ids, candidate word spans and their gold labels.

A sentence is tokenised once; every span of at most `max_width` dataset words
(`Sentence.tokens`) whose boundary words kept their subwords becomes a candidate, located by
the first subword of its first word and the last subword of its last word. Gold entities
that can never be a candidate are counted in `Coverage`, by reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from sciner_tasks.data import DataError, Sentence

NO_ENTITY = "O"

WordSpan = tuple[int, int]
"""Inclusive (first word, last word) indices into `Sentence.tokens`."""


def word_offsets(sentence: Sentence) -> list[tuple[int, int]]:
    """Character [start, end) of every word token; tokens are substrings of the text in order."""
    offsets, cursor = [], 0
    for token in sentence.tokens:
        start = sentence.text.find(token, cursor)
        if start < 0:
            raise DataError(f"token {token!r} not found in sentence {sentence.id} after {cursor}")
        offsets.append((start, start + len(token)))
        cursor = start + len(token)
    return offsets


def words_to_subwords(
    words: Sequence[tuple[int, int]], subwords: Sequence[tuple[int, int]]
) -> list[tuple[int, int] | None]:
    """(first, last) index into `subwords` of the subwords overlapping each word, None if none.

    Overlap rather than containment: a subword may straddle two dataset words (e.g. 'cannot'
    tokenised as 'can' 'not' upstream) and then belongs to both."""
    mapping: list[tuple[int, int] | None] = []
    k = 0
    for start, end in words:
        # Both lists are in text order, so each word's search starts where the previous ended.
        while k < len(subwords) and subwords[k][1] <= start:
            k = k + 1
        hits, i = [], k
        while i < len(subwords) and subwords[i][0] < end:
            if start < subwords[i][1] and subwords[i][0] < subwords[i][1]:  # (0, 0): no text
                hits.append(i)
            i += 1
        mapping.append((hits[0], hits[-1]) if hits else None)
    return mapping


def enumerate_spans(n_words: int, max_width: int) -> list[WordSpan]:
    """All (i, j) with i <= j < n_words and j - i + 1 <= max_width, ordered by start, width."""
    return [(i, j) for i in range(n_words) for j in range(i, min(n_words, i + max_width))]


@dataclass(frozen=True)
class Coverage:
    """Gold entities per split and why some of them can never be predicted."""

    sentences: int = 0
    truncated_sentences: int = 0
    spans: int = 0
    gold: int = 0
    beyond_width: int = 0
    truncated: int = 0
    no_subword: int = 0
    unaligned: int = 0
    label_collision: int = 0

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def unreachable(self) -> int:
        return (
            self.beyond_width
            + self.truncated
            + self.no_subword
            + self.unaligned
            + self.label_collision
        )


@dataclass(frozen=True)
class Features:
    """One sentence, tokenised once: subword ids and its candidate spans with gold labels."""

    input_ids: list[int]
    spans: list[WordSpan]
    starts: list[int]  # subword position (in input_ids) of each span's first subword
    ends: list[int]  # subword position of each span's last subword
    labels: list[int]  # 0 = no entity


def gold_word_spans(
    sentence: Sentence, offsets: Sequence[tuple[int, int]]
) -> tuple[dict[WordSpan, str], int, int]:
    """Gold entities as word spans -> type, plus counts of unaligned entities and of entities
    whose span is already labelled with another type (first one in entity order wins)."""
    by_start = {start: i for i, (start, _) in enumerate(offsets)}
    by_end = {end: i for i, (_, end) in enumerate(offsets)}
    gold: dict[WordSpan, str] = {}
    unaligned = collisions = 0
    for entity in sentence.entities:
        i, j = by_start.get(entity.start), by_end.get(entity.end)
        if i is None or j is None or j < i:
            unaligned += 1
        elif (i, j) in gold:
            collisions += gold[(i, j)] != entity.type  # an exact duplicate is not lost
        else:
            gold[(i, j)] = entity.type
    return gold, unaligned, collisions


def featurize(
    sentence: Sentence,
    tokenizer: Any,
    label_ids: dict[str, int],
    max_length: int,
    max_width: int,
) -> tuple[Features, Coverage]:
    """Tokenise a sentence and enumerate its spans; truncation and the width limit are counted."""
    encoding = tokenizer(
        sentence.text, return_offsets_mapping=True, return_special_tokens_mask=True
    )
    ids, special = encoding["input_ids"], encoding["special_tokens_mask"]
    content = [k for k, s in enumerate(special) if not s]
    budget = max_length - (len(ids) - len(content))
    if content and len(content) > budget:
        # Cut content subwords only, keeping the model's special tokens around them.
        keep = set(content[:budget])
        kept = [k for k in range(len(ids)) if special[k] or k in keep]
    else:
        kept = list(range(len(ids)))
    position = {k: p for p, k in enumerate(kept)}
    input_ids = [ids[k] for k in kept]

    words = word_offsets(sentence)
    subword_offsets = [encoding["offset_mapping"][k] for k in content]
    mapping = words_to_subwords(words, subword_offsets)
    # A word is usable if it has subwords and all of them survived truncation.
    usable = [m is not None and content[m[1]] in position for m in mapping]

    gold, unaligned, collisions = gold_word_spans(sentence, words)
    beyond = truncated = no_subword = 0
    for i, j in gold:
        if j - i + 1 > max_width:
            beyond += 1
        elif mapping[i] is None or mapping[j] is None:
            no_subword += 1
        elif not (usable[i] and usable[j]):
            truncated += 1

    spans = [(i, j) for i, j in enumerate_spans(len(words), max_width) if usable[i] and usable[j]]
    features = Features(
        input_ids=input_ids,
        spans=spans,
        starts=[position[content[mapping[i][0]]] for i, _ in spans],
        ends=[position[content[mapping[j][1]]] for _, j in spans],
        labels=[label_ids[gold[s]] if s in gold else 0 for s in spans],
    )
    coverage = Coverage(
        sentences=1,
        truncated_sentences=int(len(kept) < len(ids)),
        spans=len(spans),
        gold=len(sentence.entities),
        beyond_width=beyond,
        truncated=truncated,
        no_subword=no_subword,
        unaligned=unaligned,
        label_collision=collisions,
    )
    return features, coverage


def featurize_all(
    sentences: Sequence[Sentence],
    tokenizer: Any,
    label_ids: dict[str, int],
    max_length: int,
    max_width: int,
) -> tuple[list[Features], Coverage]:
    pairs = [featurize(s, tokenizer, label_ids, max_length, max_width) for s in sentences]
    return [f for f, _ in pairs], sum((c for _, c in pairs), Coverage())
