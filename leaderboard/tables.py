"""The leaderboard's tables, as plain values (percent; `export` and `page` format them).

The study's tables (1: zero- and one-shot, 2: zero-shot vs SFT, 3: general domain) and the
cross-dataset table put, for each study model, its reported row, then our run of the same model
and protocol, then their difference (ours - reported, in F1 points); our other models follow.
Then every run with all its metrics, and the per-type and error-class breakdowns re-scored
from logged samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sciner_tasks.data import DATASETS
from sciner_tasks.names import METRICS, SCIENTIFIC

from .collect import Run
from .reference import ReportedRow, load_reported

REPORTED, OURS, DIFFERENCE = "reported", "ours", "ours - reported"
OURS_SUBSET = "ours (subset)"  # evaluated on part of a test split: not comparable yet
GENERAL = tuple(d for d in DATASETS if d not in SCIENTIFIC)  # CoNLL-2003, CrossNER (Table 3)
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


def percent(value: float | None) -> float | None:
    return None if value is None else 100 * value


def column(dataset: str, setting: str, trained_on: str | None = None, reference=None) -> Column:
    header = f"{title(dataset)} {SETTING_NAMES[setting]}"
    if trained_on not in (None, dataset):
        header += f" (trained on {title(trained_on)})"
    return Column(header, dataset, setting, trained_on, reference)


def study_rows(
    columns: Sequence[Column], runs: Sequence[Run], reported: Sequence[ReportedRow]
) -> list[Row]:
    """Reported rows in the study's order, each followed by our rows of that model and their
    differences; then our models the study does not have."""
    ours: dict[str, list[float | None]] = {}
    first: dict[str, Run] = {}
    subset: set[str] = set()  # models with a cell from part of a test split (lm-eval --limit)
    for run in runs:
        for index, col in enumerate(columns):
            if col.takes(run):
                cells = ours.setdefault(run.model, [None] * len(columns))
                cells[index] = percent(run.metrics["f1"])
                first.setdefault(run.model, run)
                if run.subset:
                    subset.add(run.model)

    def source(label: str, kind: str) -> str:
        return kind.replace(OURS, OURS_SUBSET) if label in subset else kind

    rows = []
    matched: set[str] = set()
    for row in reported:
        values = [row.values.get(col.reference) if col.reference else None for col in columns]
        rows.append(Row(REPORTED, (row.model, row.family, REPORTED, *values)))
        for label in sorted(m for m in ours if first[m].study_model == row.model):
            matched.add(label)
            rows.append(Row(OURS, (label, row.family, source(label, OURS), *ours[label])))
            pairs = zip(ours[label], values, strict=True)
            deltas = [o - r if None not in (o, r) else None for o, r in pairs]
            if any(d is not None for d in deltas):
                cells = (label, row.family, source(label, DIFFERENCE), *deltas)
                rows.append(Row(DIFFERENCE, cells))
    for label in sorted(ours.keys() - matched):
        rows.append(Row(OURS, (label, first[label].family, source(label, OURS), *ours[label])))
    return rows


def study_table(key, name, caption, columns, runs, reported) -> Table:
    headers = ("Model", "Family", "Source", *(c.header for c in columns))
    return Table(key, name, caption, headers, tuple(study_rows(columns, runs, reported)))


def table1(runs: Sequence[Run]) -> Table:
    columns = [column(d, s, reference=f"{d}_{s}") for d in SCIENTIFIC for s in ("0shot", "1shot")]
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
        "evaluated zero-shot on its test split.",
        columns,
        runs,
        load_reported("table2"),
    )


def table3(runs: Sequence[Run]) -> Table:
    columns = [column(d, "0shot", reference=d) for d in GENERAL]
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


# METRICS follow "Prompt", in their order.
RUN_HEADERS = (
    "Model",
    "Family",
    "Task",
    "Dataset",
    "Setting",
    "Trained on",
    "Prompt",
    "F1",
    "F1 stderr",
    "Precision",
    "Recall",
    "Normalised F1",
    "Hallucination rate",
    "Parse failure rate",
    "Documents",
    "Test documents",
    "Results file",
)


def runs_table(runs: Sequence[Run]) -> Table:
    rows = []
    for run in runs:
        rows.append(
            Row(
                OURS,
                (
                    run.model,
                    run.family,
                    run.task,
                    run.dataset,
                    run.setting,
                    run.trained_on,
                    run.prompt_format,
                    *(percent(run.metrics[name]) for name in METRICS),
                    run.n_samples,
                    run.n_original,
                    str(run.results_path),
                ),
            )
        )
    return Table(
        "runs",
        "All runs",
        "Every run read, newest kept where a model, setting and task came twice; rates in %. "
        "Documents: lm-eval documents evaluated, of the test split's (fewer: --limit).",
        RUN_HEADERS,
        tuple(rows),
    )


def per_type_table(runs: Sequence[Run]) -> Table:
    rows = []
    for run in runs:
        if run.samples is None:
            continue
        for entity_type, c in run.samples.score.per_type.items():
            rows.append(
                Row(
                    OURS,
                    (
                        run.model,
                        run.setting,
                        run.task,
                        entity_type,
                        c.tp + c.fn,
                        c.tp + c.fp,
                        c.tp,
                        c.fp,
                        c.fn,
                        percent(c.precision),
                        percent(c.recall),
                        percent(c.f1),
                    ),
                )
            )
    headers = (
        "Model",
        "Setting",
        "Task",
        "Type",
        "Gold",
        "Predicted",
        "TP",
        "FP",
        "FN",
        "Precision",
        "Recall",
        "F1",
    )
    return Table(
        "per_type",
        "Per-type F1 (from logged samples)",
        "Strict counts per entity type, re-scored from the runs' --log_samples files.",
        headers,
        tuple(rows),
    )


def errors_table(runs: Sequence[Run]) -> Table:
    rows = []
    for run in runs:
        if run.samples is None:
            continue
        s, e = run.samples, run.samples.score.errors
        rows.append(
            Row(
                OURS,
                (
                    run.model,
                    run.setting,
                    run.task,
                    s.sentences,
                    s.generations,
                    s.failed,
                    e.correct,
                    e.wrong_type,
                    e.wrong_boundary,
                    e.spurious,
                    e.missed,
                    percent(s.score.hallucination_rate),
                    percent(s.score.f1),
                ),
            )
        )
    headers = (
        "Model",
        "Setting",
        "Task",
        "Sentences",
        "Generations",
        "Parse failures",
        "Correct",
        "Wrong type",
        "Wrong boundary",
        "Spurious",
        "Missed",
        "Hallucination rate",
        "F1",
    )
    return Table(
        "errors",
        "Error classes (from logged samples)",
        "Predictions are correct, of the wrong type, with wrong boundaries or spurious; missed "
        "counts gold entities no prediction matched (sciner_tasks.scoring.classify_predictions).",
        headers,
        tuple(rows),
    )
