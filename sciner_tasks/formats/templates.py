"""The conversation markup of the raw-string formats (`chat = False`).

These models were trained on their own turn markers, so the format renders the exact string
the model was trained on instead of leaving it to a chat template. One user turn is the
anchors' form; earlier turns only appear for 1-shot demonstrations (our choice: a
demonstration is an earlier turn answered with its gold answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MESSAGE = "{message}"


@dataclass(frozen=True)
class TurnTemplate:
    """`first` wraps the first user turn (with the system prompt, if any), `later` every
    later one; `answer_end` closes an assistant answer given in the prompt. Each holds
    MESSAGE where the user message goes."""

    first: str
    later: str
    answer_end: str

    def render(self, demonstrations: Sequence[tuple[str, str]], user: str) -> str:
        """Earlier (user message, answer) turns, then the user turn the model answers."""
        out = []
        for index, (message, answer) in enumerate(demonstrations):
            out.append(self.wrap(index, message) + answer + self.answer_end)
        out.append(self.wrap(len(demonstrations), user))
        return "".join(out)

    def wrap(self, index: int, message: str) -> str:
        # replace, not str.format: a message may hold braces (JSON instructions do).
        return (self.first if index == 0 else self.later).replace(MESSAGE, message, 1)


# IEPile / OneKE on Llama2-13B-chat (anchors.md): `[INST] <<SYS>>\n{system}\n<</SYS>>\n\n
# {instruction}[/INST]`, no space before [/INST]. Later turns follow Llama2-chat: the answer
# ends with </s>, the next turn opens with <s>[INST] (the tokenizer reads both as special).
LLAMA2_CHAT = TurnTemplate(
    first="[INST] <<SYS>>\nYou are a helpful assistant. 你是一个乐于助人的助手。\n<</SYS>>\n\n"
    "{message}[/INST]",
    later="<s>[INST] {message}[/INST]",
    answer_end="</s>",
)

# IEPile on Baichuan2-13B-chat: IEPile's `baichuan2` template (src/datamodule/template.py,
# with its inference helper) is `<reserved_106>{query}<reserved_107>` with no system prompt,
# the Baichuan2-Chat user/assistant tokens; it puts no end marker after an answer
# (efficient_eos).
BAICHUAN2_CHAT = TurnTemplate(
    first="<reserved_106>{message}<reserved_107>",
    later="<reserved_106>{message}<reserved_107>",
    answer_end="",
)

# YAYI-UIE (anchors.md; its README): `<reserved_13>{prompt}<reserved_14>`, the human and
# assistant markers YAYI-UIE was tuned with on Baichuan2; no end marker, as in Baichuan2.
YAYI_CHAT = TurnTemplate(
    first="<reserved_13>{message}<reserved_14>",
    later="<reserved_13>{message}<reserved_14>",
    answer_end="",
)
