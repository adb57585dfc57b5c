"""Everything one build shows, and the folder it is written to.

SITE_DIR gets index.html (page), leaderboard.md, leaderboard.csv (one line per run),
leaderboard.json (tables, runs with their breakdowns, problems) and the figures as .svg files
(the Markdown links them; the page inlines them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import export, page
from .collect import Collection
from .plots import FIGURE_FILES, cross_dataset_figure, precision_recall_figure
from .tables import Table, errors_table, per_type_table, runs_table, study_tables


@dataclass(frozen=True)
class Site:
    collection: Collection
    sources: tuple[str, ...]  # the results folders, as given
    study: tuple[Table, ...]  # Tables 1-3 and the cross-dataset table
    runs: Table
    per_type: Table
    errors: Table
    figures: dict[str, str | None]  # FIGURE_FILES key -> SVG, None when there is nothing to plot

    @property
    def tables(self) -> tuple[Table, ...]:
        return (*self.study, self.runs, self.per_type, self.errors)


def build_site(collection: Collection, sources: Sequence[str]) -> Site:
    study = tuple(study_tables(collection.runs))
    cross = next(t for t in study if t.key == "cross_dataset")
    return Site(
        collection=collection,
        sources=tuple(str(s) for s in sources),
        study=study,
        runs=runs_table(collection.runs),
        per_type=per_type_table(collection.runs),
        errors=errors_table(collection.runs),
        figures={
            "figure1": precision_recall_figure(collection.runs),
            "figure2": cross_dataset_figure(cross),
        },
    )


def write_site(site: Site, out: Path) -> list[Path]:
    """Write every output into `out` (created if needed); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    outputs = {
        "index.html": page.render(site),
        "leaderboard.md": export.markdown(site),
        "leaderboard.csv": export.csv_text(site.runs),
        "leaderboard.json": export.json_text(site),
    }
    for key, name in FIGURE_FILES.items():
        if site.figures[key] is not None:
            outputs[name] = site.figures[key]
        else:
            (out / name).unlink(missing_ok=True)  # a figure of an earlier build would mislead
    written = []
    for name, text in outputs.items():
        path = out / name
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written
