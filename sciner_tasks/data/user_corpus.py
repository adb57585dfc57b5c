"""Converting a user's own corpus (a brat folder, a CoNLL file or JSONL records per split) into
a sciner dataset: labels found in the files and verbalised, checked so that no two read alike,
and the sentences numbered as the built-in sets are."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from .brat import brat_documents, parse_ann
from .conll import read_conll
from .converters import Splits, brat_split, conll_split, sentence_bounds
from .documents import Draft, line_bounds, number_sentences
from .registry import (
    DATASETS,
    SPLITS,
    DatasetSpec,
    ambiguous_types,
)
from .schema import DataError, Sentence
from .store import read_jsonl

USER_FORMATS = ("brat", "conll", "jsonl")


def verbalise(label: str) -> str:
    """Prompt words for a user's label: 'OtherScientificTerm' -> 'other scientific term',
    'Generic-Measure' -> 'generic measure'; acronyms such as 'DNA' or 'pH' stay as written."""
    words = re.split(r"[-_\s]+|(?<=[a-z])(?=[A-Z][a-z])", label)
    return " ".join(
        w.lower() if w[:1].isupper() and w[1:].islower() or w.islower() else w for w in words if w
    )


def user_types(format_: str, paths: Iterable[Path]) -> dict[str, Path]:
    """Every entity label used in a user's files, sorted, with the first file that uses it.
    CoNLL tags that are not B-X or I-X name no label: conversion reports them with their line."""
    found: dict[str, Path] = {}
    for path in paths:
        if format_ == "brat":
            labels = {t.type for ann in brat_documents(path) for t in parse_ann(ann)}
        elif format_ == "conll":
            labels = {
                tag[2:] for s in read_conll(path) for tag in s.tags if tag[:2] in ("B-", "I-")
            }
        else:
            labels = {e.type for s in read_jsonl(path) for e in s.entities}
        for label in sorted(labels):
            found.setdefault(label, path)
    return dict(sorted(found.items()))


def check_dataset_name(name: str) -> None:
    """A user's dataset is a folder of its own in --out, found by name: a plain name that is
    not a built-in's (which it would shadow in the data home) and not a path."""
    if name in DATASETS:
        raise ValueError(f"--name {name!r} is a built-in dataset's name; choose another")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ValueError(
            f"--name {name!r} is not a plain name (letters, digits, '.', '_', '-'; no path)"
        )


def check_split_path(format_: str, split: str, path: Path) -> None:
    """A CoNLL or JSONL split is a file (a brat split's folder is checked by brat_documents)."""
    if not path.exists():
        raise FileNotFoundError(f"{split}: {path} does not exist")
    if format_ != "brat" and not path.is_file():
        raise DataError(f"{path}: not a file (a {format_} split is one file)")


def convert_user(
    name: str,
    format_: str,
    split_paths: Mapping[str, Path],
    types: list[str] | None = None,
    scheme: str = "iob2",
    sentence_split: str = "lines",
    keep_sentences_without_entities: bool = True,
    license_: str = "unspecified (user data)",
    domain: str = "",
) -> tuple[DatasetSpec, Splits, Counter]:
    """Convert a user's corpus (brat folder, CoNLL file or JSONL in our schema per split).

    `types` are the labels to keep (default: every label found); entities of the other labels
    are dropped and counted in the conversion log. A listed label that no file uses is
    refused: it is most likely misspelt, and keeping it would drop the real one."""
    if format_ not in USER_FORMATS:
        raise ValueError(f"unknown format {format_!r}; expected one of {USER_FORMATS}")
    check_dataset_name(name)
    unknown = set(split_paths) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split(s) {sorted(unknown)}; expected some of {SPLITS}")
    for split, path in split_paths.items():
        check_split_path(format_, split, path)
    found = user_types(format_, split_paths.values())
    labels = types or list(found)
    for label, other, name in ambiguous_types({label: verbalise(label) for label in labels}):
        raise DataError(
            f"{found.get(other, '--types')}: labels {label!r} and {other!r} both read as "
            f"{name!r} in a prompt, so no answer could tell them apart: rename one in the data "
            "(or keep one with --types)"
        )
    spec = DatasetSpec(
        name=name,
        title=name,
        types={label: verbalise(label) for label in labels},
        domain=domain,
        citation="",
        source=", ".join(f"{split}: {path}" for split, path in split_paths.items()),
        license=license_,
        dropped_types=tuple(label for label in found if label not in labels),
        keep_sentences_without_entities=keep_sentences_without_entities,
    )
    log: Counter = Counter()
    splits = {}
    for split, path in split_paths.items():
        if format_ == "brat":
            bounds = {"lines": line_bounds, "pysbd": sentence_bounds}[sentence_split]
            splits[split] = brat_split(spec, split, brat_documents(path), log, bounds, path)
        elif format_ == "conll":
            splits[split] = conll_split(
                name, split, path, spec.types, scheme, log, spec.dropped_types
            )
        else:
            splits[split] = renumbered(name, split, read_jsonl(path), spec, log)
        if not splits[split]:
            raise DataError(f"{path}: no sentences; an empty {split} split is not written")
    unused = [label for label in labels if label not in found]
    if unused:
        raise DataError(
            f"--types: {', '.join(map(repr, unused))} not used by any file (labels found: "
            f"{', '.join(found) or 'none'})"
        )
    return spec, splits, log


def renumbered(
    name: str, split: str, sentences: list[Sentence], spec: DatasetSpec, log: Counter
) -> list[Sentence]:
    """JSONL records in our schema under this dataset's ids; entities of a dropped type are
    left out and counted."""
    drafts = []
    for sentence in sentences:
        entities = []
        for entity in sentence.entities:
            if entity.type in spec.dropped_types:
                log[f"dropped_type:{entity.type}"] += 1
            else:
                entities.append(entity)
        drafts.append(
            Draft(
                sentence.doc_id,
                sentence.text,
                entities,
                f"record {sentence.id}",
                sentence.tokens,
            )
        )
    return number_sentences(name, split, drafts)
