"""The leaderboard's tables, as plain values (percent; `export` and `page` format them).

The study's tables (1: zero- and one-shot, 2: zero-shot vs SFT, 3: general domain) and the
cross-dataset table put, for each study model, its reported row, then our run of the same model
and protocol, then their difference (ours - reported, in F1 points); our other models follow.
Our F1 values carry their 95% intervals, and a column's best run is marked where a paired test
on the logged samples says it beats the second best (`with_best_marks`). The averages table
gives each model and setting its mean F1 over the scientific sets and over the general-domain
sets, reported and ours. Then every run with all its metrics, and the
per-type and error-class breakdowns re-scored from logged samples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Any

from sciner_tasks.data import DATASETS
from sciner_tasks.names import GENERAL_DOMAIN, METRICS, SCIENTIFIC

from .links import page_path
from .pairing import paired_p_value
from .reference import FILES, ReportedRow, load_reported, reported_families
from .runs import Run
from .significance import ITERATIONS

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


def percent(value: float | None) -> float | None:
    return None if value is None else 100 * value


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
        'evaluated zero-shot on its test split. "unseen": F1 on the test sentences whose '
        "text is not in train (WLPC: 934 of 2,861 are), where it differs.",
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


# The averages table: each group's sets count once (the study's tables have no average column,
# and lm-eval's scored groups average sets, not sentences: sciner_tasks/tasks/README.md).
AVERAGE_GROUPS = (("Scientific", SCIENTIFIC), ("General-domain", GENERAL_DOMAIN))
# Where the study reports each setting: (table, its CSV column of a dataset). Tables 1 and 2
# disagree on two zero-shot values; 0-shot means take Table 1's, the zero-shot table.
REPORTED_SOURCES = {
    "0shot": (("table1", "{dataset}_0shot"), ("table3", "{dataset}")),
    "1shot": (("table1", "{dataset}_1shot"),),
    "sft": (("table2", "{dataset}_sft"),),
}


@dataclass
class SetScores:
    """One row's per-set F1 and F1 stderr (percent) in one setting; sets missing are absent."""

    f1: dict[str, float] = field(default_factory=dict)
    stderr: dict[str, float] = field(default_factory=dict)
    subset: set[str] = field(default_factory=set)  # sets evaluated on part of their split only


def group_mean(values: Mapping[str, float], datasets: Sequence[str]) -> float | None:
    """The unweighted mean over `datasets`, None unless every one has a value: a mean over
    fewer sets is another, easier or harder, benchmark."""
    if any(d not in values for d in datasets):
        return None
    return sum(values[d] for d in datasets) / len(datasets)


def group_stderr(stderr: Mapping[str, float], datasets: Sequence[str]) -> float | None:
    """The standard error of the mean of independent sets, as lm-eval's scored groups compute
    it: sqrt(sum of the squared errors) / number of sets; None unless every set has one."""
    if any(d not in stderr for d in datasets):
        return None
    return math.sqrt(sum(stderr[d] ** 2 for d in datasets)) / len(datasets)


def sets_text(scores: SetScores, datasets: Sequence[str]) -> str:
    """How many of the group's sets the row has ("3/4"), and how many more were evaluated only
    on a subset, which do not count ("3/4 (+1 subset)")."""
    text = f"{sum(d in scores.f1 for d in datasets)}/{len(datasets)}"
    subset = sum(d in scores.subset for d in datasets)
    return f"{text} (+{subset} subset)" if subset else text


def average_cells(scores: SetScores) -> tuple[Any, ...]:
    """Mean, its standard error and the sets it has, for each group."""
    cells: tuple[Any, ...] = ()
    for _, datasets in AVERAGE_GROUPS:
        mean = group_mean(scores.f1, datasets)
        stderr = group_stderr(scores.stderr, datasets) if mean is not None else None
        cells += (mean, stderr, sets_text(scores, datasets))
    return cells


def mean_differences(ours: SetScores, reported: SetScores) -> tuple[Any, ...]:
    """Ours - reported of each group's mean, in `average_cells`' places; a difference of
    standard errors or of set counts would mean nothing."""
    cells: tuple[Any, ...] = ()
    for _, datasets in AVERAGE_GROUPS:
        pair = group_mean(ours.f1, datasets), group_mean(reported.f1, datasets)
        cells += (None if None in pair else pair[0] - pair[1], None, None)
    return cells


def counts_for(run: Run, setting: str) -> bool:
    """Whether `run` fills a study-table cell of `setting`: an SFT run only on the set its
    adapter was trained on (Table 2), not across datasets."""
    in_domain = run.dataset if setting == "sft" else None
    return run.setting == setting and run.trained_on == in_domain


