"""Sentence and entity counts per split and type, next to the reference study's Tables 4-5, and
how much text the splits share (a test sentence whose text is in train was seen in training and
can be shown as its own demonstration)."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .registry import SPLITS, DatasetSpec
from .schema import Sentence

REFERENCE_STATS = Path(__file__).parent / "reference" / "dataset_stats.csv"


def text_key(text: str) -> str:
    """What makes two sentences the same text: their words, whatever the whitespace between
    them (case and punctuation count)."""
    return " ".join(text.split())


@dataclass(frozen=True)
class SplitStats:
    sentences: int
    entities: int
    per_type: dict[str, int]
    distinct_texts: int
    # Sentences whose text occurs in the train split (None for train itself).
    in_train: int | None = None

    @property
    def repeats(self) -> int:
        """Sentences whose text an earlier sentence of the split already has."""
        return self.sentences - self.distinct_texts


def split_stats(sentences: list[Sentence], train: list[Sentence] | None = None) -> SplitStats:
    """Counts of one split; `train` (for dev and test) adds how many of its texts are in it."""
    per_type = Counter(e.type for s in sentences for e in s.entities)
    texts = [text_key(s.text) for s in sentences]
    in_train = None
    if train is not None:
        seen = {text_key(s.text) for s in train}
        in_train = sum(text in seen for text in texts)
    return SplitStats(
        len(sentences), sum(per_type.values()), dict(per_type), len(set(texts)), in_train
    )


def dataset_stats(splits: dict[str, list[Sentence]]) -> dict[str, SplitStats]:
    """Every split's counts, dev and test measured against train where there is one."""
    train = splits.get("train")
    return {
        name: split_stats(sentences, None if name == "train" else train)
        for name, sentences in splits.items()
    }


def overlap(stats: dict[str, SplitStats]) -> dict[str, dict[str, int]]:
    """The text-overlap counts per split, as dataset.json and the dataset card record them."""
    return {
        name: {"distinct_texts": s.distinct_texts, "repeats": s.repeats}
        | ({} if s.in_train is None else {"in_train": s.in_train})
        for name, s in stats.items()
    }


def reference_sentences() -> dict[tuple[str, str], int]:
    """(dataset, split) -> sentence count reported by the study."""
    with REFERENCE_STATS.open(encoding="utf-8", newline="") as handle:
        return {(r["dataset"], r["split"]): int(r["sentences"]) for r in csv.DictReader(handle)}


def format_table(spec: DatasetSpec, stats: dict[str, SplitStats], conversion: dict) -> str:
    """A plain-text block: one row per count, one column per split, the study's next to ours."""
    reference = reference_sentences()
    width = max(len(t) for t in [*spec.types, "sentences (study)"]) + 2
    header = f"{spec.name} - {spec.title}"
    lines = [header, "-" * len(header), f"{'':<{width}}" + "".join(f"{s:>8}" for s in SPLITS)]

    def row(label: str, values) -> str:
        return f"{label:<{width}}" + "".join(f"{v:>8}" for v in values)

    def counts(of) -> list:  # "-" for a split the dataset does not have
        return [of(stats[s]) if s in stats else "-" for s in SPLITS]

    lines.append(row("sentences", counts(lambda s: s.sentences)))
    lines.append(row("sentences (study)", [reference.get((spec.name, s), "-") for s in SPLITS]))
    lines.append(row("distinct texts", counts(lambda s: s.distinct_texts)))
    lines.append(row("repeated texts", counts(lambda s: s.repeats)))
    lines.append(row("text in train", counts(lambda s: "-" if s.in_train is None else s.in_train)))
    lines.append(row("entities", counts(lambda s: s.entities)))
    for type_ in spec.types:
        lines.append(row(f"  {type_}", counts(lambda s, t=type_: s.per_type.get(t, 0))))
    if conversion:
        done = ", ".join(f"{k} {v}" for k, v in sorted(conversion.items()))
        lines.append(f"conversion: {done}")
    return "\n".join(lines)
