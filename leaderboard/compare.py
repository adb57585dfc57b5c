"""Compare two runs task by task: `python -m leaderboard compare RESULTS_A RESULTS_B`.

A run is read as the leaderboard reads it (`collect`): its results file names the tasks, and
`samples_<task>_<stamp>.jsonl` beside it gives each sentence's gold and predictions. The two
runs of a task are compared only when they saw the same sentences with the same gold: a run
with `--limit`, or on another data version, is refused with a `CompareError` naming the task
and what differs, never compared on the sentences that happen to overlap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .collect import parse_results
from .numbers import percent_text
from .pairing import aligned, mismatch
from .problems import Problems
from .readers import RESULTS_PREFIX, read_json
from .runs import Run, SampleScore, newest_runs, samples_path
from .samples import read_samples, score_samples
from .significance import corpus_f1, paired_bootstrap, randomisation_test


class CompareError(Exception):
    """The runs cannot be compared; the message names the task and what differs."""


@dataclass(frozen=True)
class Comparison:
    task: str
    run_a: str  # which run: `described`
    run_b: str
    sentences: int
    f1_a: float
    f1_b: float
    difference: float  # F1(B) - F1(A)
    interval: tuple[float, float]  # 95% paired bootstrap percentile interval
    p_bootstrap: float
    p_randomisation: float


def results_files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(path.rglob(f"{RESULTS_PREFIX}*.json"))


def task_runs(
    path: Path, adapter_datasets: Mapping[str, str], problems: Problems
) -> dict[str, list[Run]]:
    """The runs under a results file or folder, by task (duplicates resolved as in `collect`)."""
    runs = []
    for results in results_files(path):
        data = read_json(results, problems)
        if data is not None:
            runs += parse_results(data, results, adapter_datasets, problems)
    by_task: dict[str, list[Run]] = {}
    for run in newest_runs(runs, problems):
        by_task.setdefault(run.task, []).append(run)
    return by_task


def only_run(task: str, runs: list[Run], side: str) -> Run:
    # Two models' runs of one task under one folder: which is meant is the user's choice.
    if len(runs) > 1:
        found = "; ".join(f"{run.model} ({run.setting}) in {run.results_path}" for run in runs)
        raise CompareError(
            f"task {task}: {side} holds {len(runs)} runs of it ({found}); give one results file"
        )
    return runs[0]


def logged_sentences(run: Run, side: str, problems: Problems) -> SampleScore:
    path = samples_path(run)
    if not path.is_file():
        raise CompareError(
            f"task {run.task}: {side} has no logged samples ({path} is missing; run "
            "lm-eval with --log_samples)"
        )
    items = read_samples(path, problems)
    if not items:
        raise CompareError(f"task {run.task}: {side} has no usable lines in {path}")
    return score_samples(path, items)


def described(run: Run) -> str:
    adapter = f", adapter {run.adapter}" if run.adapter else ""
    return f"{run.model} ({run.setting}{adapter})"


def compare_task(
    run_a: Run, run_b: Run, iterations: int, seed: int, problems: Problems
) -> Comparison:
    a = logged_sentences(run_a, "A", problems)
    b = logged_sentences(run_b, "B", problems)
    differs = mismatch(a, b)
    if differs:
        raise CompareError(f"task {run_a.task}: {differs}")
    a_counts, b_counts = aligned(a, b)
    bootstrap = paired_bootstrap(a_counts, b_counts, iterations, seed)
    return Comparison(
        task=run_a.task,
        run_a=described(run_a),
        run_b=described(run_b),
        sentences=len(a.ids),
        f1_a=float(corpus_f1(a_counts.sum(axis=0))),
        f1_b=float(corpus_f1(b_counts.sum(axis=0))),
        difference=bootstrap.difference,
        interval=bootstrap.interval,
        p_bootstrap=bootstrap.p_value,
        p_randomisation=randomisation_test(a_counts, b_counts, iterations, seed),
    )


@dataclass(frozen=True)
class Report:
    comparisons: list[Comparison]
    errors: list[str]  # one per task that could not be compared
    only_a: list[str]  # tasks of one run only: nothing to compare them with
    only_b: list[str]


def compare(
    path_a: Path,
    path_b: Path,
    iterations: int,
    seed: int,
    adapter_datasets: Mapping[str, str],
    problems: Problems,
) -> Report:
    """Every task of both runs compared; a task that cannot be is an error, not a row.
    `adapter_datasets`: as for `collect`, the training set of adapters without a model card."""
    runs_a = task_runs(path_a, adapter_datasets, problems)
    runs_b = task_runs(path_b, adapter_datasets, problems)
    comparisons, errors = [], []
    for task in sorted(runs_a.keys() & runs_b.keys()):
        try:
            run_a = only_run(task, runs_a[task], "A")
            run_b = only_run(task, runs_b[task], "B")
            comparisons.append(compare_task(run_a, run_b, iterations, seed, problems))
        except CompareError as error:
            errors.append(str(error))
    if not comparisons and not errors:
        errors.append(
            f"no task in both runs (A: {', '.join(sorted(runs_a)) or 'none'}; "
            f"B: {', '.join(sorted(runs_b)) or 'none'})"
        )
    return Report(
        comparisons, errors, sorted(runs_a.keys() - runs_b), sorted(runs_b.keys() - runs_a)
    )


HEADER = ("task", "sentences", "F1 A", "F1 B", "B - A", "95% interval", "p boot", "p rand")


def row(c: Comparison) -> tuple[str, ...]:
    low, high = c.interval
    return (
        c.task,
        str(c.sentences),
        percent_text(c.f1_a),
        percent_text(c.f1_b),
        f"{100 * c.difference:+.2f}",
        f"[{100 * low:+.2f}, {100 * high:+.2f}]",
        f"{c.p_bootstrap:.4f}",
        f"{c.p_randomisation:.4f}",
    )


def table(comparisons: list[Comparison]) -> str:
    """A plain text table, one row per task; F1 and differences in percent points."""
    cells = [HEADER] + [row(c) for c in comparisons]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in cells
    )


def figures(report: Report, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The --json document: the settings, per task the figures as fractions (lm-eval's scale,
    not the table's percent), and the tasks refused or in one run only."""
    return {
        **settings,
        "tasks": [asdict(c) for c in report.comparisons],
        "refused": report.errors,
        "only_a": report.only_a,
        "only_b": report.only_b,
    }


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
