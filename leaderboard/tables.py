"""The leaderboard's tables, as plain values (percent; `export` and `page` format them).

The study's tables (1: zero- and one-shot, 2: zero-shot vs SFT, 3: general domain) and the
cross-dataset table put, for each study model, its reported row, then our run of the same model
and protocol, then their difference (ours - reported, in F1 points); our other models follow.
Our F1 values carry their 95% intervals, and a column's best run is marked where a paired test
on the logged samples says it beats the second best (`with_best_marks`). The averages table
gives each model and setting its mean F1 over the scientific sets and over the general-domain
sets, reported and ours (`averages`). Every run with all its metrics, and the per-type and
error-class breakdowns re-scored from logged samples, are in `run_tables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Any

from sciner_tasks.data import DATASETS
from sciner_tasks.names import GENERAL_DOMAIN, REGIMES, SCIENTIFIC

from .numbers import percent
from .pairing import paired_p_value
from .reference import ReportedRow, load_reported
from .runs import Run
from .significance import ITERATIONS

REPORTED, OURS, DIFFERENCE = "reported", "ours", "ours - reported"
OURS_SUBSET = "ours (subset)"  # evaluated on part of a test split: not comparable yet
CROSS_TRAINED_ON = "scierc"
CROSS_EVALUATED_ON = ("stem_ecr", "measeval")
SETTING_NAMES = {"0shot": "0-shot", "1shot": "1-shot", "sft": "SFT"}


@dataclass(frozen=True)
class Column:
    """A column of a study table: the F1 of the runs of one dataset and setting."""

    header: str
    dataset: str
    setting: str
    trained_on: str | None = None  # for SFT columns: what the fine-tuned model was trained on
    reference: str | None = None  # the reference CSV's column, None where the study has none

    def takes(self, run: Run) -> bool:
        return (run.dataset, run.setting, run.trained_on) == (
            self.dataset,
            self.setting,
            self.trained_on,
        )


@dataclass(frozen=True)
class Row:
    kind: str  # REPORTED, OURS or DIFFERENCE
    cells: tuple[Any, ...]  # str, int, float (percent) or None (no value)
    link: str | None = None  # the run's error page (site-relative), where it has one
    # Per cell: the 95% interval (low, high) of an F1 value; empty or None where there is none.
    intervals: tuple[tuple[float, float] | None, ...] = ()
    best: Mapping[int, str] = field(default_factory=dict)  # cell index -> why it is marked best
    # Per cell of a fine-tuned run: its f1_unseen (percent), where it differs from its F1.
    unseen: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    caption: str
    headers: tuple[str, ...]
    rows: tuple[Row, ...]


def title(dataset: str) -> str:
    """The registry's title without its parenthetical ("WLPC (Wet Lab Protocols)" -> "WLPC"):
    headers stay short enough for tables of ten columns."""
    return DATASETS[dataset].title.split(" (")[0]


def column(dataset: str, setting: str, trained_on: str | None = None, reference=None) -> Column:
    header = f"{title(dataset)} {SETTING_NAMES[setting]}"
    if trained_on not in (None, dataset):
        header += f" (trained on {title(trained_on)})"
    return Column(header, dataset, setting, trained_on, reference)


LEAD = 3  # study tables' cells before the F1 columns: model, family, source
# The two-sided 95% normal quantile: our F1 cells show F1 +- Z_95 x lm-eval's f1_stderr.
Z_95 = NormalDist().inv_cdf(0.975)
ALPHA = 0.05  # a column's best run is marked when it beats the second at p below this


def interval(run: Run) -> tuple[float, float] | None:
    """The 95% interval of a run's F1 (percent): F1 +- Z_95 x its bootstrap standard error,
    clipped to [0, 100] where F1 lives; None without both figures."""
    f1, stderr = run.metrics["f1"], run.metrics["f1_stderr"]
    if f1 is None or stderr is None:
        return None
    return max(0.0, 100 * (f1 - Z_95 * stderr)), min(100.0, 100 * (f1 + Z_95 * stderr))


def unseen_f1(run: Run | None) -> float | None:
    """A fine-tuned run's f1_unseen (percent) where it differs from its F1: the test sentences
    whose text is not in train, which it did not see in training; None elsewhere."""
    if run is None or run.setting != "sft":
        return None
    unseen = run.metrics.get("f1_unseen")
    return None if unseen is None or unseen == run.metrics["f1"] else percent(unseen)


def our_row(label: str, family: str, source: str, runs: Sequence[Run | None]) -> Row:
    """Our row of a model: each column's F1, with its 95% interval and, for a fine-tuned run,
    its F1 on the test sentences it did not see in training."""
    values = [percent(run.metrics["f1"]) if run else None for run in runs]
    intervals = [interval(run) if run else None for run in runs]
    unseen = tuple(unseen_f1(run) for run in runs)
    return Row(
        OURS,
        (label, family, source, *values),
        intervals=(None,) * LEAD + tuple(intervals),
        unseen=(None,) * LEAD + unseen if any(v is not None for v in unseen) else (),
    )


def best_note(best: Run, second: Run) -> str | None:
    """Why `best` is marked best of its column, or None when it is not significantly better
    than `second` (or the two cannot be paired: no logged samples, other sentences)."""
    p_value = paired_p_value(second, best)
    if p_value is None or p_value >= ALPHA:
        return None
    return (
        f"significantly best of our runs: beats {second.model} (F1 "
        f"{100 * second.metrics['f1']:.2f}) at p = {p_value:.4f} (approximate randomisation, "
        f"paired by sentence, {ITERATIONS} shuffles)"
    )


def with_best_marks(rows: list[Row], row_runs: Mapping[int, Sequence[Run | None]]) -> list[Row]:
    """`rows` with each column's best run marked where it beats the second best at p < ALPHA.
    `row_runs`: our rows' index -> the run of each column."""
    marks: dict[int, dict[int, str]] = {}
    columns = len(next(iter(row_runs.values()), ()))
    for index in range(columns):
        ranked = sorted(
            (
                (runs[index].metrics["f1"], row)
                for row, runs in row_runs.items()
                if runs[index] is not None and runs[index].metrics["f1"] is not None
            ),
            reverse=True,
        )
        if len(ranked) < 2 or ranked[0][0] == ranked[1][0]:
            continue  # nothing to beat, or a tie
        (_, best), (_, second) = ranked[:2]
        note = best_note(row_runs[best][index], row_runs[second][index])
        if note:
            marks.setdefault(best, {})[LEAD + index] = note
    return [replace(row, best=marks[i]) if i in marks else row for i, row in enumerate(rows)]


