"""IEPile / OneKE: a JSON instruction per chunk of entity types, answered with a JSON object.

Reproduces zjunlp/IEPile (anchors.md, settings.md): the input is the JSON string
{"instruction": ..., "schema": [types], "input": text} with the English NER instruction; the
types (verbalised) are split into chunks of `split_num` = 6, a remainder of at least
split_num // 2 forming its own chunk and a smaller one joining the last chunk; one generation
per chunk. The answer is a JSON object with every schema type of the chunk as a key ([] where
none), written with non-ASCII characters as they are. Generation stops at `</s>`.

The JSON string is wrapped in the base model's template: `templates.LLAMA2_CHAT` for the
Llama2-13B-chat adapter (the default), `templates.BAICHUAN2_CHAT` for the Baichuan2 one.

Our choices where the anchors are silent:
- IEPile's scorer gives no predictions unless the output decodes to a dict of lists of
  strings. We read what we can (the first object; prose around it; cut-off output keeps its
  complete lists and strings) and mark the answer failed whenever a repair was needed.
- Duplicate entities are kept in targets and predictions: IEPile scores multisets.
- 1-shot: the demonstration is an earlier turn of the same chat (same chunk of types),
  answered with its gold JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .base import Demonstration, Parsed, PromptFormat, Query, parse_type_lists, type_lists
from .templates import LLAMA2_CHAT, TurnTemplate

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


def instruction(text: str, labels: Sequence[str], types: Mapping[str, str]) -> str:
    record = {"instruction": INSTRUCTION, "schema": [types[lab] for lab in labels], "input": text}
    return json.dumps(record, ensure_ascii=False)


def answer(
    labels: Sequence[str], entities: Sequence[tuple[str, str]], types: Mapping[str, str]
) -> str:
    return json.dumps(type_lists(labels, entities, types), ensure_ascii=False)


@dataclass(frozen=True)
class IEPileFormat(PromptFormat):
    name: str = "iepile"
    template: TurnTemplate = LLAMA2_CHAT
    split_num: int = SPLIT_NUM
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
        for labels in chunks(list(types), self.split_num):
            shots = [
                (instruction(d.text, labels, types), answer(labels, d.entities, types))
                for d in demonstrations
            ]
            prompt = self.template.render(shots, instruction(text, labels, types))
            queries.append(Query(prompt, tuple(labels)))
        return queries

    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        return answer(query.types, entities, types)

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        return parse_type_lists(output, types)
