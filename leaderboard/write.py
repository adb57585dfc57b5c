"""The site folder of a build.

SITE_DIR gets index.html (page), leaderboard.md, leaderboard.csv (one line per run),
leaderboard.json (tables, runs with their breakdowns, problems), the figures as .svg files
(the Markdown links them; the page inlines them) and errors/, one error page per run with
logged samples (linked from its rows). The folder is replaced as a whole (`write_site`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sciner_tasks.data.store import replace_directory

from . import error_pages, export, page
from .collect import progress
from .links import ERRORS_DIR, page_path
from .plots import FIGURE_FILES
from .site import Site


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def write_error_pages(site: Site, out: Path) -> list[Path]:
    """One page per run with samples, each written as soon as it is rendered (a WLPC page is
    megabytes)."""
    runs = [run for run in site.collection.runs if run.samples is not None]
    if runs:
        (out / ERRORS_DIR).mkdir()
    return [
        write_text(out / page_path(run), error_pages.render(run))
        for run in progress(runs, "error pages")
    ]


def write_outputs(site: Site, out: Path) -> list[Path]:
    outputs = {
        "index.html": page.render(site),
        "leaderboard.md": export.markdown(site),
        "leaderboard.csv": export.csv_text(site.runs),
        "leaderboard.json": export.json_text(site),
    }
    for key, name in FIGURE_FILES.items():
        if site.figures[key] is not None:
            outputs[name] = site.figures[key]
    written = [write_text(out / name, text) for name, text in outputs.items()]
    return written + write_error_pages(site, out)


class NotASite(ValueError):
    """`--out` names a folder that holds something other than a sciner site."""


def foreign_entries(out: Path) -> list[str]:
    """What in `out` a site build did not write: nothing may be lost by replacing it."""
    if not out.exists():
        return []
    if not out.is_dir():
        return [out.name]
    ours = {"index.html", "leaderboard.md", "leaderboard.csv", "leaderboard.json"}
    ours |= set(FIGURE_FILES.values())
    foreign = []
    for entry in sorted(out.iterdir()):
        if entry.name == ERRORS_DIR and entry.is_dir():
            foreign += [f"{entry.name}/{p.name}" for p in entry.iterdir() if p.suffix != ".html"]
        elif entry.name not in ours or not entry.is_file():
            foreign.append(entry.name)
    return foreign


def write_site(site: Site, out: Path) -> list[Path]:
    """Write every output into a new folder beside `out`, then put it in place of `out` as a
    whole: a failed build leaves the previous site as it was, and a rebuild leaves nothing of
    the previous one (a figure or error page it did not write would mislead). A folder that
    holds anything a build does not write is refused, never replaced. Returns the files
    written, under `out`."""
    foreign = foreign_entries(out)
    if foreign:
        raise NotASite(
            f"{out} is not a sciner site (it holds {', '.join(foreign[:5])}"
            f"{' ...' if len(foreign) > 5 else ''}); it is left untouched: choose another --out"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        written = write_outputs(site, staging)
        staging.chmod(0o755)  # mkdtemp's 0o700 would hide a published site from its server
        replace_directory(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / path.relative_to(staging) for path in written]
