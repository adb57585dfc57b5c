"""The averages table: each model and setting's mean F1 over the scientific sets and over the
general-domain sets, reported and ours, each set weighing the same (as the study averages)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sciner_tasks.names import GENERAL_DOMAIN, SCIENTIFIC

from .numbers import percent
from .reference import FILES, load_reported, reported_families
from .runs import Run
from .tables import (
    DIFFERENCE,
    OURS,
    REPORTED,
    SETTING_NAMES,
    Row,
    Table,
)

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
