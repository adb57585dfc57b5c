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


def first_line(error: BaseException) -> str:
    """An exception's message as one line (its first), for an `error:` line; its type's name
    when it has no message."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


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
        """Build and validate a sentence from a plain dict (a JSONL line, a Hub row).

        Values of the wrong JSON type are refused, not coerced: `null` must not become the
        text "None", nor a fractional offset an integer."""
        missing = {"id", "doc_id", "split", "text", "tokens", "entities"} - record.keys()
        if missing:
            raise DataError(f"{where}: missing field(s) {sorted(missing)}")
        strings = {key: _string(record, key, where) for key in ("id", "doc_id", "split", "text")}
        tokens, entities = record["tokens"], record["entities"]
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise DataError(f"{where}: tokens must be a list of strings, got {_json(tokens)}")
        if not isinstance(entities, list):
            raise DataError(f"{where}: entities must be a list, got {_json(entities)}")
        sentence = cls(
            tokens=tuple(tokens),
            entities=tuple(_entity(e, f"{where}: entity {i + 1}") for i, e in enumerate(entities)),
            **strings,
        )
        validate(sentence, where)
        return sentence


def _json(value: Any) -> str:
    """A value as the JSON it came from, shortened: messages quote the input, not Python."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _string(record: dict[str, Any], key: str, where: str) -> str:
    if not isinstance(record[key], str):
        raise DataError(f"{where}: {key} must be a string, got {_json(record[key])}")
    return record[key]


def _integer(record: dict[str, Any], key: str, where: str) -> int:
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(f"{where}: {key} must be an integer, got {_json(value)}")
    return value


def _entity(record: Any, where: str) -> Entity:
    if not isinstance(record, dict):
        raise DataError(f"{where}: must be an object, got {_json(record)}")
    missing = {"start", "end", "type", "text"} - record.keys()
    if missing:
        raise DataError(f"{where}: missing field(s) {sorted(missing)}")
    return Entity(
        _integer(record, "start", where),
        _integer(record, "end", where),
        _string(record, "type", where),
        _string(record, "text", where),
    )


def decode_utf8(data: bytes, path: Any) -> str:
    """File bytes as text; a byte-order mark is an encoding mark, not text, and is removed.
    Invalid UTF-8 is an error naming the file and line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise DataError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[err.start]:02x}: {err.reason})"
        ) from err


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
