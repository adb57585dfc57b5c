"""YAYI-UIE: one instruction per sentence, answered with a JSON object {type: [entities]}.

Reproduces wenge-research/YAYI-UIE's English NER prompt (anchors.md), wrapped in the Baichuan2
turn markers `<reserved_13>{prompt}<reserved_14>`: "Text: {text} \\nFrom the given text,
extract all the entities and types. Please format the answer in json
{type1/type2/...：[entities]}." with the full-width colon; the type slot lists the verbalised
types joined by '/'. The repository has no parser; ours reads the first JSON-like object,
accepting full-width punctuation and unquoted words. Gold answers list only the types that
occur ({} when none), as the prompt asks for entities and their types.
1-shot (our choice): the demonstration is an earlier turn, answered with its gold JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from .base import (
    BAICHUAN2_CHAT,
    Demonstration,
    Parsed,
    PromptFormat,
    Query,
    entities_of,
    label_of,
    unique,
)
from .literal import read_literal


def instruction(text: str, types: Mapping[str, str]) -> str:
    return (
        f"Text: {text} \nFrom the given text, extract all the entities and types. Please "
        f"format the answer in json {{{'/'.join(types.values())}：[entities]}}."
    )


def answer(entities: Sequence[tuple[str, str]], types: Mapping[str, str]) -> str:
    record: dict[str, list[str]] = {}
    for label, text in entities:
        record.setdefault(types.get(label, label), []).append(text)
    return json.dumps({k: unique(v) for k, v in record.items()}, ensure_ascii=False)


class YayiFormat(PromptFormat):
    name = "yayi"
    stop = ("</s>",)
    chat = False

    def queries(
        self,
        text: str,
        types: Mapping[str, str],
        domain: str = "",
        demonstrations: Sequence[Demonstration] = (),
    ) -> list[Query]:
        shots = [(instruction(d.text, types), answer(d.entities, types)) for d in demonstrations]
        return [Query(BAICHUAN2_CHAT.render(shots, instruction(text, types)), tuple(types))]

    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        return answer(entities_of(query, entities), types)

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        literal = read_literal(output, "{")
        if not isinstance(literal.value, dict):
            return Parsed((), True)
        found, malformed = [], False
        for key, values in literal.value.items():
            values = [values] if isinstance(values, str) else values
            if not isinstance(values, list):
                malformed = True
                continue
            strings = [v for v in values if isinstance(v, str)]
            malformed = malformed or len(strings) != len(values)
            found += [(label_of(key, types), text) for text in unique(strings)]
        return Parsed(tuple(found), malformed or not literal.complete)
