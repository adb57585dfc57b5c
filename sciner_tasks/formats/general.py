"""The general format: EasyInstruct's NER prompt, used for every vanilla chat LLM.

Reproduces EasyInstruct's NERPrompt text (anchors.md): the instruction naming the domain and
the entity types (verbalised, joined by ', '), the output form
[{'E': type, 'W': entity}, ...] in single-quoted Python-literal style, then
"Input: {text}\\nOutput: ". Without a domain, "{domain} domain " is dropped. One query per
sentence asks for every type; the prompt is a user message for the model's chat template.

1-shot (our choice; the anchors do not fix it): each demonstration is written as
"Input: {demo}\\nOutput: {its answer}\\n\\n" before the final "Input:", inside the same user
message, so a chat model sees one turn whatever the number of shots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .base import Demonstration, Parsed, PromptFormat, Query, entities_of, label_of
from .literal import read_literal


def instruction(types: Mapping[str, str], domain: str) -> str:
    scope = f"{domain} domain " if domain else ""
    return (
        f"You are a highly intelligent and accurate {scope}Named-entity recognition(NER) "
        "system. You take Passage as input and your task is to recognize and extract specific "
        f"types of {scope}named entities in that given passage and classify into a set of "
        f"following predefined entity types:\n{', '.join(types.values())}\n"
        "Your output format is only [{'E': type of entity from predefined entity types, "
        "'W': entity in the input text},...] form, no other form.\n\n"
    )


def answer(entities: Sequence[tuple[str, str]], types: Mapping[str, str]) -> str:
    # repr() writes the Python-literal quoting the prompt asks for (and escapes quotes).
    items = [f"{{'E': {types.get(label, label)!r}, 'W': {text!r}}}" for label, text in entities]
    return f"[{', '.join(items)}]"


class GeneralFormat(PromptFormat):
    name = "general"
    stop = ("\n\n", "\nInput:")
    chat = True

    def queries(
        self,
        text: str,
        types: Mapping[str, str],
        domain: str = "",
        demonstrations: Sequence[Demonstration] = (),
    ) -> list[Query]:
        shots = "".join(
            f"Input: {d.text}\nOutput: {answer(d.entities, types)}\n\n" for d in demonstrations
        )
        prompt = f"{instruction(types, domain)}{shots}Input: {text}\nOutput: "
        return [Query(prompt, tuple(types))]

    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        return answer(entities_of(query, entities), types)

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        literal = read_literal(output, "[")
        if not isinstance(literal.value, list):
            return Parsed((), True)
        found, malformed = [], False
        for item in literal.value:
            if (
                isinstance(item, dict)
                and isinstance(item.get("E"), str)
                and isinstance(item.get("W"), str)
            ):
                found.append((label_of(item["E"], types), item["W"]))
            else:
                malformed = True
        return Parsed(tuple(found), malformed or not literal.complete)
