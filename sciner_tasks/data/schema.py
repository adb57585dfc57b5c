"""The one record schema every sciner dataset is converted to.

A record is one sentence with its gold entities as character spans into the sentence text.
Both the typed dataclasses and the `datasets.Features` definition live here, so the JSONL we
ship, the Hub DatasetDict we push and the objects the tasks consume cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


class DataError(ValueError):
    """Input data is malformed; the message names the file and line or record."""


@dataclass(frozen=True, order=True)
class Entity:
    """A gold entity: `text` is always `sentence.text[start:end]`."""

    start: int
    end: int
    type: str
    text: str


@dataclass(frozen=True)
class Sentence:
    id: str
    doc_id: str
    split: str
    text: str
    tokens: tuple[str, ...]
    entities: tuple[Entity, ...] = field(default=())

    def to_json(self) -> str:
        record = asdict(self)
        record["tokens"] = list(self.tokens)
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, record: dict[str, Any], where: str = "record") -> Sentence:
        """Build and validate a sentence from a plain dict (a JSONL line, a Hub row)."""
        missing = {"id", "doc_id", "split", "text", "tokens", "entities"} - record.keys()
        if missing:
            raise DataError(f"{where}: missing field(s) {sorted(missing)}")
        try:
            entities = tuple(
                Entity(int(e["start"]), int(e["end"]), str(e["type"]), str(e["text"]))
                for e in record["entities"]
            )
        except (KeyError, TypeError, ValueError) as err:
            raise DataError(f"{where}: malformed entity list ({err!r})") from err
        sentence = cls(
            id=str(record["id"]),
            doc_id=str(record["doc_id"]),
            split=str(record["split"]),
            text=str(record["text"]),
            tokens=tuple(str(t) for t in record["tokens"]),
            entities=entities,
        )
        validate(sentence, where)
        return sentence


def validate(sentence: Sentence, where: str) -> None:
    """Raise DataError unless every entity is a non-empty, in-range span whose text matches."""
    n = len(sentence.text)
    for e in sentence.entities:
        if not 0 <= e.start < e.end <= n:
            raise DataError(
                f"{where}: entity {e.type} [{e.start}, {e.end}) is out of range for a "
                f"sentence of {n} characters (id {sentence.id})"
            )
        if sentence.text[e.start : e.end] != e.text:
            raise DataError(
                f"{where}: entity {e.type} [{e.start}, {e.end}) has text {e.text!r} but the "
                f"sentence has {sentence.text[e.start : e.end]!r} there (id {sentence.id})"
            )
        if not e.type:
            raise DataError(f"{where}: entity [{e.start}, {e.end}) has an empty type")


def features():
    """The `datasets.Features` of a sentence record (imported lazily: datasets is heavy)."""
    import datasets

    return datasets.Features(
        {
            "id": datasets.Value("string"),
            "doc_id": datasets.Value("string"),
            "split": datasets.Value("string"),
            "text": datasets.Value("string"),
            "tokens": datasets.Sequence(datasets.Value("string")),
            "entities": [
                {
                    "start": datasets.Value("int32"),
                    "end": datasets.Value("int32"),
                    "type": datasets.Value("string"),
                    "text": datasets.Value("string"),
                }
            ],
        }
    )
