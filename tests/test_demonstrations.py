"""The samplers against their plain definitions: the same demonstrations, to the last tie."""

import math
import random
from collections import Counter, defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sciner_tasks.data import Sentence, load_split
from sciner_tasks.demonstrations import (
    WORD_RE,
    knn_demonstrations,
    random_demonstrations,
    same_text,
)


def plain_knn(test, train, shots):
    """The definition written plainly: TF-IDF (smoothed idf) unit vectors of lowercased words,
    every similarity summed word by word in the query's order, a full sort by (similarity
    descending, train index), train sentences with the test sentence's text left out."""
    documents = [Counter(WORD_RE.findall(s.text.lower())) for s in train]
    frequency = Counter(word for doc in documents for word in doc)
    idf = {w: math.log((1 + len(documents)) / (1 + n)) + 1 for w, n in frequency.items()}

    def weigh(counts):
        weights = {w: c * idf.get(w, 0.0) for w, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        return {w: v / norm for w, v in weights.items()}

    postings = defaultdict(list)  # word -> (train index, weight), to sum only what is shared
    for index, doc in enumerate(documents):
        for word, weight in weigh(doc).items():
            postings[word].append((index, weight))
    chosen = []
    for sentence, own in zip(test, same_text(test, train), strict=True):
        query = weigh(Counter(WORD_RE.findall(sentence.text.lower())))
        similarity = defaultdict(float)
        for word, weight in query.items():
            for index, other in postings.get(word, ()):
                similarity[index] += weight * other
        ranked = sorted(
            (i for i in range(len(train)) if i not in own),
            key=lambda i: (-similarity.get(i, 0.0), i),
        )
        chosen.append([train[i] for i in ranked[:shots]])
    return chosen


def test_knn_picks_the_plain_definitions_demonstrations_on_scierc():
    train = load_split("scierc", "train")
    test = load_split("scierc", "test")
    assert knn_demonstrations(test, train, 2) == plain_knn(test, train, 2)


def sentence(index: int, text: str) -> Sentence:
    return Sentence(f"s-{index}", "d", "test", text, tuple(text.split()), ())


# Few words, so many ties, duplicates, empty texts and sentences sharing no word.
TEXTS = st.lists(st.sampled_from(["a", "b", "c", "A b", "a a", "", "d e", "a b c"]), max_size=12)


@given(TEXTS, TEXTS, st.integers(1, 4))
def test_knn_breaks_every_tie_as_the_plain_definition(train_texts, test_texts, shots):
    train = [sentence(i, t) for i, t in enumerate(train_texts)]
    test = [sentence(100 + i, t) for i, t in enumerate(test_texts)]
    assert knn_demonstrations(test, train, shots) == plain_knn(test, train, shots)


def plain_random(test, train, shots, seed):
    """The random draw written plainly: a sample of the list of allowed train sentences."""
    return [
        random.Random(f"{seed}:{s.id}").sample(
            [t for i, t in enumerate(train) if i not in own], shots
        )
        for s, own in zip(test, same_text(test, train), strict=True)
    ]


def test_random_draws_what_sampling_the_allowed_list_draws_on_wlpc():
    """WLPC: a third of its test sentences have train sentences left out of their draw."""
    train, test = load_split("wlpc", "train"), load_split("wlpc", "test")
    for shots in (1, 3):
        assert random_demonstrations(test, train, shots, 1234) == plain_random(
            test, train, shots, 1234
        )


@given(TEXTS, TEXTS, st.integers(1, 3), st.integers(0, 99))
def test_random_draws_as_the_plain_definition(train_texts, test_texts, shots, seed):
    train = [sentence(i, t) for i, t in enumerate(train_texts)]
    test = [sentence(100 + i, t) for i, t in enumerate(test_texts)]
    try:
        expected = plain_random(test, train, shots, seed)
    except ValueError:  # fewer allowed sentences than shots: both refuse
        with pytest.raises(ValueError):
            random_demonstrations(test, train, shots, seed)
        return
    assert random_demonstrations(test, train, shots, seed) == expected
