"""IEPile: a JSON instruction per chunk of entity types, answered with a JSON object.

Reproduces zjunlp/IEPile's NER protocol. The input is ie2instruction/convert_func.py
`multischema_construct_instruction`: `json.dumps({"instruction": ..., "schema": [types],
"input": text}, ensure_ascii=False)` with the English NER instruction of
convert/utils/instruction.py. The types (verbalised as IEPile's data names them,
`DatasetSpec.types_for("iepile")`) are split as `multischema_split_by_num_test` splits them:
chunks of `split_num` = 6 (the README's value for NER), a remainder of at least 3 forming its
own chunk and a smaller one joining the last. One generation per chunk. The gold answer is
convert/converter/ner_converter.py `convert_target`: a JSON object with every type of the
chunk as a key, in chunk order, each entity once (convert/processer/ner_processer.py
`filter_lable`), [] where none, non-ASCII kept.

The JSON string is wrapped in the base model's template: `templates.LLAMA2_CHAT` for the
Llama2-13B-chat adapter (the default), `templates.BAICHUAN2_CHAT` for the Baichuan2 one.
Decoding is src/inference.py's: a fresh GenerationConfig (greedy, repetition_penalty 1.0),
not the base model's generation_config, and infer_scripts' --max_new_tokens 300; the
generation ends at the end of sequence.

`upstream` is ie2instruction/eval: `NERExtracter.post_process` json-decodes the whole output
and takes nothing unless it is a dict (an error); values that are not lists and items that
are not strings are skipped; keys are compared verbatim with the schema words. `NERMetric`
counts predictions as a multiset against the de-duplicated gold, micro over instances
(eval_func.py). An instance is a text, not a sentence: eval_func keys each record by its
`source` and `id`, and the test conversion (convert_func.py `get_test_data`) gives every chunk
of a sentence the id `stable_hash(text)` (SHA-256 of the text), so sentences with one text are
one instance, scored against the gold of the first with every chunk's predictions
(`upstream_instance`). Where IEPile's own script would stop
with an exception (json.loads of a number too long to convert, nesting too deep), the
generation counts as an error instead.

`parse` (the primary metric) reads the same answers more forgivingly: the first object, prose
around it, cut-off output (complete lists and strings kept), type names in any case; each
repair marks the answer failed.

Our choices where IEPile is silent:
- Type order: IEPile's test conversion takes the schema from a Python set, so its order
  varies from run to run (PYTHONHASHSEED); we keep the dataset's order.
- 1-shot: the demonstration is an earlier turn of the same conversation (same chunk of
  types), answered with its gold JSON, laid out as the template lays out history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import (
    Demonstration,
    Parsed,
    PromptFormat,
    Query,
    Upstream,
    asked,
    parse_type_lists,
    type_lists,
)
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


def read_upstream(output: str) -> tuple[list[tuple[str, str]], bool]:
    """IEPile's reading of one generation: (key, entity) pairs, and whether it was an error."""
    try:
        value = json.loads(output)
    except (ValueError, RecursionError):
        return [], True
    if not isinstance(value, dict):
        return [], True
    return [
        (key, item)
        for key, items in value.items()
        if isinstance(items, list)
        for item in items
        if isinstance(item, str)
    ], False


@dataclass(frozen=True)
class IEPileFormat(PromptFormat):
    name: str = "iepile"
    template: TurnTemplate = LLAMA2_CHAT
    split_num: int = SPLIT_NUM
    family: str = "iepile"
    stop: tuple[str, ...] = ("</s>",)
    chat: bool = False
    system: str | None = None
    max_gen_toks: int | None = 300
    generation: Mapping[str, Any] = field(default_factory=lambda: {"repetition_penalty": 1.0})

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
        return self.template.answer_start + answer(query.types, entities, types)

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        return parse_type_lists(output, types)

    def upstream(
        self,
        output: str,
        query: Query,
        entities: Sequence[tuple[str, str]],
        types: Mapping[str, str],
    ) -> Upstream:
        predicted, failed = read_upstream(output)
        gold = tuple((types[label], text) for label, text in asked(query.types, entities))
        return Upstream(gold=gold, predictions=tuple(predicted), failed=failed)

    def upstream_instance(self, sentence_id: str, text: str) -> str:
        """IEPile's instance key, `source + stable_hash(text)`: one task is one source, and
        equal texts have equal hashes."""
        return text
