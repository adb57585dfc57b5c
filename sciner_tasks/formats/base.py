"""What every prompt format is: queries to render, the gold completion, and a parser.

A format is the single source of truth for one model family's protocol: the lm-eval tasks
render their documents with `queries`, SFT renders training examples with `queries` and
`target`, and the tasks and the leaderboard read answers with `parse`. `types` is always a
dataset's ordered mapping canonical label -> verbalisation (sciner_tasks.data.registry):
prompts show verbalisations, `parse` maps them back to canonical labels.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Demonstration:
    """A solved example for few-shot prompts: (canonical label, entity text) in order."""

    text: str
    entities: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Query:
    """One generation request: the exact model input and the labels it asks about."""

    prompt: str
    types: tuple[str, ...]


@dataclass(frozen=True)
class Parsed:
    entities: tuple[tuple[str, str], ...]  # (canonical label, text) predictions
    # The output was not a complete, well-formed answer of the format. What could be
    # recovered from it is still in `entities` (and scored).
    failed: bool


def type_key(name: str) -> str:
    return " ".join(name.casefold().replace("_", " ").split())


def label_of(name: str, types: Mapping[str, str]) -> str:
    """The canonical label a model meant by `name` (a verbalisation or a label, any case);
    an unknown name is returned as written, so it still counts, as a false positive."""
    wanted = type_key(name)
    for label, words in types.items():
        if wanted in (type_key(words), type_key(label)):
            return label
    return name.strip()


def entities_of(query: Query, entities: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The gold (label, text) pairs a query asks about, in order."""
    return [(label, text) for label, text in entities if label in query.types]


def unique(items: Sequence[str]) -> list[str]:
    """Items without repeats, first occurrence order."""
    return list(dict.fromkeys(items))


class PromptFormat(ABC):
    name: str
    stop: tuple[str, ...]
    # True: `Query.prompt` is a user message for the model's chat template (lm-eval
    # --apply_chat_template); False: it already is the model's own conversation string.
    chat: bool

    @abstractmethod
    def queries(
        self,
        text: str,
        types: Mapping[str, str],
        domain: str = "",
        demonstrations: Sequence[Demonstration] = (),
    ) -> list[Query]: ...

    @abstractmethod
    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        """The ideal completion of `query` for a sentence with these gold entities."""

    @abstractmethod
    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed: ...


@dataclass(frozen=True)
class TurnTemplate:
    """A model's own single-user-message conversation markup, for raw-string formats.

    `first` wraps the first user turn, `later` every later one (e.g. without the system
    prompt), `answer_end` closes an assistant answer given in the prompt (a demonstration).
    """

    first: str
    later: str
    answer_end: str

    def render(self, demonstrations: Sequence[tuple[str, str]], user: str) -> str:
        """Earlier (user, answer) turns, then the user turn the model answers."""
        turns = [user for user, _ in demonstrations] + [user]
        out = []
        for index, message in enumerate(turns):
            out.append((self.first if index == 0 else self.later).format(message=message))
            if index < len(demonstrations):
                out.append(demonstrations[index][1] + self.answer_end)
        return "".join(out)


# Llama2-chat (IEPile's Llama2 base): the anchors' single-turn form; later turns start a new
# <s>[INST] block after the previous answer's </s>.
LLAMA2_CHAT = TurnTemplate(
    first="[INST] <<SYS>>\nYou are a helpful assistant. 你是一个乐于助人的助手。\n<</SYS>>\n\n"
    "{message}[/INST]",
    later="<s>[INST] {message}[/INST]",
    answer_end="</s>",
)
# Baichuan2 turn markers (anchors: YAYI-UIE); Baichuan2 puts no separator after an answer.
BAICHUAN2_CHAT = TurnTemplate(
    first="<reserved_13>{message}<reserved_14>",
    later="<reserved_13>{message}<reserved_14>",
    answer_end="",
)
