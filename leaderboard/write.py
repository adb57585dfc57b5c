"""The site folder of a build.

SITE_DIR gets index.html (page), leaderboard.md, leaderboard.csv (one line per run),
leaderboard.json (tables, runs with their breakdowns, problems), the figures as .svg files
(the Markdown links them; the page inlines them) and errors/, one error page per run with
logged samples (linked from its rows).
"""

from __future__ import annotations

from pathlib import Path

from . import error_pages, export, page
from .collect import progress
from .plots import FIGURE_FILES
from .site import Site


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def write_error_pages(site: Site, out: Path) -> list[Path]:
    """One page per run with samples, each written as soon as it is rendered (a WLPC page is
    megabytes); pages of an earlier build that this one did not write are removed, as they
    would mislead."""
    folder = out / error_pages.ERRORS_DIR
    runs = [run for run in site.collection.runs if run.samples is not None]
    if runs:
        folder.mkdir(exist_ok=True)
    written = [
        write_text(out / error_pages.page_path(run), error_pages.render(run))
        for run in progress(runs, "error pages")
    ]
    if folder.is_dir():
        for stale in set(folder.glob("*.html")) - set(written):
            stale.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()
    return written


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
    written = [write_text(out / name, text) for name, text in outputs.items()]
    return written + write_error_pages(site, out)
