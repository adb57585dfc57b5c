"""Problems found in the leaderboard's input: each names its file (and line), is issued as an
`InputWarning` as it is found, and is kept, so the outputs count and list it."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PARTS_LISTED = 20  # problems of the parts of one file listed one by one; the rest are counted


class InputWarning(UserWarning):
    """A results or samples file, or part of one, that was skipped or is incomplete."""


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str
    line: int | None = None
    # True: something was left out of the leaderboard; False: kept, but incomplete or suspect.
    skipped: bool = True
    count: int = 1  # input items it stands for: more than one for the unlisted rest of a file

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


class Problems(list):
    """The problems found so far; `add` also warns, so a CLI user sees them as they come."""

    def add(
        self,
        path: Path,
        message: str,
        line: int | None = None,
        skipped: bool = True,
        count: int = 1,
    ):
        problem = Problem(path, message, line, skipped, count)
        warnings.warn(str(problem), InputWarning, stacklevel=2)
        self.append(problem)


class PartProblems:
    """The problems of the parts (lines, entries) of one file, used as a context manager: the
    first PARTS_LISTED are added one by one, the rest only counted and, on leaving, added as
    one problem per kind (skipped or kept) that says how many there were."""

    def __init__(self, problems: Problems, path: Path, parts: str):
        self.problems = problems
        self.path = path
        self.parts = parts  # what the rest are, in the summary: "invalid lines"
        self.listed = 0
        self.unlisted: Counter[bool] = Counter()  # skipped -> problems not listed

    def add(self, message: str, line: int | None = None, skipped: bool = True):
        if self.listed < PARTS_LISTED:
            self.listed += 1
            self.problems.add(self.path, message, line, skipped)
        else:
            self.unlisted[skipped] += 1

    def __enter__(self) -> PartProblems:
        return self

    def __exit__(self, *exception) -> None:
        for skipped, count in sorted(self.unlisted.items(), reverse=True):
            outcome = "skipped" if skipped else "kept with a warning"
            self.problems.add(
                self.path,
                f"... and {count} more {self.parts}, not listed one by one; {outcome}",
                skipped=skipped,
                count=count,
            )
