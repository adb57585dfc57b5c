"""Side-by-side timing for the benchmarks: sides alternated, medians with min and max.

Each round runs every side once; odd rounds run them in reverse order (A B, B A, A B, ...),
so neither side always pays for going first, and a slow drift of the machine (heat, another
process) reaches both sides alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def alternate(sides: dict[str, Callable[[], object]], repeats: int) -> tuple[dict, dict]:
    """Seconds per side and what each side returned, one entry a round."""
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    outputs: dict[str, list] = {name: [] for name in sides}
    for round_index in range(repeats):
        order = list(sides) if round_index % 2 == 0 else list(reversed(sides))
        for name in order:
            start = time.perf_counter()
            outputs[name].append(sides[name]())
            seconds[name].append(time.perf_counter() - start)
    return seconds, outputs


def summary(values: list[float], digits: int = 4) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def ratio_of_medians(numerator: list[float], denominator: list[float]) -> float:
    return statistics.median(numerator) / statistics.median(denominator)
