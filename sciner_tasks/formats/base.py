"""What every prompt format is: queries to render, the gold completion, and a parser.

A format is the single source of truth for one model family's protocol: the lm-eval tasks
render their documents with `queries`, SFT renders training examples with `queries` and
`target`, and the tasks and the leaderboard read answers with `parse`. `types` is always a
dataset's ordered mapping canonical label -> verbalisation as the format's family names it
(`DatasetSpec.types_for(format.family)`): prompts show verbalisations, `parse` maps them back to
canonical labels.

`Parsed.failed` means the output was not a complete, well-formed answer of the format: no
answer found, cut off, syntax that had to be repaired, or values of the wrong shape. What could
be recovered is still in `entities` and is scored, so a failure costs only what was lost.

A family that ships its own scorer (UniNER, IEPile) also reads each generation exactly as
that scorer does (`upstream`), for the `upstream_f1` metric; docs/fidelity.md lists the
upstream files each format follows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..data.registry import type_key
from .literal import read_literal


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
    failed: bool  # not a complete, well-formed answer (what was recovered still counts)


@dataclass(frozen=True)
class Upstream:
    """One generation as the family's own scorer sees it: (type, text) pairs on both sides,
    typed and normalised the way that scorer compares them, and whether it counted the
    generation as an error. Matching is `scoring.count_matches` over a sentence's pairs."""

    gold: tuple[tuple[str, str], ...]  # the gold this generation answers for, de-duplicated
    predictions: tuple[tuple[str, str], ...]
    failed: bool


class PromptFormat(ABC):
    name: str
    # The model family whose protocol this is: it picks the dataset's type names
    # (`DatasetSpec.types_for`) and its `upstream_unasked` types.
    family: str
    stop: tuple[str, ...]  # stop sequences for generation
    # True: `Query.prompt` is a user message for the model's chat template (lm-eval
    # --apply_chat_template); False: it already is the model's own conversation string.
    chat: bool
    # The system message the family sends before a chat prompt (lm-eval --system_instruction);
    # None where there is none or the raw conversation string already holds it.
    system: str | None
    # The family's own generation budget (new tokens), or None where its code fixes none.
    max_gen_toks: int | None
    # Decoding settings the family's inference code sets beyond greedy decoding, pinned in
    # the tasks so the model's generation_config cannot override them.
    generation: Mapping[str, Any]

    @abstractmethod
    def queries(
        self,
        text: str,
        types: Mapping[str, str],
        domain: str = "",
        demonstrations: Sequence[Demonstration] = (),
    ) -> list[Query]:
        """The generation requests for one sentence, in order."""

    @abstractmethod
    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        """The ideal completion of `query` for a sentence with these gold (label, text)
        entities; only the labels the query asks about are kept."""

    @abstractmethod
    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        """The (label, text) predictions in a model output. Never raises."""

    def upstream(
        self,
        output: str,
        query: Query,
        entities: Sequence[tuple[str, str]],
        types: Mapping[str, str],
    ) -> Upstream | None:
        """The generation as the family's own scorer reads it, with the gold (label, text)
        `entities` of the sentence; None for families without a scorer. Never raises."""
        return None

    def upstream_instance(self, sentence_id: str, text: str) -> str:
        """The unit the family's scorer matches gold and predictions in: the sentence. The
        generations of one instance are matched together, against the gold of its first
        sentence (`harness.upstream_counts`)."""
        return sentence_id

    @property
    def has_upstream_scorer(self) -> bool:
        """Whether the family ships a scorer of its own (the format implements `upstream`)."""
        return type(self).upstream is not PromptFormat.upstream


def label_of(name: str, types: Mapping[str, str]) -> str:
    """The canonical label a model meant by `name`: a verbalisation (what the prompt showed,
    so it wins a tie) or a canonical label, in any case and spacing. An unknown name is
    returned exactly as the model wrote it, so it still counts, as a false positive."""
    wanted = type_key(name)
    for label, words in types.items():
        if type_key(words) == wanted:
            return label
    for label in types:
        if type_key(label) == wanted:
            return label
    return name


def asked(labels: Sequence[str], entities: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The gold (label, text) pairs whose label is among `labels`, in order, each pair once:
    a sentence's gold is a set of (type, string) pairs (UniNER's and IEPile's scorers
    de-duplicate it, and so does sciner's)."""
    return [pair for pair in dict.fromkeys(entities) if pair[0] in labels]


def type_lists(
    labels: Sequence[str], entities: Sequence[tuple[str, str]], types: Mapping[str, str]
) -> dict[str, list[str]]:
    """{verbalised type: [entity texts]} for every label, in order, each (type, text) once."""
    return {types[label]: [text for lab, text in asked([label], entities)] for label in labels}


def parse_type_lists(output: str, types: Mapping[str, str]) -> Parsed:
    """Read a {type: [entities]} answer (IEPile, YAYI-UIE): the first object in the output.
    A lone string stands for a one-entity list; other non-list values and non-string items
    are skipped. Each skip, like any repair, marks the answer failed."""
    literal = read_literal(output, "{")
    if not isinstance(literal.value, dict):
        return Parsed((), True)
    found: list[tuple[str, str]] = []
    malformed = False
    for key, values in literal.value.items():
        if isinstance(values, str):
            values, malformed = [values], True
        if not isinstance(values, list):
            malformed = True
            continue
        strings = [item for item in values if isinstance(item, str)]
        malformed = malformed or len(strings) != len(values)
        found += [(label_of(key, types), text) for text in strings]
    return Parsed(tuple(found), malformed or not literal.complete)
