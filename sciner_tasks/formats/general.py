"""The general format: EasyInstruct's NER prompt, used for every vanilla chat LLM.

Reproduces EasyInstruct's NER prompt (anchors.md) character for character: the instruction
naming the domain and the entity types (verbalised, joined by ', '), the output form
[{'E': type, 'W': entity}, ...], then "Input: {text}\\nOutput: ". Without a domain,
"{domain} domain " is dropped. One query per sentence asks for every type; the prompt is a
user message for the model's chat template (`chat = True`).

Our choices where the anchors are silent:
- 1-shot: each demonstration is written as "Input: {text}\\nOutput: {gold answer}\\n\\n"
  between the instruction and the final "Input:", inside the same user message, so a chat
  model sees one turn whatever the number of shots.
- The gold answer (`target`, also the demonstrations' answers) is the list in the
  single-quoted Python-literal style the prompt shows, written with repr() so quotes and
  backslashes in entity texts are escaped; [] when there is none. Duplicates are kept.
- Stop: only "\\nInput:" (a model inventing the next example). EasyInstruct sets none; the
  chat template's end-of-turn ends an answer, and "\\n\\n" would cut off the usual chat
  preamble ("Sure! Here are the entities:\\n\\n[...]") before the answer.
- Parsing: the answer is the first list that opens with an object or is empty ("[{", "[]");
  prose around it is no failure. Objects written without the enclosing list are still read
  (and marked failed). Items need string 'E' and 'W'; others are skipped as malformed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .base import Demonstration, Parsed, PromptFormat, Query, asked, label_of
from .literal import Literal, read_literal, read_sequence

# Where the answer list starts: "[" then an object or the closing bracket.
ANSWER_START = re.compile(r"\[\s*[{\]]")


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
    # repr() writes the quoting the prompt shows and escapes what needs it.
    items = [f"{{'E': {types.get(label, label)!r}, 'W': {text!r}}}" for label, text in entities]
    return f"[{', '.join(items)}]"


def read_answer(output: str) -> Literal | None:
    """The answer list (see the module docstring), or None when there is nothing to read."""
    match = ANSWER_START.search(output)
    if match:
        return read_literal(output, "[", match.start())
    brace = output.find("{")
    return read_sequence(output, brace) if brace >= 0 else None


@dataclass(frozen=True)
class GeneralFormat(PromptFormat):
    name: str = "general"
    stop: tuple[str, ...] = ("\nInput:",)
    chat: bool = True

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
        return answer(asked(query.types, entities), types)

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        literal = read_answer(output)
        if literal is None:
            return Parsed((), True)
        found = [
            (label_of(item["E"], types), item["W"])
            for item in literal.value
            if isinstance(item, dict)
            and isinstance(item.get("E"), str)
            and isinstance(item.get("W"), str)
        ]
        return Parsed(tuple(found), len(found) != len(literal.value) or not literal.complete)
