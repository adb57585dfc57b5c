"""The site folder of a build.

SITE_DIR gets index.html (page), leaderboard.md, leaderboard.csv (one line per run),
leaderboard.json (tables, runs with their breakdowns, problems) and the figures as .svg files
(the Markdown links them; the page inlines them).
"""

from __future__ import annotations

from pathlib import Path

from . import export, page
from .plots import FIGURE_FILES
from .site import Site


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
