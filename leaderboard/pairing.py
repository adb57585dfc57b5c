"""Pairing two runs of one task sentence by sentence: only runs that saw the same sentences
with the same gold are paired (a run with --limit, or on another data version, is not), and
their per-sentence counts are aligned for the paired tests of `significance`."""

from __future__ import annotations

import numpy as np

from .runs import Run, SampleScore
from .significance import ITERATIONS, SEED, randomisation_test

EXAMPLES = 3  # sentence ids quoted in a refusal


def gold_sets(sample: SampleScore) -> list[frozenset]:
    """Each sentence's gold entities as (start, end, type, text)."""
    return [
        frozenset((e["start"], e["end"], e["type"], e["text"]) for e in sentence.gold)
        for sentence in sample.logged
    ]


def examples(ids: list[str]) -> str:
    return ", ".join(repr(i) for i in ids[:EXAMPLES]) + (", ..." if len(ids) > EXAMPLES else "")


def mismatch(a: SampleScore, b: SampleScore) -> str | None:
    """What differs between the sentences the two runs saw, or None when nothing does."""
    ids_a, ids_b = set(a.ids), set(b.ids)
    only_a = [i for i in a.ids if i not in ids_b]
    only_b = [i for i in b.ids if i not in ids_a]
    if only_a or only_b:
        sides = [
            f"{len(ids)} only in {side} ({examples(ids)})"
            for side, ids in (("A", only_a), ("B", only_b))
            if ids
        ]
        return (
            f"the runs saw different sentences ({len(a.ids)} in A, {len(b.ids)} in B; "
            f"{', '.join(sides)}): was one run limited (--limit) or on another data version?"
        )
    gold_b = dict(zip(b.ids, gold_sets(b), strict=True))
    differ = [i for i, gold in zip(a.ids, gold_sets(a), strict=True) if gold != gold_b[i]]
    if differ:
        return (
            f"the gold entities differ on {len(differ)} of {len(a.ids)} sentences "
            f"({examples(differ)}): the runs used different data versions"
        )
    return None


def aligned(a: SampleScore, b: SampleScore) -> tuple[np.ndarray, np.ndarray]:
    """Both runs' counts with row i the same sentence (A's order): logs need not share one."""
    row_b = {sentence: row for row, sentence in enumerate(b.ids)}
    return a.strict, b.strict[[row_b[sentence] for sentence in a.ids]]


def paired_p_value(a: Run, b: Run, iterations: int = ITERATIONS, seed: int = SEED) -> float | None:
    """The approximate randomisation p-value of two runs' F1 difference, paired by sentence;
    None when they cannot be paired (no logged samples, not the same sentences and gold)."""
    if a.samples is None or b.samples is None or mismatch(a.samples, b.samples):
        return None
    return randomisation_test(*aligned(a.samples, b.samples), iterations, seed)
