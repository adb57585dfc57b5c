"""The general format: EasyInstruct's NER prompt, used for every vanilla chat LLM.

Reproduces zjunlp/EasyInstruct easyinstruct/prompts/ie_prompt.py (IEPrompt, task "ner",
language "en") character for character: the instruction naming the domain and the entity types
(verbalised, joined by ', '; without a domain, NER_EN_LABELS drops "{domain} domain "), the
output form [{'E': type, 'W': entity}, ...], then "Input: {text}\\nOutput: ". One query per
sentence asks for every type; the prompt is a user message for the model's chat template
(`chat = True`). EasyInstruct sends it after the system message "You are a helpful
assistant." (prompts/base_prompt.py): lm-eval's `--system_instruction` (see
`python -m sciner_tasks.models command`).

`general_baichuan2` is the same prompt for Baichuan2-Chat, whose tokenizer has no chat template
(baichuan-inc/Baichuan2 issue 392): it renders Baichuan2's own conversation as one raw string
(`chat = False`), the system message first, then the user turn between `<reserved_106>` and
`<reserved_107>` (`templates.BAICHUAN2_CHAT`; the layout of `build_chat_input` in the models'
generation_utils.py, cited there).

1-shot is EasyInstruct's in-context layout (IEPrompt._get_incontext_examples with
ICLPrompt.build_prompt): after the instruction, "Examples: \\n", then "Output: {output}\\n"
per demonstration, without the demonstration's text, then "Input: {text}\\nOutput: ".
The demonstration's output is `str()` of its list of {'E': type, 'W': entity} dicts, which is
what `answer` writes.

Our choices where EasyInstruct is silent (it has no NER parser or scorer):
- The gold answer (`target`, also the demonstrations' output) lists each (type, entity) once,
  in text order; [] when there is none.
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
from dataclasses import dataclass, field
from typing import Any

from .base import Demonstration, Parsed, PromptFormat, Query, asked, label_of
from .literal import Literal, read_literal, read_sequence
from .templates import TurnTemplate

# EasyInstruct's system message (easyinstruct/prompts/base_prompt.py).
EASYINSTRUCT_SYSTEM = "You are a helpful assistant."

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
    """str() of the list of {'E': type, 'W': entity} dicts: repr() writes the quoting the
    prompt shows and escapes what needs it."""
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
    family: str = "general"
    stop: tuple[str, ...] = ("\nInput:",)
    chat: bool = True
    system: str | None = EASYINSTRUCT_SYSTEM
    max_gen_toks: int | None = None
    generation: Mapping[str, Any] = field(default_factory=dict)
    # A model without a chat template: its own conversation markers, rendered here with
    # EasyInstruct's system message in front (then `chat` is False and `system` None).
    template: TurnTemplate | None = None

    def queries(
        self,
        text: str,
        types: Mapping[str, str],
        domain: str = "",
        demonstrations: Sequence[Demonstration] = (),
    ) -> list[Query]:
        shots = "".join(
            f"Output: {answer(asked(types, d.entities), types)}\n" for d in demonstrations
        )
        examples = f"Examples: \n{shots}" if demonstrations else ""
        prompt = f"{instruction(types, domain)}{examples}Input: {text}\nOutput: "
        if self.template:
            prompt = EASYINSTRUCT_SYSTEM + self.template.render([], prompt)
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
