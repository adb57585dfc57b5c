"""YAYI-UIE: one instruction per sentence, answered with a JSON object {type: [entities]}.

Reproduces wenge-research/YAYI-UIE's English NER prompt (README_EN.md, Inference and Sample
Prompts) in its turn markers `<reserved_13>{prompt}<reserved_14>` (`templates.YAYI_CHAT`):
"Text: {text} \\nFrom the given text, extract all the entities and types. Please format the
answer in json {type1/type2/...：[entities]}." with the full-width colon. The type slot lists
the dataset's verbalised types joined by '/', as the README's example `{location/person/
organization：[entities]}` does. One query per sentence asks for every type. Decoding is the
README's: the model's own generation_config with temperature 0 and at most 512 new tokens, so
nothing else is pinned.

Our choices where YAYI-UIE is silent (the repository has no parser, scorer or training data):
- `target` lists only the types that occur, in the dataset's type order, each entity once
  ({} when none): the prompt asks for "the entities and types", not for an object keyed by
  every type.
- Parsing reads the first object, accepting full-width colon and comma, curly quotes and
  prose around it; anything repaired marks the answer failed.
- Generation stops at `</s>`, Baichuan2's end of sequence.
- 1-shot: the demonstration is an earlier turn, answered with its gold JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import Demonstration, Parsed, PromptFormat, Query, asked, parse_type_lists, type_lists
from .templates import YAYI_CHAT


def instruction(text: str, types: Mapping[str, str]) -> str:
    return (
        f"Text: {text} \nFrom the given text, extract all the entities and types. Please "
        f"format the answer in json {{{'/'.join(types.values())}：[entities]}}."
    )


def answer(entities: Sequence[tuple[str, str]], types: Mapping[str, str]) -> str:
    occurring = {label for label, _ in entities}
    present = [label for label in types if label in occurring]
    return json.dumps(type_lists(present, entities, types), ensure_ascii=False)


@dataclass(frozen=True)
class YayiFormat(PromptFormat):
    name: str = "yayi"
    family: str = "yayi"
    stop: tuple[str, ...] = ("</s>",)
    chat: bool = False
    system: str | None = None
    max_gen_toks: int | None = 512
    generation: Mapping[str, Any] = field(default_factory=dict)

    def queries(
        self,
        text: str,
        types: Mapping[str, str],
        domain: str = "",
        demonstrations: Sequence[Demonstration] = (),
    ) -> list[Query]:
        shots = [(instruction(d.text, types), answer(d.entities, types)) for d in demonstrations]
        return [Query(YAYI_CHAT.render(shots, instruction(text, types)), tuple(types))]

    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        return answer(asked(query.types, entities), types)

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        return parse_type_lists(output, types)
