"""The bootstrap standard error of corpus micro-F1, resampling sentences."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import astuple

import numpy as np

from .records import Counts

BOOTSTRAP_ITERATIONS = 1000
BOOTSTRAP_SEED = 1234
# Values drawn per chunk of bootstrap iterations: bounds the memory of long corpora.
_BOOTSTRAP_CHUNK = 1 << 20


def micro_f1(tp: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """`Counts.f1` elementwise, from true positives and false positives + false negatives:
    2tp / (2tp + fp + fn), 0 where nothing was predicted nor to be found."""
    denominator = 2 * tp + wrong
    zeros = np.zeros(np.shape(denominator))
    return np.divide(2 * tp, denominator, out=zeros, where=denominator > 0)


def _python_random_state(seed: int) -> np.random.RandomState:
    """A NumPy generator in the state of `random.Random(seed)`: both are the Mersenne Twister
    and both make a float from two 32-bit draws the same way, so they draw the same floats."""
    _, (*key, position), _ = random.Random(seed).getstate()
    generator = np.random.RandomState()
    generator.set_state(("MT19937", np.array(key, dtype=np.uint32), position))
    return generator


def bootstrap_f1_stderr(
    counts: Sequence[Counts] | np.ndarray,
    iterations: int = BOOTSTRAP_ITERATIONS,
    seed: int = BOOTSTRAP_SEED,
) -> float:
    """Bootstrap standard error of corpus micro-F1 over per-sentence strict counts (`Counts`,
    or rows of tp, fp, fn): resample sentences with replacement, `iterations` times.

    The draws are those of `random.Random(seed).choices(sentences, k=len(sentences))` called
    once per iteration (an index is floor(random() * n)), made in bulk with NumPy."""
    rows = np.array([astuple(c) if isinstance(c, Counts) else c for c in counts], dtype=np.int64)
    n = len(rows)
    if n < 2:
        return float("nan")
    tp, wrong = rows[:, 0], rows[:, 1] + rows[:, 2]
    # One gather instead of two where the sums fit: tp in the high 32 bits, fp + fn below.
    packed = (tp << 32) | wrong if n * max(tp.max(), wrong.max()) < 1 << 31 else None
    generator = _python_random_state(seed)
    values: list[float] = []
    per_chunk = max(1, _BOOTSTRAP_CHUNK // n)
    for done in range(0, iterations, per_chunk):
        draws = generator.random_sample((min(per_chunk, iterations - done), n))
        draws *= n
        sample = draws.astype(np.intp)  # floor: the draws are not negative
        if packed is None:
            sample_tp, sample_wrong = tp[sample].sum(axis=1), wrong[sample].sum(axis=1)
        else:
            sums = packed[sample].sum(axis=1)
            sample_tp, sample_wrong = sums >> 32, sums & 0xFFFFFFFF
        values += micro_f1(sample_tp, sample_wrong).tolist()
    # Python sums, in order, as the scalar version did: the result is the same to the bit.
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
