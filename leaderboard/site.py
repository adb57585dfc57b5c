"""Everything one build shows: tables, figures and the collection they come from (written
to a folder by write.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .averages import averages_table
from .plots import cross_dataset_figure, precision_recall_figure
from .run_tables import errors_table, per_type_table, runs_table
from .runs import Collection
from .tables import Table, study_tables


@dataclass(frozen=True)
class Site:
    collection: Collection
    sources: tuple[str, ...]  # the results folders, as given
    study: tuple[Table, ...]  # Tables 1-3 and the cross-dataset table
    averages: Table  # mean F1 per model and setting over each domain's sets
    runs: Table
    per_type: Table
    errors: Table
    figures: dict[str, str | None]  # FIGURE_FILES key -> SVG, None when there is nothing to plot

    @property
    def tables(self) -> tuple[Table, ...]:
        return (*self.study, self.averages, self.runs, self.per_type, self.errors)


def build_site(collection: Collection, sources: Sequence[str]) -> Site:
    study = tuple(study_tables(collection.runs))
    cross = next(t for t in study if t.key == "cross_dataset")
    return Site(
        collection=collection,
        sources=tuple(str(s) for s in sources),
        study=study,
        averages=averages_table(collection.runs),
        runs=runs_table(collection.runs),
        per_type=per_type_table(collection.runs),
        errors=errors_table(collection.runs),
        figures={
            "figure1": precision_recall_figure(collection.runs),
            "figure2": cross_dataset_figure(cross),
        },
    )
