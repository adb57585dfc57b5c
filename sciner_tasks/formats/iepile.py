"""IEPile / OneKE: a JSON instruction per chunk of entity types, answered with a JSON object.

Reproduces zjunlp/IEPile (anchors.md): the input is the JSON string {"instruction": ...,
"schema": [types], "input": text} with the English NER instruction; the types are split into
chunks of `split_num` = 6, a remainder of at least split_num // 2 forming its own chunk and a
smaller one joining the last chunk; one generation per chunk. The answer is a JSON object
with every schema type as a key ([] where none); anything that does not decode to a dict of
lists of strings is a parse failure (what a tolerant read recovers still counts).

The JSON string is wrapped in the base model's template (base.LLAMA2_CHAT for the Llama2
adapter, base.BAICHUAN2_CHAT for the Baichuan2 one). 1-shot (our choice): the demonstration is
an earlier turn of the same chat, answered with its gold JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from .base import (
    Demonstration,
    Parsed,
    PromptFormat,
    Query,
    TurnTemplate,
    entities_of,
    label_of,
    unique,
)
from .literal import read_literal

INSTRUCTION = (
    "You are an expert in named entity recognition. Please extract entities that match the "
    "schema definition from the input. Return an empty list if the entity type does not "
    "exist. Please respond in the format of a JSON string."
)
SPLIT_NUM = 6


def chunks(labels: Sequence[str], split_num: int = SPLIT_NUM) -> list[list[str]]:
    """IEPile's schema chunks: full chunks of split_num; the remainder forms its own chunk
    when it has at least split_num // 2 types, else it joins the last chunk."""
    groups = [list(labels[i : i + split_num]) for i in range(0, len(labels), split_num)]
    if len(groups) > 1 and len(groups[-1]) < split_num // 2:
        remainder = groups.pop()
        groups[-1] += remainder
    return groups


def answer(query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]) -> str:
    wanted = entities_of(query, entities)
    record = {
        types[label]: unique([text for lab, text in wanted if lab == label])
        for label in query.types
    }
    return json.dumps(record, ensure_ascii=False)


class IEPileFormat(PromptFormat):
    stop = ("</s>",)
    chat = False

    def __init__(self, name: str, template: TurnTemplate) -> None:
        self.name = name
        self.template = template

    def queries(
        self,
        text: str,
        types: Mapping[str, str],
        domain: str = "",
        demonstrations: Sequence[Demonstration] = (),
    ) -> list[Query]:
        queries = []
        for labels in chunks(list(types)):
            query = Query("", tuple(labels))
            shots = [
                (self._input(d.text, labels, types), answer(query, d.entities, types))
                for d in demonstrations
            ]
            prompt = self.template.render(shots, self._input(text, labels, types))
            queries.append(Query(prompt, tuple(labels)))
        return queries

    @staticmethod
    def _input(text: str, labels: Sequence[str], types: Mapping[str, str]) -> str:
        return json.dumps(
            {"instruction": INSTRUCTION, "schema": [types[lab] for lab in labels], "input": text},
            ensure_ascii=False,
        )

    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        return answer(query, entities, types)

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        literal = read_literal(output, "{")
        if not isinstance(literal.value, dict):
            return Parsed((), True)
        found, malformed = [], False
        for key, values in literal.value.items():
            if isinstance(values, str):
                values, malformed = [values], True
            if not isinstance(values, list):
                malformed = True
                continue
            strings = [v for v in values if isinstance(v, str)]
            malformed = malformed or len(strings) != len(values)
            found += [(label_of(key, types), text) for text in strings]
        return Parsed(tuple(found), malformed or not literal.complete)
