"""Where a run's error page lives in the site: the tables link to it, the writer writes it."""

from __future__ import annotations

import hashlib
import re

from .runs import Run

ERRORS_DIR = "errors"  # the pages' folder in the site


def page_path(run: Run) -> str:
    """The run's page, relative to the site folder. Readable (task, model, setting) and unique:
    runs differ in their key, which the hash covers, while the readable part may collide once
    non-alphanumeric characters are dropped."""
    readable = re.sub(r"[^a-z0-9]+", "-", f"{run.task} {run.model} {run.setting}".lower())
    digest = hashlib.sha256(repr(run.key).encode()).hexdigest()[:8]
    return f"{ERRORS_DIR}/{readable.strip('-')}-{digest}.html"
