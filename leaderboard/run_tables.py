"""Every run with all its metrics (linked to its error page), and the per-type and
error-class breakdowns re-scored from the logged samples."""

from __future__ import annotations

from collections.abc import Sequence

from sciner_tasks.names import METRICS

from .links import page_path
from .numbers import percent
from .runs import Run
from .tables import (
    OURS,
    Row,
    Table,
    interval,
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
                    run.format_name,
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
        "Every run read, the newest kept where the same run came twice; rates in %. "
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
