"""Is a difference between two runs real? Paired tests on per-sentence strict counts.

Two runs of one task saw the same sentences, so the tests are paired: each resample or shuffle
is applied to both runs at once, sentence by sentence, and the statistic is the difference of
corpus micro-F1 (B - A). The inputs are (sentences, 3) arrays of tp, fp, fn per sentence, as
`sciner_tasks.scoring.tally(...).strict` gives them, with row i of both arrays the same
sentence.

Both p-values are Monte Carlo estimates from a finite number of draws, so they are given as
(1 + k) / (1 + iterations), k the draws at least as extreme as the observation (the Monte
Carlo test p-value of Davison & Hinkley 1997, "Bootstrap Methods and their Application", 4.2):
never 0, which no finite number of draws can show, and 1 for identical runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from sciner_tasks.scoring import micro_f1

ITERATIONS = 10_000
SEED = 1234
CONFIDENCE = 0.95
# Elements drawn per chunk of iterations (iterations x sentences): bounds the memory of a long
# test set at a few tens of MB whatever the number of iterations.
CHUNK_ELEMENTS = 1 << 22
# Equal F1 values computed from different counts (3/5 and 6/10) can differ in the last bit;
# differences this small are ties, not a side of 0.
TIE_TOLERANCE = 1e-12


class Bootstrap(NamedTuple):
    difference: float  # observed F1(B) - F1(A)
    interval: tuple[float, float]  # CONFIDENCE percentile interval of the difference
    p_value: float  # two-sided, H0: difference = 0 (see paired_bootstrap)


def corpus_f1(counts: np.ndarray) -> np.ndarray:
    """Micro-F1 of summed tp, fp, fn along the last axis (`sciner_tasks.scoring.micro_f1`)."""
    tp, fp, fn = np.moveaxis(np.asarray(counts), -1, 0)
    return micro_f1(tp, fp + fn)


def f1_difference(a_sums: np.ndarray, b_sums: np.ndarray) -> np.ndarray:
    return corpus_f1(b_sums) - corpus_f1(a_sums)


def checked(a_counts: np.ndarray, b_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a_counts), np.asarray(b_counts)
    if a.ndim != 2 or a.shape[1] != 3 or a.shape != b.shape or not len(a):
        raise ValueError(
            f"expected two (sentences, 3) arrays of tp, fp, fn with the same sentences, got "
            f"shapes {a.shape} and {b.shape}"
        )
    return a, b


def chunks(iterations: int, sentences: int) -> Iterator[int]:
    """Row counts of the chunks that together make `iterations` draws."""
    size = max(1, CHUNK_ELEMENTS // sentences)
    for start in range(0, iterations, size):
        yield min(size, iterations - start)


def monte_carlo_p(extreme: int, iterations: int) -> float:
    return (1 + extreme) / (1 + iterations)


def resample_weights(rng: np.random.Generator, rows: int, sentences: int) -> np.ndarray:
    """(rows, sentences): how often each sentence is drawn in each of `rows` resamples of
    `sentences` sentences with replacement."""
    drawn = rng.integers(0, sentences, size=(rows, sentences))
    # Offsetting row r's draws by r * sentences counts every row in one bincount.
    flat = drawn + sentences * np.arange(rows)[:, None]
    return np.bincount(flat.ravel(), minlength=rows * sentences).reshape(rows, sentences)


def paired_bootstrap(
    a_counts: np.ndarray,
    b_counts: np.ndarray,
    iterations: int = ITERATIONS,
    seed: int = SEED,
) -> Bootstrap:
    """The paired (sentence-level) bootstrap of F1(B) - F1(A).

    Each of `iterations` resamples draws the sentences with replacement once and sums both runs'
    counts over the same draw (Koehn 2004, "Statistical Significance Tests for Machine
    Translation Evaluation"). The interval is the percentile interval of the resampled
    differences.

    p-value: two-sided, for H0: difference = 0. With d the observed difference and k the
    resampled differences on the other side of 0 than d, or at 0 (all of them when d = 0),
    p = min(1, 2 (1 + k) / (1 + iterations)). This is Koehn's share of resamples in which the
    better run does not win, doubled for two sides. It is the test dual to the percentile
    interval: p < 1 - CONFIDENCE when, and only when, the interval excludes 0 (up to the +1 and
    the quantile interpolation), so the two figures printed side by side never contradict each
    other. Berg-Kirkpatrick et al. 2012's shifted test (resampled differences beyond 2d) is
    dual to the basic bootstrap interval instead, which is not the one reported. Identical
    runs give d = 0 and p = 1."""
    a, b = checked(a_counts, b_counts)
    observed = float(f1_difference(a.sum(axis=0), b.sum(axis=0)))
    rng = np.random.default_rng(seed)
    both = np.concatenate([a, b], axis=1).astype(np.float64)  # exact: counts are far below 2**53
    differences = []
    for rows in chunks(iterations, len(a)):
        sums = resample_weights(rng, rows, len(a)) @ both
        differences.append(f1_difference(sums[:, :3], sums[:, 3:]))
    resampled = np.concatenate(differences)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(resampled, [tail, 1 - tail])
    other_side = int(np.count_nonzero(np.sign(observed) * resampled <= TIE_TOLERANCE))
    p_value = min(1.0, 2 * monte_carlo_p(other_side, iterations))
    return Bootstrap(observed, (float(low), float(high)), p_value)


def randomisation_test(
    a_counts: np.ndarray,
    b_counts: np.ndarray,
    iterations: int = ITERATIONS,
    seed: int = SEED,
) -> float:
    """The two-sided p-value of approximate randomisation (Noreen 1989, "Computer-Intensive
    Methods for Testing Hypotheses"; Riezler & Maxwell 2005) for H0: the two runs' outputs are
    exchangeable, sentence by sentence.

    Each of `iterations` shuffles swaps the two runs' counts of each sentence with probability
    1/2 and recomputes F1(B) - F1(A). p = (1 + k) / (1 + iterations), k the shuffles with
    |difference| >= |observed difference|. Identical runs give p = 1."""
    a, b = checked(a_counts, b_counts)
    a_sum, b_sum = a.sum(axis=0), b.sum(axis=0)
    observed = abs(float(f1_difference(a_sum, b_sum)))
    rng = np.random.default_rng(seed)
    gain = (b - a).astype(np.float64)  # what swapping a sentence moves from B's sums to A's
    extreme = 0
    for rows in chunks(iterations, len(a)):
        swapped = rng.integers(0, 2, size=(rows, len(a))).astype(np.float64) @ gain
        shuffled = f1_difference(a_sum + swapped, b_sum - swapped)
        extreme += int(np.count_nonzero(np.abs(shuffled) >= observed - TIE_TOLERANCE))
    return monte_carlo_p(extreme, iterations)
