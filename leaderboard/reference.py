"""The reference study's reported F1 (percent), shipped as CSV copies of its Tables 1-3.

The study's Tables 1 and 2 disagree on two zero-shot values (Llama2 70B and YAYI-UIE on
SciERC); each table keeps its own, as reported.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

REFERENCE_DIR = Path(__file__).parent / "reference"
FILES = {
    "table1": "table1_zero_few_shot.csv",
    "table2": "table2_sft.csv",
    "table3": "table3_general_zero_shot.csv",
}


@dataclass(frozen=True)
class ReportedRow:
    model: str
    family: str
    # CSV column (e.g. "scierc_0shot", or "conll2003" in Table 3) -> F1 in percent; the study's
    # empty cells are absent.
    values: dict[str, float]


def parse_reported(lines: list[str]) -> list[ReportedRow]:
    rows = []
    for record in csv.DictReader(lines):
        model, family = record.pop("model"), record.pop("family")
        values = {column: float(value) for column, value in record.items() if value.strip()}
        rows.append(ReportedRow(model, family, values))
    return rows


def load_reported(table: str) -> list[ReportedRow]:
    """The reported rows of "table1", "table2" or "table3", in the study's order."""
    text = (REFERENCE_DIR / FILES[table]).read_text(encoding="utf-8")
    return parse_reported(text.splitlines())


@functools.cache
def reported_families() -> dict[str, str]:
    """Study model name -> its family (proprietary, open, s-llm, plm)."""
    return {row.model: row.family for table in FILES for row in load_reported(table)}
