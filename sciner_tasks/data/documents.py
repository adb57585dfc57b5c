"""From a document with character-offset annotations to sentence records.

brat corpora (WLPC, STEM-ECR, user data) and MeasEval annotate whole documents; sciner
evaluates sentences. This module holds the policies that turn one into the other, each one
counted in a `Counter` so that `stats` can say what happened to the raw annotations:

- fragments of a brat span separated only by whitespace are one contiguous span
  (`fragments_joined`); truly discontinuous spans keep their covering extent
  (`discontinuous_covered`), since a gold entity must be one substring of the sentence;
- leading/trailing whitespace inside a span is trimmed (`whitespace_trimmed`);
- the same (start, end, type) annotated twice is kept once (`duplicates_removed`);
- a sentence boundary that an entity crosses is a splitter error: the two sentences are
  merged (`sentences_merged`), never is the entity cut or dropped;
- sentences with no entity are kept or excluded per dataset (`sentences_without_entities`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from .schema import DataError, Entity, Sentence, validate

TOKEN_RE = re.compile(r"\w+|[^\w\s]")
LINE_BREAKS_TO_SPACES = str.maketrans("\r\n", "  ")


@dataclass(frozen=True)
class Draft:
    """A sentence before it is numbered: `tokens` None means tokenize `text`."""

    doc_id: str
    text: str
    entities: list[Entity]
    where: str
    tokens: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DocumentSpan:
    """An annotation on a document: `where` names its file and line for error messages."""

    start: int
    end: int
    type: str
    where: str


def span_from_fragments(
    fragments: Sequence[tuple[int, int]], type_: str, text: str, where: str, log: Counter
) -> DocumentSpan:
    """One contiguous span from brat fragments (see the module docstring for the policy)."""
    ordered = sorted(fragments)
    for (_, end), (start, _) in pairwise(ordered):
        if start < end:
            raise DataError(f"{where}: fragments of one annotation overlap: {fragments}")
    if len(ordered) > 1:
        gaps = [text[a_end:b_start] for (_, a_end), (b_start, _) in pairwise(ordered)]
        log["fragments_joined" if all(g.isspace() for g in gaps) else "discontinuous_covered"] += 1
    return DocumentSpan(ordered[0][0], ordered[-1][1], type_, where)


def trim(span: DocumentSpan, text: str, log: Counter) -> DocumentSpan:
    """Drop whitespace at the edges of a span; an all-whitespace span is an error."""
    if not 0 <= span.start < span.end <= len(text):
        raise DataError(
            f"{span.where}: offsets [{span.start}, {span.end}) are outside the text "
            f"({len(text)} characters)"
        )
    covered = text[span.start : span.end]
    stripped = covered.strip()
    if not stripped:
        raise DataError(f"{span.where}: span [{span.start}, {span.end}) covers only whitespace")
    if stripped == covered:
        return span
    log["whitespace_trimmed"] += 1
    start = span.start + (len(covered) - len(covered.lstrip()))
    return DocumentSpan(start, start + len(stripped), span.type, span.where)


def line_bounds(text: str) -> list[tuple[int, int]]:
    """Character ranges of the non-blank lines of `text`, whitespace-stripped."""
    bounds, offset = [], 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            start = offset + line.index(stripped[0])
            bounds.append((start, start + len(stripped)))
        offset += len(line)
    return bounds


def merge_crossed(bounds: list[tuple[int, int]], spans: Iterable[DocumentSpan], log: Counter):
    """Merge consecutive sentence ranges that some span crosses."""
    merged = [list(b) for b in bounds]
    for span in sorted(spans, key=lambda s: s.start):
        first = next((i for i, (s, e) in enumerate(merged) if s <= span.start < e), None)
        if first is None:
            raise DataError(
                f"{span.where}: span [{span.start}, {span.end}) starts outside every sentence"
            )
        while span.end > merged[first][1]:
            if first + 1 >= len(merged):
                raise DataError(f"{span.where}: span [{span.start}, {span.end}) runs past the text")
            merged[first][1] = merged.pop(first + 1)[1]
            log["sentences_merged"] += 1
    return [tuple(b) for b in merged]


def tokenize(text: str, boundaries: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Word/punctuation tokens as character ranges, also split at the given boundaries,
    so that every entity is a whole number of tokens."""
    cuts = sorted(set(boundaries))
    tokens = []
    for match in TOKEN_RE.finditer(text):
        start, end = match.span()
        for cut in cuts:
            if start < cut < end:
                tokens.append((start, cut))
                start = cut
        tokens.append((start, end))
    return tokens


def document_sentences(
    text: str,
    spans: Sequence[DocumentSpan],
    bounds: Sequence[tuple[int, int]],
    doc_id: str,
    where: str,
    keep_without_entities: bool,
    log: Counter,
) -> list[Draft]:
    """Cut a document into sentences, not yet numbered (ids follow corpus order)."""
    unique: dict[tuple[int, int, str], DocumentSpan] = {}
    for span in spans:
        span = trim(span, text, log)
        key = (span.start, span.end, span.type)
        if key in unique:
            log["duplicates_removed"] += 1
        else:
            unique[key] = span
    rows = []
    for start, end in merge_crossed(list(bounds), unique.values(), log):
        # Only merged sentences contain line breaks; a sentence is one line in a prompt.
        # Replacing one character by one keeps every offset valid.
        sentence_text = text[start:end].translate(LINE_BREAKS_TO_SPACES)
        entities = sorted(
            Entity(
                s.start - start,
                s.end - start,
                s.type,
                sentence_text[s.start - start : s.end - start],
            )
            for s in unique.values()
            if start <= s.start < end
        )
        if not entities and not keep_without_entities:
            log["sentences_without_entities"] += 1
            continue
        rows.append(Draft(doc_id, sentence_text, entities, where))
    return rows


def number_sentences(name: str, split: str, drafts: Sequence[Draft]) -> list[Sentence]:
    """Give drafts ids `<name>-<split>-<index>`, tokens if they have none, and validate."""
    sentences = []
    for index, draft in enumerate(drafts):
        tokens = draft.tokens
        if tokens is None:
            cuts = [b for e in draft.entities for b in (e.start, e.end)]
            tokens = tuple(draft.text[s:e] for s, e in tokenize(draft.text, cuts))
        sentence = Sentence(
            id=f"{name}-{split}-{index:05d}",
            doc_id=draft.doc_id,
            split=split,
            text=draft.text,
            tokens=tokens,
            entities=tuple(draft.entities),
        )
        validate(sentence, draft.where)
        sentences.append(sentence)
    return sentences
