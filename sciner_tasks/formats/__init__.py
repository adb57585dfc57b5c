"""Prompt formats: how each model family is asked for entities and how its answers are read.

    from sciner_tasks.formats import get_format
    fmt = get_format("uniner")
    queries = fmt.queries(sentence.text, spec.types, spec.domain)  # one per generation
    parsed = fmt.parse(model_output, queries[0], spec.types)  # (label, text) pairs, failed

`general` is EasyInstruct's prompt for vanilla chat LLMs (`general_baichuan2`: the same in
Baichuan2-Chat's own markers, for a tokenizer without a chat template); `uniner`, `iepile`
(Llama2-chat adapter), `iepile_baichuan2` (the same protocol in Baichuan2's markers) and `yayi`
are the protocols the IE-specialised models were trained with. docs/fidelity.md says, per format,
which upstream files it reproduces and where it deviates.
"""

from .base import Demonstration, Parsed, PromptFormat, Query, Upstream
from .general import GeneralFormat
from .iepile import IEPileFormat
from .templates import BAICHUAN2_CHAT
from .uniner import UniNERFormat
from .yayi import YayiFormat

FORMATS: dict[str, PromptFormat] = {
    "general": GeneralFormat(),
    "general_baichuan2": GeneralFormat(
        "general_baichuan2",
        chat=False,
        system=None,
        # The study decodes greedily (temperature 0); Baichuan2-Chat's generation_config
        # would add repetition_penalty 1.05 on the hf backend.
        generation={"repetition_penalty": 1.0},
        template=BAICHUAN2_CHAT,
    ),
    "uniner": UniNERFormat(),
    "iepile": IEPileFormat(),
    "iepile_baichuan2": IEPileFormat("iepile_baichuan2", BAICHUAN2_CHAT),
    "yayi": YayiFormat(),
}


def get_format(name: str) -> PromptFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown prompt format {name!r}; known: {', '.join(FORMATS)}") from None


__all__ = [
    "FORMATS",
    "Demonstration",
    "Parsed",
    "PromptFormat",
    "Query",
    "Upstream",
    "get_format",
]
