"""UniNER: one conversation per (sentence, entity type), answered with a JSON list.

Reproduces universal-ner's conversation (anchors.md) as the raw string the model was trained
on, since lm-eval cannot pass a multi-turn message list (`chat = False`):
`{system} USER: Text: {text} ASSISTANT: I've read this text.</s>USER: What describes {type}
in the text? ASSISTANT:`. Every type is asked for every sentence, verbalised lowercase with
spaces (the registry's verbalisations). Generation stops at `</s>`.

Parsing follows UniNER: an answer that does not start with a list (after leading spaces)
counts as [] and, here, as a failure; answers are de-duplicated. Normalisation (case,
punctuation, articles) is the scorer's business (`normalised_f1`), so parse returns the
strings as written. Unlike UniNER, a cut-off list keeps its complete strings (marked failed).

Our choices where the anchors are silent:
- 1-shot: the demonstration is an earlier exchange of the same conversation about the same
  type (its text, the acknowledgement, the question, the gold JSON answer and `</s>`).
- `target` is " " + the JSON list (de-duplicated, non-ASCII kept): the conversation renders
  "ASSISTANT: [...]", so the answer starts with a space. The trainer appends the end of
  sequence (`</s>`) itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .base import Demonstration, Parsed, PromptFormat, Query
from .literal import read_literal

SYSTEM = "A virtual assistant answers questions from a user based on the provided text."


def exchange(text: str, words: str) -> str:
    return (
        f"USER: Text: {text} ASSISTANT: I've read this text.</s>"
        f"USER: What describes {words} in the text? ASSISTANT:"
    )


def answer(label: str, entities: Sequence[tuple[str, str]]) -> str:
    texts = [text for lab, text in entities if lab == label]
    return json.dumps(list(dict.fromkeys(texts)), ensure_ascii=False)


@dataclass(frozen=True)
class UniNERFormat(PromptFormat):
    name: str = "uniner"
    stop: tuple[str, ...] = ("</s>",)
    chat: bool = False

    def queries(
        self,
        text: str,
        types: Mapping[str, str],
        domain: str = "",
        demonstrations: Sequence[Demonstration] = (),
    ) -> list[Query]:
        queries = []
        for label, words in types.items():
            shots = "".join(
                f"{exchange(d.text, words)} {answer(label, d.entities)}</s>" for d in demonstrations
            )
            queries.append(Query(f"{SYSTEM} {shots}{exchange(text, words)}", (label,)))
        return queries

    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        return " " + answer(query.types[0], entities)

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        stripped = output.lstrip()
        if not stripped.startswith("["):
            return Parsed((), True)
        literal = read_literal(stripped, "[")
        strings = [item for item in literal.value if isinstance(item, str)]
        label = query.types[0]
        entities = tuple((label, text) for text in dict.fromkeys(strings))
        return Parsed(entities, len(strings) != len(literal.value) or not literal.complete)
