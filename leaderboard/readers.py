"""Reading untrusted files: results and samples files found under the folders given.

Each reader bounds what it reads (regular files only, a size cap, JSON nesting depth and
number size), splits lines only at `\n` (lm-eval writes U+2028 unescaped inside JSON strings;
`str.splitlines` would cut a line there), and reports a problem naming file and line instead
of raising. Folders are searched recursively, through symbolic links, each real folder once.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .problems import Problems

RESULTS_PREFIX, SAMPLES_PREFIX = "results_", "samples_"
# lm-eval's results files are kilobytes; its samples files reach hundreds of megabytes.
MAX_BYTES = {".json": 256 << 20, ".jsonl": 4 << 30}
# Digits of a JSON number: Python refuses ints past 4,300 digits with a ValueError and turns
# floats past 1e308 into inf; no figure needs more than this.
MAX_NUMBER_DIGITS = 100
# A surrogate escape: JSON allows lone ones, which no UTF-8 file can then hold.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class UnreadableInput(ValueError):
    """A file or line that cannot be read as the JSON it should be; the message says why."""


def read_bytes(path: Path, problems: Problems) -> bytes | None:
    """The content of a regular file under its size cap, or None (reported)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            problems.add(path, "not a regular file (a pipe, device or socket); file skipped")
            return None
        limit = MAX_BYTES.get(path.suffix, MAX_BYTES[".json"])
        if info.st_size > limit:
            problems.add(path, f"larger than {limit >> 20} MiB; file skipped")
            return None
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except OSError as error:
        problems.add(path, f"unreadable ({error.strerror or error}); file skipped")
        return None


def read_text(path: Path, problems: Problems) -> str | None:
    data = read_bytes(path, problems)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.add(path, f"not UTF-8 (byte {error.start}); file skipped")
        return None


def read_lines(path: Path, problems: Problems) -> list[str]:
    """The lines of a JSON Lines file, split at `\\n` only (JSON escapes every other line end
    but U+2028 and U+2029, which lm-eval writes as they are)."""
    text = read_text(path, problems)
    return [] if text is None else text.split("\n")


def bounded_number(text: str) -> int | float:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise UnreadableInput(f"a number of {len(text)} characters")
    return float(text) if any(c in text for c in ".eE") else int(text)


def without_lone_surrogates(value: Any) -> Any:
    """Strings with each lone surrogate replaced by U+FFFD (no file or page can hold them)."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value


def parse_json(text: str) -> Any:
    """JSON with its numbers and nesting bounded: UnreadableInput (a ValueError) says what is
    out of bounds; json.JSONDecodeError what is not JSON."""
    try:
        value = json.loads(text, parse_int=bounded_number, parse_float=bounded_number)
    except RecursionError:
        raise UnreadableInput("JSON nested too deeply") from None
    return without_lone_surrogates(value) if SURROGATE_ESCAPE.search(text) else value


def read_json(path: Path, problems: Problems) -> Any:
    """The parsed file, or None (reported) when it cannot be read or is not JSON."""
    text = read_text(path, problems)
    if text is None:
        return None
    try:
        return parse_json(text)
    except json.JSONDecodeError as error:
        problems.add(
            path,
            f"invalid JSON ({error.msg}, column {error.colno}); file skipped",
            line=error.lineno,
        )
    except UnreadableInput as error:
        problems.add(path, f"unreadable JSON ({error}); file skipped")
    return None


def walk(folder: Path) -> Iterable[Path]:
    """Every file under `folder`, following symbolic links, each real folder once."""
    seen: set[str] = set()
    for root, folders, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            folders.clear()
            continue
        seen.add(real)
        folders.sort()
        yield from (Path(root, name) for name in sorted(files))


def find_files(folders: Iterable[Path], problems: Problems) -> tuple[list[Path], list[Path]]:
    results: set[Path] = set()
    samples: set[Path] = set()
    for folder in folders:
        if not folder.is_dir():
            problems.add(folder, "not a directory; skipped")
            continue
        for path in walk(folder):
            if path.name.startswith(RESULTS_PREFIX) and path.suffix == ".json":
                results.add(path)
            elif path.name.startswith(SAMPLES_PREFIX) and path.suffix == ".jsonl":
                samples.add(path)
    return sorted(results), sorted(samples)
