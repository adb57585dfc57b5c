"""UniNER: one conversation per (sentence, entity type), answered with a JSON list.

Reproduces universal-ner's conversation template (anchors.md), rendered as the raw string the
model was trained on (lm-eval cannot pass a multi-turn message list):
`{system} USER: Text: {text} ASSISTANT: I've read this text.</s>USER: What describes {type}
in the text? ASSISTANT:`. Every type is asked for every sentence, types verbalised lowercase
with spaces (the registry's verbalisations). Inference stops at `</s>`, 256 new tokens.

Parsing follows UniNER: an answer that does not start with a JSON list counts as [] (and as a
parse failure here); items are de-duplicated. Normalisation is the scorer's business
(`normalised_f1`), so parse returns the strings as written.

1-shot (our choice): the demonstration is an earlier exchange of the same conversation about
the same type: its text, the acknowledgement, the question and the gold JSON answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from .base import Demonstration, Parsed, PromptFormat, Query, unique
from .literal import read_literal

SYSTEM = "A virtual assistant answers questions from a user based on the provided text."


def exchange(text: str, words: str) -> str:
    return f"USER: Text: {text} ASSISTANT: I've read this text.</s>USER: What describes {words} in the text? ASSISTANT:"  # noqa: E501


def texts_of(label: str, entities: Sequence[tuple[str, str]]) -> list[str]:
    return [text for lab, text in entities if lab == label]


def answer(texts: Sequence[str]) -> str:
    return json.dumps(unique(texts), ensure_ascii=False)


class UniNERFormat(PromptFormat):
    name = "uniner"
    stop = ("</s>",)
    chat = False

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
                f"{exchange(d.text, words)} {answer(texts_of(label, d.entities))}</s>"
                for d in demonstrations
            )
            queries.append(Query(f"{SYSTEM} {shots}{exchange(text, words)}", (label,)))
        return queries

    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        # The prompt ends with "ASSISTANT:"; the model's turn starts with a space.
        return " " + answer(texts_of(query.types[0], entities))

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        stripped = output.strip()
        if not stripped.startswith("["):
            return Parsed((), True)
        literal = read_literal(stripped, "[")
        strings = [item for item in literal.value or [] if isinstance(item, str)]
        malformed = len(strings) != len(literal.value or [])
        (label,) = query.types
        return Parsed(
            tuple((label, text) for text in unique(strings)), malformed or not literal.complete
        )
