"""Demonstrations for 1-shot prompts: which train sentences a test sentence is shown.

Two samplers (`--metadata '{"sampler": "knn"}'` picks the second): a seeded random draw and the
most similar train sentences. Neither shows a test sentence a train sentence with its own text
(`same_text`): that would be the answer.
"""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from collections.abc import Sequence

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


def word_columns(
    texts: Sequence[str], vocabulary: dict[str, int], grow: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The row and column of every lowercased word of the texts, text after text (column -1:
    a word outside the vocabulary; `grow` adds new words to it instead)."""
    words = [WORD_RE.findall(text.lower()) for text in texts]
    if grow:
        columns = [vocabulary.setdefault(w, len(vocabulary)) for ws in words for w in ws]
    else:
        columns = [vocabulary.get(w, -1) for ws in words for w in ws]
    rows = np.repeat(np.arange(len(texts)), [len(ws) for ws in words])
    return rows, np.array(columns, dtype=np.int64)


def word_counts(rows: np.ndarray, columns: np.ndarray, width: int):
    """(row, column, count) of each distinct word of each row, words outside the vocabulary
    left out, in the order the words first occur in their row (a Counter's order)."""
    kept = columns >= 0
    width = max(width, 1)
    keys = rows[kept] * width + columns[kept]
    distinct, first, counts = np.unique(keys, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return distinct[order] // width, distinct[order] % width, counts[order]


def unit_rows(counted, n_rows: int, idf: np.ndarray):
    """TF-IDF unit vectors (count x idf, over the vector's norm) as CSR rows. Each norm is
    summed in the row's word order, one word position at a time for all rows, as Python
    sums a list: every weight is the plain definition's to the bit, so exact ties stay
    ties."""
    from scipy.sparse import csr_matrix

    rows, columns, counts = counted
    lengths = np.bincount(rows, minlength=n_rows)
    weights = counts * idf[columns]
    squares = weights * weights
    starts = np.cumsum(lengths) - lengths
    norms = np.zeros(n_rows)
    for position in range(int(lengths.max(initial=0))):
        sums = np.flatnonzero(lengths > position)
        norms[sums] += squares[starts[sums] + position]
    norms = np.sqrt(norms)
    norms[norms == 0] = 1.0
    weights /= norms[rows]
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    return csr_matrix((weights, columns, indptr), shape=(n_rows, len(idf)))


def row_items(rows, index: int) -> tuple[list[int], list[float]]:
    start, end = rows.indptr[index], rows.indptr[index + 1]
    return rows.indices[start:end].tolist(), rows.data[start:end].tolist()


def exact_similarity(query: tuple[list[int], list[float]], vector: dict[int, float]) -> float:
    """The cosine summed in the query's word order: the figure `knn_demonstrations` ranks by,
    the same to the last bit on every machine (a matrix product sums in another order)."""
    total = 0.0
    for column, weight in zip(*query, strict=True):
        if column in vector:
            total += weight * vector[column]
    return total


def top_indices(similarities, query_rows, train_rows, row: int, shots: int) -> list[int]:
    """The `shots` best train indices for query `row` by (exact similarity descending,
    index): candidates from the matrix product's figures, within a margin of the cut far
    wider than its rounding, re-ranked exactly (a lone candidate needs no re-ranking); train
    sentences sharing no word (similarity exactly 0 either way) follow in index order.
    Excluded indices carry -1."""
    positive = np.flatnonzero(similarities > 0)
    if len(positive) > shots:
        cut = np.partition(similarities[positive], len(positive) - shots)[len(positive) - shots]
        positive = positive[similarities[positive] >= cut - 1e-9]
    if len(positive) > 1:
        query = row_items(query_rows, row)

        def exact(i: int) -> float:
            return exact_similarity(query, dict(zip(*row_items(train_rows, i), strict=True)))

        positive = sorted(positive, key=lambda i: (-exact(i), i))
    ranked = [int(i) for i in positive[:shots]]
    if len(ranked) < shots:
        ranked += [int(i) for i in np.flatnonzero(similarities == 0)[: shots - len(ranked)]]
    return ranked


def knn_demonstrations(
    test: Sequence[Sentence], train: Sequence[Sentence], shots: int
) -> list[list[Sentence]]:
    """The `shots` train sentences most similar to each test sentence (TF-IDF cosine over
    lowercased words, smoothed idf as scikit-learn's; ties broken by train order), leaving
    out those with its text (`same_text`), which would rank first. Similarities come from a
    sparse matrix product, a block of test sentences at a time; the few candidates near each
    cut are re-ranked by `exact_similarity`, so the choice is the plain definition's to the
    bit."""
    if not train:
        return [[] for _ in test]
    vocabulary: dict[str, int] = {}
    train_words = word_columns([s.text for s in train], vocabulary, grow=True)
    train_counts = word_counts(*train_words, len(vocabulary))
    frequency = np.bincount(train_counts[1], minlength=len(vocabulary)).tolist()
    idf = np.array([math.log((1 + len(train)) / (1 + n)) + 1 for n in frequency])
    train_rows = unit_rows(train_counts, len(train), idf)
    test_words = word_columns([s.text for s in test], vocabulary, grow=False)
    query_rows = unit_rows(word_counts(*test_words, len(vocabulary)), len(test), idf)
    excluded = same_text(test, train)
    chosen = []
    for start in range(0, len(test), KNN_BLOCK):
        rows = range(start, min(start + KNN_BLOCK, len(test)))
        # Sparse train rows times a dense block of queries: measured faster than a sparse
        # product (whose result is dense anyway: common words link most sentences).
        queries = query_rows[start : rows.stop].toarray()
        similarities = np.ascontiguousarray((train_rows @ queries.T).T)
        for offset, row in enumerate(rows):
            similarities[offset, list(excluded[row])] = -1.0
        # One shot, one train sentence clearly best (the usual case): no re-ranking needed.
        best = similarities.argmax(axis=1)
        top = similarities[np.arange(len(rows)), best]
        near = (similarities >= (top - 1e-9)[:, None]).sum(axis=1)
        for offset, row in enumerate(rows):
            if shots == 1 and top[offset] > 0 and near[offset] == 1:
                picked = [int(best[offset])]
            else:
                picked = top_indices(similarities[offset], query_rows, train_rows, row, shots)
            chosen.append([train[i] for i in picked])
    return chosen
