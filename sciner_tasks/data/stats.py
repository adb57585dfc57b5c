"""Sentence and entity counts per split and type, next to the reference study's Tables 4-5."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .registry import SPLITS, DatasetSpec
from .schema import Sentence

REFERENCE_STATS = Path(__file__).parent / "reference" / "dataset_stats.csv"


@dataclass(frozen=True)
class SplitStats:
    sentences: int
    entities: int
    per_type: dict[str, int]


def split_stats(sentences: list[Sentence]) -> SplitStats:
    per_type = Counter(e.type for s in sentences for e in s.entities)
    return SplitStats(len(sentences), sum(per_type.values()), dict(per_type))


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
    lines.append(row("entities", counts(lambda s: s.entities)))
    for type_ in spec.types:
        lines.append(row(f"  {type_}", counts(lambda s, t=type_: s.per_type.get(t, 0))))
    if conversion:
        done = ", ".join(f"{k} {v}" for k, v in sorted(conversion.items()))
        lines.append(f"conversion: {done}")
    return "\n".join(lines)