def study_rows(
    columns: Sequence[Column], runs: Sequence[Run], reported: Sequence[ReportedRow]
) -> list[Row]:
    """Reported rows in the study's order, each followed by our rows of that model and their
    differences; then our models the study does not have. Our F1 cells carry 95% intervals,
    and each column's best run a mark where it is significantly better than the second."""
    ours: dict[str, list[Run | None]] = {}  # model -> its run in each column
    subset: set[str] = set()  # models with a cell from part of a test split (lm-eval --limit)
    for run in runs:
        for index, col in enumerate(columns):
            if col.takes(run):
                ours.setdefault(run.model, [None] * len(columns))[index] = run
                if run.subset:
                    subset.add(run.model)
    first = {label: next(r for r in cells if r) for label, cells in ours.items()}

    def source(label: str, kind: str) -> str:
        return kind.replace(OURS, OURS_SUBSET) if label in subset else kind

    rows: list[Row] = []
    row_runs: dict[int, list[Run | None]] = {}

    def add_ours(label: str, family: str) -> None:
        row_runs[len(rows)] = ours[label]
        rows.append(our_row(label, family, source(label, OURS), ours[label]))

    matched: set[str] = set()
    for row in reported:
        values = [row.values.get(col.reference) if col.reference else None for col in columns]
        rows.append(Row(REPORTED, (row.model, row.family, REPORTED, *values)))
        for label in sorted(m for m in ours if first[m].study_model == row.model):
            matched.add(label)
            add_ours(label, row.family)
            pairs = zip(rows[-1].cells[LEAD:], values, strict=True)
            deltas = [o - r if None not in (o, r) else None for o, r in pairs]
            if any(d is not None for d in deltas):
                cells = (label, row.family, source(label, DIFFERENCE), *deltas)
                rows.append(Row(DIFFERENCE, cells))
    for label in sorted(ours.keys() - matched):
        add_ours(label, first[label].family)
    return with_best_marks(rows, row_runs)


def study_table(key, name, caption, columns, runs, reported) -> Table:
    headers = ("Model", "Family", "Source", *(c.header for c in columns))
    return Table(key, name, caption, headers, tuple(study_rows(columns, runs, reported)))


def table1(runs: Sequence[Run]) -> Table:
    columns = [column(d, s, reference=f"{d}_{s}") for d in SCIENTIFIC for s in REGIMES]
    return study_table(
        "table1",
        "Table 1: zero-shot and one-shot F1 on the scientific datasets",
        "Strict entity micro-F1 (%). One-shot: one train sentence as demonstration.",
        columns,
        runs,
        load_reported("table1"),
    )


def table2(runs: Sequence[Run]) -> Table:
    columns = [
        column(d, s, trained_on=d if s == "sft" else None, reference=f"{d}_{s}")
        for d in SCIENTIFIC
        for s in ("0shot", "sft")
    ]
    return study_table(
        "table2",
        "Table 2: zero-shot vs fine-tuned (SFT) F1",
        "SFT: a LoRA adapter (or the span baseline) trained on the dataset's train split and "
        'evaluated zero-shot on its test split. "unseen": F1 on the test sentences whose '
        "text is not in train (WLPC: 934 of 2,861 are), where it differs.",
        columns,
        runs,
        load_reported("table2"),
    )


def table3(runs: Sequence[Run]) -> Table:
    columns = [column(d, "0shot", reference=d) for d in GENERAL_DOMAIN]  # Table 3
    return study_table(
        "table3",
        "Table 3: zero-shot F1 on the general domain",
        "CoNLL-2003 and the five CrossNER domains.",
        columns,
        runs,
        load_reported("table3"),
    )


def cross_dataset_table(runs: Sequence[Run]) -> Table:
    columns = [
        column(d, s, trained_on=CROSS_TRAINED_ON if s == "sft" else None)
        for d in CROSS_EVALUATED_ON
        for s in ("0shot", "sft")
    ]
    # Only models fine-tuned on SciERC and evaluated elsewhere belong here.
    crossed = {r.model for r in runs if any(c.takes(r) for c in columns if c.setting == "sft")}
    return study_table(
        "cross_dataset",
        f"Cross-dataset: fine-tuned on {title(CROSS_TRAINED_ON)}, evaluated on "
        + " and ".join(title(d) for d in CROSS_EVALUATED_ON),
        "The model without fine-tuning (0-shot) next to its SciERC adapter. The study shows "
        "these runs only as a figure, so there are no reported rows.",
        columns,
        [r for r in runs if r.model in crossed],
        [],
    )


def study_tables(runs: Sequence[Run]) -> list[Table]:
    return [table1(runs), table2(runs), table3(runs), cross_dataset_table(runs)]


# The averages table: each group's sets count once (the study's tables have no average column,
# and lm-eval's scored groups average sets, not sentences: sciner_tasks/tasks/README.md).
