"""Prompting a dataset: the documents of one task (one per generation request, with the
demonstrations of its regime) and the generation budget of a (dataset, format).

Used by the lm-eval glue (harness.py), the task generator, training (SFT trains on the
documents of the train split) and the benches.
"""

from __future__ import annotations

from typing import Any

from .data import Sentence, load_spec, load_split
from .data.stats import text_key
from .demonstrations import demonstration, knn_demonstrations, random_demonstrations
from .formats import get_format
from .names import REGIMES

SAMPLERS = ("random", "knn")
DEFAULT_SAMPLER = "random"
DEFAULT_SEED = 1234


def train_split(dataset: str) -> list[Sentence]:
    """The train split, or none for a converted corpus that has no train split."""
    try:
        return load_split(dataset, "train")
    except FileNotFoundError:
        return []


def build_docs(
    dataset: str,
    format_name: str,
    regime: str,
    sampler: str = DEFAULT_SAMPLER,
    seed: int = DEFAULT_SEED,
    split: str = "test",
) -> list[dict[str, Any]]:
    """The lm-eval documents of one task: one per query, in sentence order."""
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; expected one of {list(REGIMES)}")
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; expected one of {SAMPLERS}")
    spec = load_spec(dataset)
    prompt_format = get_format(format_name)
    types = spec.types_for(prompt_format.family)
    sentences = load_split(dataset, split)
    shots = REGIMES[regime]
    demos: list[list[Sentence]] = [[] for _ in sentences]
    train = train_split(dataset)
    seen = {text_key(s.text) for s in train}
    if shots:
        demos = (
            random_demonstrations(sentences, train, shots, seed)
            if sampler == "random"
            else knn_demonstrations(sentences, train, shots)
        )
    docs = []
    for sentence, shot in zip(sentences, demos, strict=True):
        queries = prompt_format.queries(
            sentence.text, types, spec.domain, [demonstration(s) for s in shot]
        )
        gold = [(e.type, e.text) for e in sentence.entities]
        for index, query in enumerate(queries):
            docs.append(
                {
                    "id": f"{sentence.id}#{index}",
                    "dataset": dataset,
                    "format": format_name,
                    "sentence_id": sentence.id,
                    "text": sentence.text,
                    "prompt": query.prompt,
                    "query_types": list(query.types),
                    "target": prompt_format.target(query, gold, types),
                    "entities": [
                        {"start": e.start, "end": e.end, "type": e.type, "text": e.text}
                        for e in sentence.entities
                    ],
                    "demonstrations": [s.id for s in shot],
                    # Its text is in train: seen in fine-tuning (f1_unseen leaves it out).
                    "seen_in_train": text_key(sentence.text) in seen,
                }
            )
    return docs


def max_gen_toks(dataset: str, format_name: str) -> int:
    """A task's generation budget: the family's own, or where it fixes none (the general
    prompt) one that fits the longest gold answer of the test split: its UTF-8 byte length
    (no tokenizer makes more tokens than bytes), rounded up to a multiple of 64."""
    budget = get_format(format_name).max_gen_toks
    if budget is not None:
        return budget
    docs = build_docs(dataset, format_name, "0shot")
    longest = max(len(doc["target"].encode("utf-8")) for doc in docs)
    return -(-(longest + 1) // 64) * 64  # +1 for the end-of-sequence token
