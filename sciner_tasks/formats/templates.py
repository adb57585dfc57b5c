"""The conversation markup of the raw-string formats (`chat = False`).

These models were trained on their own turn markers, so the format renders the exact string
the model was trained on instead of leaving it to a chat template. Zero-shot prompts are one
user turn; a 1-shot demonstration is an earlier turn answered with its gold answer, laid out
as the family's template lays out conversation history (our choice: no family evaluates
with demonstrations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MESSAGE = "{message}"


@dataclass(frozen=True)
class TurnTemplate:
    """`first` wraps the first user turn (with the system prompt, if any), `later` every
    later one; an answer given in the prompt is `answer_start + answer + answer_end`. Each
    wrapper holds MESSAGE where the user message goes."""

    first: str
    later: str
    answer_start: str
    answer_end: str

    def render(self, demonstrations: Sequence[tuple[str, str]], user: str) -> str:
        """Earlier (user message, answer) turns, then the user turn the model answers."""
        out = []
        for index, (message, answer) in enumerate(demonstrations):
            out.append(self.wrap(index, message) + self.answer_start + answer + self.answer_end)
        out.append(self.wrap(len(demonstrations), user))
        return "".join(out)

    def wrap(self, index: int, message: str) -> str:
        # replace, not str.format: a message may hold braces (JSON instructions do).
        return (self.first if index == 0 else self.later).replace(MESSAGE, message, 1)


# Llama-2-chat's default system prompt, which IEPile's `llama2` template puts in the first turn.
LLAMA2_DEFAULT_SYSTEM = (
    "You are a helpful, respectful and honest assistant. Always answer as helpfully as "
    "possible, while being safe. Your answers should not include any harmful, unethical, "
    "racist, sexist, toxic, dangerous, or illegal content. Please ensure that your responses "
    "are socially unbiased and positive in nature.\n\nIf a question does not make any sense, "
    "or is not factually coherent, explain why instead of answering something not correct. If "
    "you don't know the answer to a question, please don't share false information."
)

# IEPile on Llama2-13B-chat: the `llama2` template its LoRA was trained and run with
# (zjunlp/IEPile src/datamodule/template.py, Llama2Template; ft_scripts/fine_llama.bash and
# infer_scripts/infer_llama.bash pass --template 'llama2'). Every turn is `<s>[INST] {query}
# [/INST]` (a space before [/INST]); the first query starts with the <<SYS>> block. The answer
# is tokenized on its own, so Llama's SentencePiece starts it with a space ("[/INST] {...}"
# when decoded), and ends with </s>. lm-eval adds the first <s> itself (add_bos_token).
LLAMA2_CHAT = TurnTemplate(
    first=f"[INST] <<SYS>>\n{LLAMA2_DEFAULT_SYSTEM}\n<</SYS>>\n\n{MESSAGE} [/INST]",
    later=f"<s>[INST] {MESSAGE} [/INST]",
    answer_start=" ",
    answer_end="</s>",
)

# Baichuan2-Chat's conversation: `<reserved_106>{query}<reserved_107>` in every turn (the user
# and assistant tokens, ids 195 and 196). IEPile's `baichuan2` template (same file) is this, no
# system prompt, and no end marker after an answer (efficient_eos); Baichuan2's own
# `build_chat_input` (BAICHUAN2_SOURCE) lays out turns the same way and puts a system
# message's text, unmarked, before the first turn (general_baichuan2 does). Baichuan 2's
# tokenizer adds no dummy prefix, so the answer follows the marker directly.
BAICHUAN2_CHAT = TurnTemplate(
    first=f"<reserved_106>{MESSAGE}<reserved_107>",
    later=f"<reserved_106>{MESSAGE}<reserved_107>",
    answer_start="",
    answer_end="",
)

# YAYI-UIE (wenge-research/YAYI-UIE README_EN.md, Inference): "<reserved_13>" + prompt +
# "<reserved_14>", the human and assistant markers YAYI-UIE was tuned with on Baichuan2.
YAYI_CHAT = TurnTemplate(
    first=f"<reserved_13>{MESSAGE}<reserved_14>",
    later=f"<reserved_13>{MESSAGE}<reserved_14>",
    answer_start="",
    answer_end="",
)
