"""leaderboard.md, leaderboard.csv and leaderboard.json, and the cell formatting they share
with the page."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import fields
from typing import Any

from .plots import FIGURE_FILES
from .problems import Problem
from .runs import Run
from .site import Site
from .tables import DIFFERENCE, Row, Table

EMPTY = "–"
BEST = "★"
NOTE = (
    "F1, precision, recall and rates in percent (strict entity micro-F1, as the study). "
    '"reported" rows are the study\'s figures; "ours - reported" is the difference in F1 '
    'points. "ours (subset)": evaluated on part of a test split (lm-eval --limit), so not '
    "comparable with the study's full test sets. [low, high] after our F1 is its 95% "
    "interval, F1 ± 1.96 × the run's bootstrap f1_stderr (lm-eval's), clipped to [0, 100]. "
    f"In Tables 1-3 and the cross-dataset table, {BEST} marks the best of our runs in a "
    "column where it beats the second best at p < 0.05 (approximate randomisation test, "
    "paired by sentence, on the logged samples). No mark: the difference is not significant, "
    "or the two runs cannot be paired (no --log_samples, or they saw different sentences)."
)


def format_cell(value: Any, kind: str) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, float):
        return f"{value:+.2f}" if kind == DIFFERENCE else f"{value:.2f}"
    return str(value)


def interval_text(row: Row, index: int) -> str | None:
    """A cell's 95% interval as "[low, high]", None where it has none."""
    bounds = row.intervals[index] if index < len(row.intervals) else None
    return None if bounds is None else f"[{bounds[0]:.2f}, {bounds[1]:.2f}]"


def unseen_text(row: Row, index: int) -> str | None:
    """A fine-tuned cell's F1 on unseen test sentences, as "unseen 48.00"; None where none."""
    value = row.unseen[index] if index < len(row.unseen) else None
    return None if value is None else f"unseen {value:.2f}"


def cell_text(row: Row, index: int) -> str:
    """A cell as the Markdown shows it: value, 95% interval, the best mark, the F1 on unseen
    test sentences."""
    parts = [format_cell(row.cells[index], row.kind), interval_text(row, index)]
    if index in row.best:
        parts.append(BEST)
    unseen = unseen_text(row, index)
    parts.append(f"({unseen})" if unseen else None)
    return " ".join(p for p in parts if p)


# Characters that are Markdown syntax inside a table cell (CommonMark inline syntax and GFM's
# strikethrough); a backslash makes each literal. The backslash itself comes first.
MARKDOWN_PUNCTUATION = ("\\", "`", "*", "_", "[", "]", "~")
# HTML-significant characters, and the pipe as an entity too: GFM splits a row on a pipe
# before it reads any escape.
MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;"}


def summary(site: Site) -> str:
    c = site.collection
    return (
        f"Built from {c.results_files} results files and {c.samples_files} samples files in "
        f"{', '.join(site.sources)}: {len(c.runs)} runs; {c.skipped} input items skipped, "
        f'{c.warned} kept with a warning (see "Input problems").'
    )


def markdown_text(text: str) -> str:
    """Text shown as itself in Markdown, on one line: table cells and list items of input that
    may hold anything (model names, predicted types, paths)."""
    for character in MARKDOWN_PUNCTUATION:
        text = text.replace(character, "\\" + character)
    for character, entity in MARKDOWN_ENTITIES.items():
        text = text.replace(character, entity)
    return "<br>".join(text.splitlines())  # a line break would end the table row


def markdown_table(table: Table) -> list[str]:
    if not table.rows:
        return ["No runs in these results."]

    def line(cells) -> str:
        return "| " + " | ".join(markdown_text(c) for c in cells) + " |"

    numeric = [
        any(isinstance(r.cells[i], (int, float)) for r in table.rows)
        for i in range(len(table.headers))
    ]
    lines = [line(table.headers), "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    for row in table.rows:
        cells = [markdown_text(cell_text(row, i)) for i in range(len(row.cells))]
        if row.link:
            cells[0] = f"[{cells[0]}]({row.link})"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown(site: Site) -> str:
    lines = ["# sciner leaderboard", "", markdown_text(summary(site)), "", NOTE]
    figures = {"cross_dataset": "figure2", "runs": "figure1"}
    for table in site.tables:
        lines += ["", f"## {table.title}", "", table.caption, "", *markdown_table(table)]
        figure = figures.get(table.key)
        if figure and site.figures[figure] is not None:
            lines += ["", f"![{figure}]({FIGURE_FILES[figure]})"]
    lines += ["", "## Input problems", ""]
    lines += [
        f"- {'skipped' if p.skipped else 'warning'}: {markdown_text(str(p))}"
        for p in site.collection.problems
    ]
    if not site.collection.problems:
        lines.append("None.")
    return "\n".join(lines) + "\n"


# A text cell starting with one of these is a formula to a spreadsheet (=1+2, @SUM(...)).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """Numbers unformatted (percent, rounded to 4 decimals), empty cells empty, and text that
    a spreadsheet would run as a formula behind a quote (OWASP's CSV-injection rule)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([csv_cell(value) for value in row.cells])
    return buffer.getvalue()


def run_record(run: Run) -> dict[str, Any]:
    record = {f.name: getattr(run, f.name) for f in fields(run) if f.name != "samples"}
    record["metrics"] = dict(run.metrics)
    record["results_path"] = str(run.results_path)
    if run.samples is not None:
        s = run.samples
        record["samples"] = {
            "path": str(s.path),
            "sentences": s.sentences,
            "generations": s.generations,
            "failed": s.failed,
            "score": s.score.to_dict(),
        }
    return record


def row_record(row: Row) -> dict[str, Any]:
    """A table row; `intervals` (per cell, [low, high] or null), `best` (cell index -> why
    it is marked) and `unseen` (per cell, F1 on unseen test sentences or null) only where the
    row has them."""
    record: dict[str, Any] = {"kind": row.kind, "cells": list(row.cells), "link": row.link}
    if row.intervals:
        record["intervals"] = [list(i) if i else None for i in row.intervals]
    if row.best:
        record["best"] = {str(i): note for i, note in row.best.items()}
    if row.unseen:
        record["unseen"] = list(row.unseen)
    return record


def problem_record(problem: Problem) -> dict[str, Any]:
    return {
        "path": str(problem.path),
        "line": problem.line,
        "message": problem.message,
        "skipped": problem.skipped,
        "count": problem.count,
    }


def json_text(site: Site) -> str:
    """Everything: run metrics as lm-eval writes them (fractions), tables in percent."""
    c = site.collection
    document = {
        "note": NOTE,
        "sources": list(site.sources),
        "summary": {
            "results_files": c.results_files,
            "samples_files": c.samples_files,
            "runs": len(c.runs),
            "skipped": c.skipped,
            "warnings": c.warned,
        },
        "tables": [
            {
                "key": t.key,
                "title": t.title,
                "caption": t.caption,
                "headers": list(t.headers),
                "rows": [row_record(r) for r in t.rows],
            }
            for t in site.tables
        ],
        "runs": [run_record(r) for r in c.runs],
        "problems": [problem_record(p) for p in c.problems],
    }
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