def our_scores(runs: Sequence[Run]) -> dict[tuple[str, str], SetScores]:
    """(model, setting) -> its runs' scores. A run on part of a test split (--limit) gives its
    set no score, only a mention: its F1 is not comparable with a full run's."""
    found: dict[tuple[str, str], SetScores] = {}
    for setting in SETTING_NAMES:
        for run in runs:
            if not counts_for(run, setting):
                continue
            scores = found.setdefault((run.model, setting), SetScores())
            if run.subset:
                scores.subset.add(run.dataset)
            elif run.metrics["f1"] is not None:
                scores.f1[run.dataset] = percent(run.metrics["f1"])
                if run.metrics["f1_stderr"] is not None:
                    scores.stderr[run.dataset] = percent(run.metrics["f1_stderr"])
    return found


def reported_scores() -> dict[tuple[str, str], SetScores]:
    """(study model, setting) -> the study's per-set F1, in the study's order of models; it
    reports no standard errors."""
    found: dict[tuple[str, str], SetScores] = {}
    for setting, sources in REPORTED_SOURCES.items():
        for table, pattern in sources:
            for row in load_reported(table):
                for dataset in SCIENTIFIC + GENERAL_DOMAIN:
                    value = row.values.get(pattern.format(dataset=dataset))
                    if value is not None:
                        found.setdefault((row.model, setting), SetScores()).f1[dataset] = value
    return found


def study_order() -> list[str]:
    """The study's models in the order of its tables, each once."""
    return list(dict.fromkeys(row.model for table in FILES for row in load_reported(table)))


def averages_rows(runs: Sequence[Run]) -> list[Row]:
    """Per study model and setting, its reported row, then our rows of that model and setting
    and their differences; then our models the study does not have."""
    ours, reported = our_scores(runs), reported_scores()
    study_model = {run.model: run.study_model for run in runs}
    family = {run.model: run.family for run in runs}
    rows = []

    def our_rows(label: str, setting: str, reference: SetScores | None):
        start = (label, family[label])
        cells = average_cells(ours[label, setting])
        rows.append(Row(OURS, (*start, OURS, SETTING_NAMES[setting], *cells)))
        deltas = mean_differences(ours[label, setting], reference) if reference is not None else ()
        if any(d is not None for d in deltas):
            rows.append(Row(DIFFERENCE, (*start, DIFFERENCE, SETTING_NAMES[setting], *deltas)))

    matched: set[tuple[str, str]] = set()
    for model in study_order():
        for setting in SETTING_NAMES:
            reference = reported.get((model, setting))
            if reference is not None:
                cells = (model, reported_families()[model], REPORTED, SETTING_NAMES[setting])
                rows.append(Row(REPORTED, (*cells, *average_cells(reference))))
            for label in sorted(m for m, s in ours if s == setting and study_model[m] == model):
                matched.add((label, setting))
                our_rows(label, setting, reference)
    for label in sorted({m for m, _ in ours}):
        for setting in SETTING_NAMES:
            if (label, setting) in ours and (label, setting) not in matched:
                our_rows(label, setting, None)
    return rows


def averages_table(runs: Sequence[Run]) -> Table:
    headers = ("Model", "Family", "Source", "Setting")
    for name, _ in AVERAGE_GROUPS:
        headers += (f"{name} mean F1", f"{name} SE", f"{name} sets")
    return Table(
        "averages",
        "Averages: mean F1 over the scientific and over the general-domain sets",
        "Unweighted mean of the sets' F1 (%), each set counting once: the four scientific sets "
        "(SciERC, STEM-ECR, MeasEval, WLPC) and the six general-domain ones (CoNLL-2003, "
        "CrossNER). A mean is shown only where the row has every set of the group; Sets says "
        'how many it has, and "+N subset" the sets evaluated on part of a test split only '
        "(--limit), which do not count. SE: sqrt(sum of the sets' squared F1 stderr) / N, "
        "where every set has one. SFT: each set's adapter trained on that set. The study "
        "reports no averages: its means are computed from its per-set F1 (0-shot from Table 1).",
        headers,
        tuple(averages_rows(runs)),
    )


def error_page(run: Run) -> str | None:
    return page_path(run) if run.samples is not None else None


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
    "F1 unseen",
    "F1 unseen stderr",
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
                error_page(run),
                intervals=(None,) * RUN_HEADERS.index("F1") + (interval(run),),
            )
        )
    return Table(
        "runs",
        "All runs",
        "Every run read, newest kept where a model, setting and task came twice; rates in %. "
        "Documents: lm-eval documents evaluated, of the test split's (fewer: --limit). A "
        "model name links to the run's error page, where its samples were logged.",
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
                error_page(run),
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
        "counts gold entities no prediction matched (sciner_tasks.scoring.classify_predictions). "
        "A model name links to the run's error page: every sentence, its errors marked.",
        headers,
        tuple(rows),
    )
