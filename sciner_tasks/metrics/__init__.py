"""Hugging Face `evaluate` metric modules over `sciner_tasks.scoring`.

`evaluate.load(SCINER_NER)` loads the entity-level NER metric from the installed package.
"""

from pathlib import Path

SCINER_NER = str(Path(__file__).resolve().parent / "sciner_ner")

__all__ = ["SCINER_NER"]
