"""brat standoff (.txt + .ann) reading: text-bound annotations (T lines) only.

Relations, events, attributes and notes (R, E, A/M, N, #, *) are not entities and are
skipped. Two quirks of real brat files are handled, not rejected: a span's text field is
written verbatim, so a tab inside the span splits the line into more columns and a line break
inside it continues the text on the next line.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .documents import DocumentSpan, span_from_fragments
from .schema import DataError, decode_utf8

TEXT_BOUND = re.compile(r"T\d+$")
OTHER_ANNOTATION = re.compile(r"([REAMN]\d+|#\d*|\*)$")
FRAGMENTS = re.compile(r"(\d+) (\d+)(?:;(\d+) (\d+))*$")
BYTE_ORDER_MARK = "\ufeff"
BYTE_ORDER_MARK_HINT = (
    " (the .txt starts with a byte-order mark, which brat counts as character 0; offsets made"
    " without counting it are one short: remove the mark from the .txt)"
)


@dataclass(frozen=True)
class TextBound:
    id: str
    type: str
    fragments: tuple[tuple[int, int], ...]
    text: str
    line: int


def read_text(path: Path) -> str:
    """The document text exactly as stored (no newline translation: offsets count '\\r').

    A leading byte-order mark is kept: brat decodes the file as UTF-8 text, so the mark is
    character 0 of its offsets (see `blank_byte_order_mark`)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_utf8(data, path)  # raises, naming the line


def blank_byte_order_mark(text: str, log: Counter) -> str:
    """Replace a leading byte-order mark by a space: one character for one, so every offset
    stays valid, and sentence bounds strip it like any edge whitespace."""
    if not text.startswith(BYTE_ORDER_MARK):
        return text
    log["byte_order_mark_blanked"] += 1
    return " " + text[1:]


def brat_documents(folder: Path) -> list[Path]:
    """The .ann files of a folder of brat documents and its subfolders (a brat collection may
    nest), each with its .txt beside it, in path order.

    A .txt without its .ann is refused rather than skipped: brat writes an empty .ann for a
    document without annotations, so a missing one means a copy went wrong. So is a file
    named .TXT or .Ann: brat reads only the lower-case names, and skipping it would lose it."""
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder (a brat split is a folder of .txt/.ann pairs)")
    entries = sorted(folder.rglob("*"))
    for path in entries:
        if path.suffix.lower() in (".txt", ".ann") and not (path.is_file() or path.is_dir()):
            raise DataError(f"{path}: not a regular file (a pipe, socket or device)")
    files = [path for path in entries if path.is_file()]
    for path in files:
        if path.suffix.lower() in (".txt", ".ann") and path.suffix not in (".txt", ".ann"):
            raise DataError(f"{path}: brat files are named .txt and .ann; rename it")
    anns = [path for path in files if path.suffix == ".ann"]
    for ann in anns:
        if not ann.with_suffix(".txt").is_file():
            raise DataError(f"{ann}: no text file {ann.with_suffix('.txt').name} beside it")
    for txt in (path for path in files if path.suffix == ".txt"):
        if not txt.with_suffix(".ann").is_file():
            raise DataError(
                f"{txt}: no annotation file {txt.with_suffix('.ann').name} beside it (for a "
                "document without entities, create it empty, as brat does)"
            )
    if not anns:
        raise DataError(f"{folder}: no .ann files (a brat split is a folder of .txt/.ann pairs)")
    return anns


# A carriage return not followed by \n right before an annotation id and its tab: the file's
# line ends are lone CRs, which would make the next annotations part of this text field.
LONE_CR_BEFORE_ANNOTATION = re.compile(r"\r(?!\n)(?=[TRENAM#*]\d*\t)")


def parse_ann(path: Path) -> list[TextBound]:
    """Parse the T lines of one .ann file; anything unrecognised is a DataError."""
    found: list[TextBound] = []
    in_text_field = False  # the previous line was a T line or its continuation
    content = decode_utf8(path.read_bytes(), path)
    lone_cr = LONE_CR_BEFORE_ANNOTATION.search(content)
    if lone_cr:
        number = content.count("\n", 0, lone_cr.start()) + 1
        raise DataError(
            f"{path}:{number}: annotations separated by a lone carriage return (old Mac line "
            "ends); brat writes \\n: convert the file's line ends first"
        )
    for number, line in enumerate(content.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        columns = line.split("\t")
        if TEXT_BOUND.match(columns[0]):
            if len(columns) < 3:
                raise DataError(f"{path}:{number}: T line needs 3 tab-separated columns: {line!r}")
            type_, _, offsets = columns[1].partition(" ")
            if not FRAGMENTS.match(offsets):
                raise DataError(f"{path}:{number}: malformed offsets {offsets!r} in {line!r}")
            numbers = [int(n) for n in re.findall(r"\d+", offsets)]
            fragments = tuple(zip(numbers[::2], numbers[1::2], strict=True))
            if any(start >= end for start, end in fragments):
                raise DataError(f"{path}:{number}: empty or reversed fragment in {offsets!r}")
            found.append(TextBound(columns[0], type_, fragments, "\t".join(columns[2:]), number))
            in_text_field = True
        elif OTHER_ANNOTATION.match(columns[0]):
            in_text_field = False
        elif in_text_field:  # a line break inside the previous span's text field
            last = found[-1]
            found[-1] = TextBound(
                last.id, last.type, last.fragments, f"{last.text}\n{line}", last.line
            )
        else:
            raise DataError(f"{path}:{number}: not a brat annotation line: {line!r}")
    return found


def document_spans(
    ann_path: Path,
    text: str,
    keep_types: set[str],
    drop_types: set[str],
    errata: dict[str, str],
    log: Counter,
) -> list[DocumentSpan]:
    """The entity spans of one document, checked against the text.

    `errata` maps '<file name>:<annotation id>' to the documented reason why its text field
    may disagree with its offsets (the offsets are kept: they are what brat displays).
    """
    spans = []
    for t in parse_ann(ann_path):
        where = f"{ann_path}:{t.line}"
        if t.type in drop_types:
            log[f"dropped_type:{t.type}"] += 1
            continue
        if t.type not in keep_types:
            raise DataError(
                f"{where}: unknown entity type {t.type!r} (expected one of {sorted(keep_types)}"
                f"{'; dropped: ' + str(sorted(drop_types)) if drop_types else ''})"
            )
        if max(end for _, end in t.fragments) > len(text):
            raise DataError(
                f"{where}: offsets {t.fragments} run past the end of the text "
                f"({len(text)} characters)"
            )
        covered = " ".join(text[s:e] for s, e in t.fragments)
        if _squash(covered) != _squash(t.text):
            key = f"{ann_path.name}:{t.id}"
            if key not in errata:
                raise DataError(
                    f"{where}: annotation {t.id} says {t.text!r} but its offsets cover "
                    f"{covered!r}{BYTE_ORDER_MARK_HINT if text[:1] == BYTE_ORDER_MARK else ''}"
                )
            log[f"erratum:{key}"] += 1
        spans.append(span_from_fragments(t.fragments, t.type, text, where, log))
    return spans


def _squash(text: str) -> str:
    """Whitespace-insensitive form: brat tools differ in how they write spaces and tabs."""
    return " ".join(text.split())
