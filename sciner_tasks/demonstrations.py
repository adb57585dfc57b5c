"""Demonstrations for 1-shot prompts: which train sentences a test sentence is shown.

Two samplers (`--metadata '{"sampler": "knn"}'` picks the second): a seeded random draw and the
most similar train sentences. Neither shows a test sentence a train sentence with its own text
(`same_text`): that would be the answer.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from .data import Sentence
from .data.stats import text_key
from .formats import Demonstration


def demonstration(sentence: Sentence) -> Demonstration:
    return Demonstration(sentence.text, tuple((e.type, e.text) for e in sentence.entities))


def same_text(test: Sequence[Sentence], train: Sequence[Sentence]) -> list[set[int]]:
    """Per test sentence, the indices of the train sentences with its text: never shown as its
    demonstration, which would be its own answer (WLPC repeats protocol steps, so a third of
    its test sentences occur in train)."""
    by_text: dict[str, set[int]] = defaultdict(set)
    for index, sentence in enumerate(train):
        by_text[text_key(sentence.text)].add(index)
    return [by_text.get(text_key(s.text), set()) for s in test]


def random_demonstrations(
    test: Sequence[Sentence], train: Sequence[Sentence], shots: int, seed: int
) -> list[list[Sentence]]:
    """`shots` train sentences per test sentence, drawn by a generator seeded with the seed
    and the sentence id, so a draw does not depend on --limit or document order; drawn from
    the train sentences that do not have its text (`same_text`)."""
    return [
        random.Random(f"{seed}:{s.id}").sample(
            [t for i, t in enumerate(train) if i not in own], shots
        )
        for s, own in zip(test, same_text(test, train), strict=True)
    ]


WORD_RE = re.compile(r"\w+")


def knn_demonstrations(
    test: Sequence[Sentence], train: Sequence[Sentence], shots: int
) -> list[list[Sentence]]:
    """The `shots` train sentences most similar to each test sentence (TF-IDF cosine over
    lowercased words; ties broken by train order), leaving out those with its text
    (`same_text`), which would rank first."""
    documents = [Counter(WORD_RE.findall(s.text.lower())) for s in train]
    frequency = Counter(word for doc in documents for word in doc)
    idf = {w: math.log((1 + len(documents)) / (1 + n)) + 1 for w, n in frequency.items()}

    def weigh(counts: Counter) -> dict[str, float]:
        weights = {w: c * idf.get(w, 0.0) for w, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        return {w: v / norm for w, v in weights.items()}

    vectors = [weigh(doc) for doc in documents]
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        for word, weight in vector.items():
            postings[word].append((index, weight))
    chosen = []
    for sentence, own in zip(test, same_text(test, train), strict=True):
        similarity: dict[int, float] = defaultdict(float)
        for word, weight in weigh(Counter(WORD_RE.findall(sentence.text.lower()))).items():
            for index, other in postings.get(word, ()):
                similarity[index] += weight * other
        candidates = (i for i in range(len(train)) if i not in own)
        ranked = sorted(candidates, key=lambda i: (-similarity.get(i, 0.0), i))
        chosen.append([train[i] for i in ranked[:shots]])
    return chosen
