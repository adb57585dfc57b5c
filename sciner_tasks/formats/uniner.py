"""UniNER: one conversation per (sentence, entity type), answered with a JSON list.

Reproduces universal-ner/universal-ner as the raw string the model was trained on, since
lm-eval cannot pass a multi-turn message list (`chat = False`). src/utils.py
`preprocess_instance` renders the `ie_as_qa` conversation of src/conversation.py (FastChat's
ADD_COLON_TWO style: system, then "ROLE: message" joined by " " after a user turn and "</s>"
after an assistant turn, and a bare "ASSISTANT:" to answer):
`{system} USER: Text: {text} ASSISTANT: I've read this text.</s>USER: What describes {type}
in the text? ASSISTANT:`. Every type is asked for every sentence (src/eval/test_data),
verbalised lowercase with spaces as that data does (`DatasetSpec.types_for("uniner")`).
Decoding is src/serve/inference.py's: greedy, at most 256 new tokens, stop at `</s>`.

The gold answer is what the gold turns of src/eval/test_data hold: `json.dumps` of the
type's entity strings in text order, repeats kept, non-ASCII as \\u escapes.

`upstream` is src/eval/evaluate.py: the answer after the last "ASSISTANT:", stripped;
`re.match(r'\\[(.*?)\\]', ...)` (a list at the very start, up to its first "]", on one line)
and `json.loads`; anything else, or an item that is not a string, makes the whole answer [].
Items are normalised (`scoring.normalise`) and de-duplicated, and the gold answer goes through
the same reader. `NEREvaluator` then counts set matches per query, micro over queries.

`parse` (the primary metric) reads the same answers more forgivingly: a list after leading
spaces, on several lines, cut off (its complete strings kept) or with stray non-strings; each
such repair, and any answer that is not a list, counts as a parse failure. It de-duplicates
like UniNER and keeps the strings as written (normalisation is `normalised_f1`'s business).

Our choice where UniNER is silent: 1-shot puts the demonstration before the question as an
earlier exchange of the same conversation about the same type (its text, the
acknowledgement, the question, the gold answer and `</s>`), as UniNER's multi-question
training conversations are laid out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..scoring import normalise
from .base import Demonstration, Parsed, PromptFormat, Query, Upstream
from .literal import read_literal

SYSTEM = "A virtual assistant answers questions from a user based on the provided text."
# What UniNER's parser takes as the answer: a list at the start, up to the first "]".
UPSTREAM_ANSWER = re.compile(r"\[(.*?)\]")


def exchange(text: str, words: str) -> str:
    return (
        f"USER: Text: {text} ASSISTANT: I've read this text.</s>"
        f"USER: What describes {words} in the text? ASSISTANT:"
    )


def answer(label: str, entities: Sequence[tuple[str, str]]) -> str:
    return json.dumps([text for lab, text in entities if lab == label])


def read_upstream(output: str) -> tuple[list[str], bool]:
    """UniNER's reading of one answer (`get_response`, then `parser`): the normalised,
    de-duplicated strings, and whether the answer was unreadable (no list at the start, not
    JSON, or an item that is not a string; UniNER then scores it as [])."""
    answer_text = output.split("ASSISTANT:")[-1].strip()
    match = UPSTREAM_ANSWER.match(answer_text)
    if match is None:
        return [], True
    try:
        items = json.loads(match.group())
    except (ValueError, RecursionError):
        return [], True
    if not all(isinstance(item, str) for item in items):
        return [], True
    return list(dict.fromkeys(normalise(item) for item in items)), False


@dataclass(frozen=True)
class UniNERFormat(PromptFormat):
    name: str = "uniner"
    family: str = "uniner"
    stop: tuple[str, ...] = ("</s>",)
    chat: bool = False
    system: str | None = None
    max_gen_toks: int | None = 256
    # vLLM SamplingParams defaults in src/serve/inference.py.
    generation: Mapping[str, Any] = field(default_factory=lambda: {"repetition_penalty": 1.0})

    def queries(
        self,
        text: str,
        types: Mapping[str, str],
        domain: str = "",
        demonstrations: Sequence[Demonstration] = (),
    ) -> list[Query]:
        queries = []
        for label, words in types.items():
            shots = "".join(
                f"{exchange(d.text, words)} {answer(label, d.entities)}</s>" for d in demonstrations
            )
            queries.append(Query(f"{SYSTEM} {shots}{exchange(text, words)}", (label,)))
        return queries

    def target(
        self, query: Query, entities: Sequence[tuple[str, str]], types: Mapping[str, str]
    ) -> str:
        # The conversation renders "ASSISTANT: " + answer, so the completion starts with a space.
        return " " + answer(query.types[0], entities)

    def parse(self, output: str, query: Query, types: Mapping[str, str]) -> Parsed:
        stripped = output.lstrip()
        if not stripped.startswith("["):
            return Parsed((), True)
        literal = read_literal(stripped, "[")
        strings = [item for item in literal.value if isinstance(item, str)]
        label = query.types[0]
        entities = tuple((label, text) for text in dict.fromkeys(strings))
        return Parsed(entities, len(strings) != len(literal.value) or not literal.complete)

    def upstream(
        self,
        output: str,
        query: Query,
        entities: Sequence[tuple[str, str]],
        types: Mapping[str, str],
    ) -> Upstream:
        label = query.types[0]
        gold, _ = read_upstream(answer(label, entities))
        predicted, failed = read_upstream(output)
        return Upstream(
            gold=tuple((label, text) for text in gold),
            predictions=tuple((label, text) for text in predicted),
            failed=failed,
        )
