"""CoNLL column files (SciERC's flattened view, CoNLL-2003, CrossNER) and tag decoding.

The tag is the last column. `-DOCSTART-` lines open a new document, blank lines end a
sentence. Two chunk schemes are read:

- `iob1` (CoNLL-2003 original, SciERC via SciBERT): `I-X` continues a chunk of type X and
  starts one otherwise; `B-X` only separates two adjacent chunks of the same type.
- `iob2` (BIO; CrossNER, the Hub copy of CoNLL-2003): every chunk starts with `B-X`. An `I-X`
  that does not continue a chunk of type X starts one, as conlleval reads it; that is counted
  (`iob2_orphan_inside`) because a strict IOB2 reader (seqeval strict mode) would drop it.

Sentence text is the tokens joined by one space; entity offsets point into that text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .schema import DataError, Entity, decode_utf8

SCHEMES = ("iob1", "iob2")


@dataclass(frozen=True)
class TaggedSentence:
    doc_id: str
    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    where: str  # file and first line, for error messages


def split_columns(line: str) -> list[str]:
    """The columns of a CoNLL line: tab-separated if it has a tab, else space-separated.

    Only tabs and ASCII spaces separate: a no-break or thin space (and any other Unicode
    space) is part of its token, as in '5\u00a0mg'. A tab-separated token may contain spaces.
    """
    separator = "\t" if "\t" in line else " "
    # Edge spaces of a tab-separated column are layout, not text ('New ' is the token 'New').
    return [column.strip(" ") for column in line.split(separator) if column.strip(" \t")]


def read_conll(path: Path) -> Iterator[TaggedSentence]:
    """Sentences of a CoNLL column file; a document is the block after each -DOCSTART-.

    Every token line must have as many columns as the file's first one: a space-separated
    token that contains a space would otherwise lose the part before the tag unnoticed."""
    tokens: list[str] = []
    tags: list[str] = []
    first_line = 0
    width: tuple[int, int] | None = None  # columns of the first token line, and its number
    doc_index = 0
    doc_id = f"{path.name}#0"
    # Lines end in \n, \r\n or (old Mac files) a lone \r; Unicode line separators are text.
    lines = re.split(r"\r\n|\r|\n", decode_utf8(path.read_bytes(), path))
    for number, line in enumerate(lines + [""], start=1):
        columns = split_columns(line)
        if columns and columns[0] == "-DOCSTART-":
            if tokens:
                raise DataError(
                    f"{path}:{number}: -DOCSTART- inside a sentence (no blank line before)"
                )
            doc_index += 1
            doc_id = f"{path.name}#{doc_index}"
            continue
        if not columns:
            if tokens:
                yield TaggedSentence(doc_id, tuple(tokens), tuple(tags), f"{path}:{first_line}")
                tokens, tags = [], []
            continue
        if len(columns) < 2:
            raise DataError(f"{path}:{number}: expected 'token ... tag', got {line!r}")
        width = width or (len(columns), number)
        if len(columns) != width[0]:
            raise DataError(
                f"{path}:{number}: {len(columns)} columns where line {width[1]} has {width[0]} "
                f"({line!r}); a token containing a space needs tab-separated columns"
            )
        if not tokens:
            first_line = number
        tokens.append(columns[0])
        tags.append(columns[-1])


def tags_to_chunks(
    tags: Sequence[str], scheme: str, where: str, log: Counter
) -> list[tuple[int, int, str]]:
    """Token chunks (start, end exclusive, type) encoded by IOB1 or IOB2 tags."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown chunk scheme {scheme!r}; expected one of {SCHEMES}")
    chunks: list[list] = []
    previous = "O"
    for index, tag in enumerate(tags):
        if tag == "O":
            previous = tag
            continue
        prefix, dash, type_ = tag.partition("-")
        if prefix not in ("B", "I") or not dash or not type_:
            raise DataError(f"{where}: token {index + 1} has malformed tag {tag!r}")
        continues = previous != "O" and previous[2:] == type_
        if prefix == "I" and continues:
            chunks[-1][1] = index + 1
        else:
            if prefix == "I" and scheme == "iob2":
                log["iob2_orphan_inside"] += 1
            if prefix == "B" and scheme == "iob1" and not continues:
                log["iob1_begin_without_neighbour"] += 1
            chunks.append([index, index + 1, type_])
        previous = tag
    return [tuple(c) for c in chunks]


def chunks_to_entities(tokens: Sequence[str], chunks) -> list[Entity]:
    """Character-offset entities in `" ".join(tokens)` for token chunks."""
    starts, offset = [], 0
    for token in tokens:
        starts.append(offset)
        offset += len(token) + 1
    text = " ".join(tokens)
    entities = []
    for start, end, type_ in chunks:
        char_start, char_end = starts[start], starts[end - 1] + len(tokens[end - 1])
        entities.append(Entity(char_start, char_end, type_, text[char_start:char_end]))
    return sorted(entities)
