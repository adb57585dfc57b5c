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
from collections.abc import Callable, Sequence

import numpy as np

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
    the train sentences that do not have its text (`same_text`). `random.sample` draws
    positions in its population: the positions are drawn in a range of the population's
    length and mapped past the left-out sentences, the same draw without building the list."""
    chosen = []
    for sentence, own in zip(test, same_text(test, train), strict=True):
        rng = random.Random(f"{seed}:{sentence.id}")
        positions = rng.sample(range(len(train) - len(own)), shots)
        left_out = sorted(own)
        chosen.append([train[skipping(position, left_out)] for position in positions])
    return chosen


def skipping(position: int, left_out: Sequence[int]) -> int:
    """The index of the `position`-th item (from 0) of a range without the sorted `left_out`."""
    index = position
    for excluded in left_out:
        if excluded > index:
            break
        index += 1
    return index


WORD_RE = re.compile(r"\w+")
# Test sentences whose similarities to all of train are computed in one dense block.
KNN_BLOCK = 256


def tf_idf(texts: Sequence[str]) -> tuple[list[dict[str, float]], Callable]:
    """Unit TF-IDF vectors of lowercased words (smoothed idf, as scikit-learn's), and the
    function that weighs another text's words the same way."""
    documents = [Counter(WORD_RE.findall(text.lower())) for text in texts]
    frequency = Counter(word for doc in documents for word in doc)
    idf = {w: math.log((1 + len(documents)) / (1 + n)) + 1 for w, n in frequency.items()}

    def weigh(counts: Counter) -> dict[str, float]:
        weights = {w: c * idf.get(w, 0.0) for w, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        return {w: v / norm for w, v in weights.items()}

    return [weigh(doc) for doc in documents], weigh


def sparse_rows(vectors: Sequence[dict[str, float]], vocabulary: dict[str, int]):
    """The vectors as a CSR matrix over `vocabulary` (every word of theirs is in it)."""
    from scipy.sparse import csr_matrix

    lengths = [len(vector) for vector in vectors]
    size = sum(lengths)
    columns = (vocabulary[word] for vector in vectors for word in vector)
    weights = (weight for vector in vectors for weight in vector.values())
    return csr_matrix(
        (
            np.fromiter(weights, float, size),
            np.fromiter(columns, np.int64, size),
            np.concatenate(([0], np.cumsum(lengths, dtype=np.int64))),
        ),
        shape=(len(vectors), len(vocabulary)),
    )


def exact_similarity(query: dict[str, float], vector: dict[str, float]) -> float:
    """The cosine summed in the query's word order: the figure `knn_demonstrations` ranks by,
    the same to the last bit on every machine (a matrix product sums in another order)."""
    total = 0.0
    for word, weight in query.items():
        if word in vector:
            total += weight * vector[word]
    return total


def top_indices(
    similarities, query: dict[str, float], vectors: list[dict[str, float]], shots: int
) -> list[int]:
    """The `shots` best train indices by (exact similarity descending, index): candidates
    from the matrix product's figures, within a margin of the cut far wider than its
    rounding, re-ranked exactly (a lone candidate needs no re-ranking); train sentences
    sharing no word (similarity exactly 0 either way) follow in index order. Excluded
    indices carry -1."""
    positive = np.flatnonzero(similarities > 0)
    if len(positive) > shots:
        cut = np.partition(similarities[positive], len(positive) - shots)[len(positive) - shots]
        positive = positive[similarities[positive] >= cut - 1e-9]
    if len(positive) > 1:
        positive = sorted(positive, key=lambda i: (-exact_similarity(query, vectors[i]), i))
    ranked = [int(i) for i in positive[:shots]]
    if len(ranked) < shots:
        ranked += [int(i) for i in np.flatnonzero(similarities == 0)[: shots - len(ranked)]]
    return ranked


def knn_demonstrations(
    test: Sequence[Sentence], train: Sequence[Sentence], shots: int
) -> list[list[Sentence]]:
    """The `shots` train sentences most similar to each test sentence (TF-IDF cosine over
    lowercased words; ties broken by train order), leaving out those with its text
    (`same_text`), which would rank first. Similarities come from a sparse matrix product,
    a block of test sentences at a time; the few candidates near each cut are re-ranked by
    `exact_similarity`, so the choice is the plain definition's to the bit."""
    if not train:
        return [[] for _ in test]
    vectors, weigh = tf_idf([s.text for s in train])
    vocabulary = {word: i for i, word in enumerate(dict.fromkeys(w for v in vectors for w in v))}
    # Column-compressed: the product with a block of query rows measured fastest.
    train_matrix = sparse_rows(vectors, vocabulary).T.tocsc()
    # A word that is in no train sentence weighs 0 and matches nothing: left out.
    queries = [
        {w: v for w, v in weigh(Counter(WORD_RE.findall(s.text.lower()))).items() if v}
        for s in test
    ]
    excluded = same_text(test, train)
    chosen = []
    for start in range(0, len(test), KNN_BLOCK):
        block = queries[start : start + KNN_BLOCK]
        similarities = (sparse_rows(block, vocabulary) @ train_matrix).toarray()
        for row in range(len(block)):
            similarities[row, list(excluded[start + row])] = -1.0
        # One shot, one train sentence clearly best (the usual case): no re-ranking needed.
        best = similarities.argmax(axis=1)
        top = similarities[np.arange(len(block)), best]
        near = (similarities >= (top - 1e-9)[:, None]).sum(axis=1)
        for row, query in enumerate(block):
            if shots == 1 and top[row] > 0 and near[row] == 1:
                picked = [int(best[row])]
            else:
                picked = top_indices(similarities[row], query, vectors, shots)
            chosen.append([train[i] for i in picked])
    return chosen
