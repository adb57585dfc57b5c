"""Tests of sciner_tasks.scoring: hand-worked cases, properties, and agreement with seqeval."""

import json
import math
import random
import warnings
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sciner_tasks import scoring
from sciner_tasks.scoring import (
    CORRECT,
    SPURIOUS,
    WRONG_BOUNDARY,
    WRONG_TYPE,
    Counts,
    ErrorCounts,
    SentencePredictions,
    SentenceScore,
    Span,
    aggregate,
    bootstrap_f1_stderr,
    classify_predictions,
    count_hallucinated,
    count_matches,
    group_by_sentence,
    normalise,
    normalise_all,
    score_corpus,
    score_sentence,
    tally,
)


def entity(text: str, substring: str, type_: str, occurrence: int = 0) -> dict:
    """A gold entity dict (as a Hub row holds it) for the n-th occurrence of `substring`."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(substring, start + 1)
    return {"start": start, "end": start + len(substring), "type": type_, "text": substring}


# --- hand-worked examples -----------------------------------------------------------------

TEXT = "We train a naive Bayes classifier and a neural network on ImageNet ."
GOLD = [
    entity(TEXT, "train", "Task"),
    entity(TEXT, "naive Bayes classifier", "Method"),
    entity(TEXT, "neural network", "Method"),
    entity(TEXT, "ImageNet", "Dataset"),
]
PREDICTIONS = [
    ("Method", "naive Bayes classifier"),  # correct
    ("Method", "neural"),  # wrong_boundary: overlaps "neural network"
    ("Method", "ImageNet"),  # wrong_type: the gold "ImageNet" is a Dataset
    ("Task", "training"),  # spurious: not in the text, so it overlaps nothing (hallucinated)
]  # "train" is missed


def test_worked_example_every_metric():
    score = aggregate([score_sentence(GOLD, PREDICTIONS, TEXT)])
    assert score.counts == Counts(tp=1, fp=3, fn=3)
    assert (score.precision, score.recall, score.f1) == (0.25, 0.25, 0.25)
    # Normalisation changes no match here: "imagenet" still has the wrong type.
    assert score.normalised_counts == Counts(tp=1, fp=3, fn=3)
    assert score.per_type == {
        "Dataset": Counts(tp=0, fp=0, fn=1),
        "Method": Counts(tp=1, fp=2, fn=1),
        "Task": Counts(tp=0, fp=1, fn=1),
    }
    assert score.per_type["Method"].precision == pytest.approx(1 / 3)
    assert score.per_type["Method"].recall == 0.5
    assert score.per_type["Method"].f1 == pytest.approx(0.4)
    assert score.errors == ErrorCounts(
        correct=1, wrong_type=1, wrong_boundary=1, spurious=1, missed=1
    )
    assert score.hallucination_rate == 0.25
    assert (score.n_predictions, score.n_gold) == (4, 4)


def test_worked_example_labels_follow_input_order_and_missed_in_text_order():
    result = classify_predictions(GOLD, PREDICTIONS, TEXT)
    assert result.labels == (CORRECT, WRONG_BOUNDARY, WRONG_TYPE, SPURIOUS)
    assert result.missed == (Span(3, 8, "Task", "train"),)
    # Which gold entity each prediction took: what the error pages mark it against.
    assert [span.text for span in result.gold] == [
        "train",
        "naive Bayes classifier",
        "neural network",
        "ImageNet",
    ]
    assert result.matched == (1, 2, 3, None)


def test_f1_is_harmonic_mean_of_precision_and_recall():
    counts = Counts(tp=3, fp=1, fn=5)
    p, r = 3 / 4, 3 / 8
    assert (counts.precision, counts.recall) == (p, r)
    assert counts.f1 == pytest.approx(2 * p * r / (p + r))


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (Counts(), (0.0, 0.0, 0.0)),
        (Counts(fp=3), (0.0, 0.0, 0.0)),
        (Counts(fn=2), (0.0, 0.0, 0.0)),
        (Counts(fp=1, fn=1), (0.0, 0.0, 0.0)),
        (Counts(tp=2), (1.0, 1.0, 1.0)),
    ],
)
def test_zero_division_gives_zero(counts, expected):
    assert (counts.precision, counts.recall, counts.f1) == expected


def test_duplicates_are_matched_as_a_multiset():
    gold, once = [("A", "x"), ("A", "x")], [("A", "x")]
    assert count_matches(gold, once * 3) == Counts(tp=2, fp=1, fn=0)
    assert count_matches(once, once * 3) == Counts(tp=1, fp=2, fn=0)
    assert count_matches(gold, once) == Counts(tp=1, fp=0, fn=1)


def test_a_repeated_gold_mention_counts_once_and_repeated_predictions_are_spurious():
    """Gold is a set of (type, string) pairs per sentence, as UniNER and IEPile score it."""
    text = "x and x and x"
    gold = [entity(text, "x", "A", occurrence=k) for k in range(3)] + [entity(text, "x", "B")]
    score = score_sentence(gold, [("A", "x")] * 3, text)
    assert score.errors == ErrorCounts(correct=1, wrong_type=1, spurious=1)
    assert score.strict == Counts(tp=1, fp=2, fn=1)
    assert score.normalised == Counts(tp=1, fp=2, fn=1)
    # The first mention stands for the repeats.
    assert classify_predictions(gold, [], text).missed == (
        Span(0, 1, "A", "x"),
        Span(0, 1, "B", "x"),
    )


def test_gold_is_de_duplicated_after_normalising_for_the_normalised_score():
    text = "The CRF and the CRF ."
    gold = [entity(text, "The CRF", "M"), entity(text, "the CRF", "M")]
    score = score_sentence(gold, [("M", "The CRF"), ("M", "the CRF")], text)
    assert score.strict == Counts(tp=2, fp=0, fn=0)
    assert score.normalised == Counts(tp=1, fp=1, fn=0)


def test_empty_gold_and_predictions():
    nothing = aggregate([score_sentence([], [], "Some text .")])
    assert nothing.counts == Counts()
    assert (nothing.precision, nothing.recall, nothing.f1, nothing.hallucination_rate) == (0,) * 4
    assert nothing.errors == ErrorCounts()

    only_gold = aggregate([score_sentence(GOLD, [], TEXT)])
    assert only_gold.counts == Counts(fn=4)
    assert only_gold.errors == ErrorCounts(missed=4)
    assert only_gold.f1 == 0.0

    only_predictions = aggregate([score_sentence([], PREDICTIONS, TEXT)])
    assert only_predictions.counts == Counts(fp=4)
    assert only_predictions.errors == ErrorCounts(spurious=4)
    assert only_predictions.hallucination_rate == 0.25


def test_empty_corpus():
    score = aggregate([])
    assert (score.f1, score.n_predictions, score.n_gold, score.per_type) == (0.0, 0, 0, {})


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("The  U.S.-based Neural-Network", "usbased neuralnetwork"),
        ("an apple a day", "apple day"),
        ("Theory of anything", "theory of anything"),  # articles only as whole words
        ("A*", ""),  # punctuation goes first, so "A*" becomes the article "a"
        ("  BERT\tmodel\n", "bert model"),
    ],
)
def test_normalise(raw, normalised):
    assert normalise(raw) == normalised


def test_normalised_variant_matches_strings_up_to_normalisation_but_not_types():
    text = "We fine-tune the BERT model ."
    gold = [entity(text, "the BERT model", "Method")]
    assert score_sentence(gold, [("Method", "BERT Model")], text).normalised == Counts(tp=1)
    assert score_sentence(gold, [("Method", "BERT Model")], text).strict == Counts(fp=1, fn=1)
    assert score_sentence(gold, [("method", "BERT model")], text).normalised == Counts(fp=1, fn=1)


def test_wrong_boundary_needs_same_type_and_an_overlap():
    text = "deep neural network models"
    gold = [entity(text, "neural network", "M")]
    labels = classify_predictions(
        gold, [("M", "deep neural"), ("M", "models"), ("T", "deep neural")], text
    ).labels
    assert labels == (WRONG_BOUNDARY, SPURIOUS, SPURIOUS)


def test_touching_is_not_overlapping():
    text = "Bayes-optimal"
    gold = [entity(text, "Bayes", "M")]
    assert classify_predictions(gold, [("M", "-optimal")], text).labels == (SPURIOUS,)
    assert classify_predictions(gold, [("M", "s-optimal")], text).labels == (WRONG_BOUNDARY,)


def test_one_prediction_per_gold_entity_in_sorted_order():
    text = "deep neural network models"
    gold = [entity(text, "neural network", "M")]
    # Both overlap the one gold entity; "deep neural" sorts first and takes it.
    result = classify_predictions(gold, [("M", "network models"), ("M", "deep neural")], text)
    assert result.labels == (SPURIOUS, WRONG_BOUNDARY)
    assert result.missed == ()


def test_any_occurrence_of_the_predicted_string_may_overlap():
    text = "a model and a neural model"
    gold = [entity(text, "neural model", "M")]
    # "model" first occurs at 2, outside the gold span; its second occurrence is inside.
    assert classify_predictions(gold, [("M", "model")], text).labels == (WRONG_BOUNDARY,)


def test_wrong_boundary_never_for_a_string_absent_from_the_text():
    text = "a neural network"
    gold = [entity(text, "neural network", "M")]
    # Case differs: the string is not located, so it overlaps nothing.
    assert classify_predictions(gold, [("M", "Neural")], text).labels == (SPURIOUS,)
    assert classify_predictions(gold, [("M", "")], text).labels == (SPURIOUS,)


def test_pass_order_correct_then_wrong_type_then_wrong_boundary():
    text = "x y"
    gold = [entity(text, "x y", "A"), entity(text, "x", "B")]
    # (A, "x") overlaps the A entity "x y", but its string equals the B entity: wrong_type wins.
    result = classify_predictions(gold, [("A", "x")], text)
    assert result.labels == (WRONG_TYPE,)
    assert result.missed == (Span(0, 3, "A", "x y"),)
    # A correct match consumes the gold entity first, so the retyped copy finds nothing left.
    gold = [entity(text, "x", "A")]
    assert classify_predictions(gold, [("B", "x"), ("A", "x")], text).labels == (
        SPURIOUS,
        CORRECT,
    )


def test_wrong_type_takes_the_first_gold_entity_in_text_order():
    text = "x or x"
    gold = [entity(text, "x", "B", occurrence=1), entity(text, "x", "A")]
    result = classify_predictions(gold, [("C", "x")], text)
    assert result.labels == (WRONG_TYPE,)
    assert result.missed == (Span(5, 6, "B", "x"),)


def test_without_text_overlap_is_string_containment_and_nothing_is_checked_for_grounding():
    gold = [entity("deep neural network models", "neural network", "M")]
    for prediction, label in [
        ("neural", WRONG_BOUNDARY),  # inside the gold string
        ("deep neural network", WRONG_BOUNDARY),  # contains the gold string
        ("network models", SPURIOUS),  # overlaps in the text, but neither contains the other
    ]:
        assert classify_predictions(gold, [("M", prediction)]).labels == (label,)
    score = score_sentence(gold, [("M", "neural"), ("M", "deep neural network")])
    # One gold entity takes one prediction: "deep neural network" sorts first and takes it.
    assert score.errors == ErrorCounts(wrong_boundary=1, spurious=1)
    assert (score.hallucinated, score.grounding_checked) == (0, 0)
    assert aggregate([score]).hallucination_rate == 0.0


def test_hallucination_counts_exact_substrings_only():
    text = "We use BERT ."
    predictions = [("M", "BERT"), ("M", "bert"), ("M", "BERT-large"), ("M", ""), ("M", "use")]
    assert count_hallucinated(predictions, text) == 3


def test_hallucination_rate_ignores_sentences_without_text():
    with_text = score_sentence([], [("M", "BERT"), ("M", "GPT")], "We use BERT .")
    without_text = score_sentence([], [("M", "x")] * 6)
    assert aggregate([with_text, without_text]).hallucination_rate == 0.5


def test_entity_records_and_dicts_score_alike():
    from sciner_tasks.data.schema import Entity

    records = [Entity(**e) for e in GOLD]
    assert score_sentence(records, PREDICTIONS, TEXT) == score_sentence(GOLD, PREDICTIONS, TEXT)


def test_predictions_may_be_lists_as_json_gives_them():
    as_lists = [list(p) for p in PREDICTIONS]
    assert score_sentence(GOLD, as_lists, TEXT) == score_sentence(GOLD, PREDICTIONS, TEXT)


def test_sentence_scores_sum_like_lm_eval_aggregation():
    first = score_sentence(GOLD, PREDICTIONS, TEXT)
    second = score_sentence([entity("BERT .", "BERT", "Method")], [("Method", "BERT")], "BERT .")
    total = first + second
    assert total == sum([first, second], SentenceScore())
    assert total.strict == Counts(tp=2, fp=3, fn=3)
    assert total.per_type["Method"] == Counts(tp=2, fp=2, fn=1)
    assert aggregate([first, second]).f1 == 0.4


def test_to_dict_is_json_ready():
    result = json.loads(json.dumps(aggregate([score_sentence(GOLD, PREDICTIONS, TEXT)]).to_dict()))
    assert result["f1"] == 0.25
    assert result["errors"]["wrong_boundary"] == 1
    assert result["per_type"]["Method"]["tp"] == 1
    assert result["counts"] == {"precision": 0.25, "recall": 0.25, "f1": 0.25, "tp": 1, "fp": 3,
                                "fn": 3}  # fmt: skip


def test_strict_string_matching_differs_from_position_matching_on_repeated_strings():
    # Documented design: the same string elsewhere in the sentence still matches, because a
    # generated answer carries no offsets. seqeval (positions) would score this 0.
    text = "x y x"
    gold = [entity(text, "x", "A")]
    assert score_sentence(gold, [("A", "x")], text).strict == Counts(tp=1)


# --- properties --------------------------------------------------------------------------

WORDS = ["a", "ab", "the", "Ba", "b"]
TYPES = ["X", "Y", "Z"]


@st.composite
def sentence(draw, index: int = 0):
    """(text, gold entity dicts, predictions) with a mix of every error class.

    Every token carries the sentence index as "[k]", so no string of one sentence occurs in, or
    equals a (normalised) string of, another: that is what lets concatenated sentences score as
    the sum of their parts.
    """
    tokens = [
        f"[{index}]{w}" for w in draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8))
    ]
    text = " ".join(tokens)
    starts = [sum(len(t) + 1 for t in tokens[:i]) for i in range(len(tokens))]

    def span(i: int, length: int) -> tuple[int, int]:
        last = min(i + length, len(tokens)) - 1
        return starts[i], starts[last] + len(tokens[last])

    spans = st.builds(span, st.integers(0, len(tokens) - 1), st.integers(1, 3))
    gold = [
        {"start": s, "end": e, "type": t, "text": text[s:e]}
        for (s, e), t in draw(st.lists(st.tuples(spans, st.sampled_from(TYPES)), max_size=6))
    ]
    variants = [lambda s: s, lambda s: s + "z", str.upper]  # exact, hallucinated, case-changed
    free = st.builds(
        lambda se, t, v: (t, v(text[se[0] : se[1]])),
        spans,
        st.sampled_from(TYPES),
        st.sampled_from(variants),
    )
    copies = st.sampled_from([(e["type"], e["text"]) for e in gold]) if gold else free
    predictions = draw(st.lists(st.one_of(copies, free), max_size=8))
    return text, gold, predictions


def as_gold(pairs):
    """Gold dicts for pair-only properties (offsets do not matter without text)."""
    return [{"start": 0, "end": len(s), "type": t, "text": s} for t, s in pairs]


# Without repeats: gold is a set, so only then are gold and predictions interchangeable.
pairs = st.lists(
    st.tuples(st.sampled_from(TYPES), st.sampled_from(["x", "y", "x y", "Y"])),
    max_size=8,
    unique=True,
)


@given(pairs, pairs)
def test_swapping_gold_and_predictions_swaps_precision_and_recall(gold, predictions):
    forward = aggregate([score_sentence(as_gold(gold), predictions)])
    backward = aggregate([score_sentence(as_gold(predictions), gold)])
    assert (forward.precision, forward.recall, forward.f1) == (
        backward.recall,
        backward.precision,
        backward.f1,
    )
    if all(len({(t, normalise(x)) for t, x in side}) == len(side) for side in (gold, predictions)):
        assert forward.normalised_f1 == backward.normalised_f1  # nothing merges on normalising
    for t, counts in forward.per_type.items():
        assert backward.per_type[t] == Counts(tp=counts.tp, fp=counts.fn, fn=counts.fp)


@given(sentence(), st.randoms())
def test_perfect_prediction_scores_one(case, rng):
    text, gold, _ = case
    predictions = list({(e["type"], e["text"]) for e in gold})
    rng.shuffle(predictions)
    score = aggregate([score_sentence(gold, predictions, text)])
    if gold:
        assert (score.precision, score.recall, score.f1) == (1.0,) * 3
    assert score.errors == ErrorCounts(correct=len(predictions))
    assert score.hallucination_rate == 0.0


@settings(deadline=None)
@given(
    st.integers(1, 4).flatmap(lambda n: st.tuples(*(sentence(k) for k in range(n)))), st.booleans()
)
def test_aggregate_equals_scoring_the_concatenation(cases, with_text):
    texts, golds, predictions = [], [], []
    offset = 0
    for text, gold, preds in cases:
        golds += [{**e, "start": e["start"] + offset, "end": e["end"] + offset} for e in gold]
        predictions += preds
        texts.append(text)
        offset += len(text) + 1
    joined = " ".join(texts) if with_text else None
    parts = [score_sentence(g, p, t if with_text else None) for t, g, p in cases]
    whole = score_sentence(golds, predictions, joined)
    assert sum(parts, SentenceScore()) == whole
    assert aggregate(parts) == aggregate([whole])


@given(sentence(), st.randoms(), st.booleans())
def test_order_does_not_matter(case, rng, with_text):
    text, gold, predictions = case
    text = text if with_text else None
    shuffled_gold, shuffled_predictions = list(gold), list(predictions)
    rng.shuffle(shuffled_gold)
    rng.shuffle(shuffled_predictions)
    assert score_sentence(gold, predictions, text) == score_sentence(
        shuffled_gold, shuffled_predictions, text
    )
    # Labels move with their predictions (identical predictions may trade labels).
    before = classify_predictions(gold, predictions, text)
    after = classify_predictions(shuffled_gold, shuffled_predictions, text)
    assert sorted(zip(predictions, before.labels, strict=True)) == sorted(
        zip(shuffled_predictions, after.labels, strict=True)
    )
    assert before.missed == after.missed


@given(sentence(), st.booleans())
def test_counts_are_consistent(case, with_text):
    text, gold, predictions = case
    score = score_sentence(gold, predictions, text if with_text else None)
    corpus = aggregate([score])
    errors = score.errors
    n_gold = len({(e["type"], e["text"]) for e in gold})  # each (type, string) pair once
    assert score.strict.tp + score.strict.fp == corpus.n_predictions == len(predictions)
    assert score.strict.tp + score.strict.fn == corpus.n_gold == n_gold
    assert errors.correct + errors.wrong_type + errors.wrong_boundary + errors.spurious == len(
        predictions
    )
    assert errors.correct + errors.wrong_type + errors.wrong_boundary + errors.missed == n_gold
    assert errors.correct == score.strict.tp
    assert sum(score.per_type.values(), Counts()) == score.strict
    # Normalising may merge gold pairs (then counted once), never split them.
    assert score.normalised.tp + score.normalised.fn <= n_gold
    assert score.normalised.tp + score.normalised.fp == len(predictions)
    if with_text:
        # A hallucinated string equals no gold string and is located nowhere: always spurious.
        assert score.hallucinated <= errors.spurious
        assert score.grounding_checked == len(predictions)


@given(sentence(), st.booleans())
def test_each_match_fits_its_class_and_takes_its_gold_entity_once(case, with_text):
    text, gold, predictions = case
    text = text if with_text else None
    result = classify_predictions(gold, predictions, text)
    assert len(result.matched) == len(result.labels) == len(predictions)
    taken = [j for j in result.matched if j is not None]
    assert len(taken) == len(set(taken))
    assert result.missed == tuple(s for j, s in enumerate(result.gold) if j not in taken)
    for (type_, string), label, j in zip(predictions, result.labels, result.matched, strict=True):
        assert (j is None) == (label == SPURIOUS)
        if j is None:
            continue
        span = result.gold[j]
        fits = {
            CORRECT: (type_, string) == (span.type, span.text),
            WRONG_TYPE: string == span.text and type_ != span.type,
            WRONG_BOUNDARY: type_ == span.type and string != span.text,
        }
        assert fits[label]
        if label == WRONG_BOUNDARY and text is not None:
            located = [k for k in range(len(text)) if text.startswith(string, k)]
            assert any(k < span.end and span.start < k + len(string) for k in located)


# --- agreement with seqeval ----------------------------------------------------------------


def iob2_chunks(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, first token, end token) chunks, read as seqeval's strict IOB2 mode reads them: a
    chunk starts at B-T and runs over the I-T that follow; an I- tag that does not continue a
    chunk of its type belongs to no chunk."""
    chunks, current = [], None
    for i, tag in enumerate([*tags, "O"]):
        if current and tag == f"I-{current[0]}":
            current[2] = i + 1
            continue
        if current:
            chunks.append(tuple(current))
        current = [tag[2:], i, i + 1] if tag.startswith("B-") else None
    return chunks


def chunks_to_entities(tokens: list[str], chunks) -> tuple[str, list[dict], list[tuple[str, str]]]:
    """The sentence text (tokens joined by spaces), gold dicts and (type, string) pairs."""
    text = " ".join(tokens)
    starts = [sum(len(t) + 1 for t in tokens[:i]) for i in range(len(tokens))]
    entities = [
        {"start": starts[a], "end": starts[b - 1] + len(tokens[b - 1]), "type": t}
        for t, a, b in chunks
    ]
    for e in entities:
        e["text"] = text[e["start"] : e["end"]]
    return text, entities, [(e["type"], e["text"]) for e in entities]


def score_tags(sentences: list[list[str]], gold_tags, predicted_tags):
    """Our corpus score of tag sequences, through (type, string) pairs only."""
    scores = []
    for tokens, gold, predicted in zip(sentences, gold_tags, predicted_tags, strict=True):
        text, gold_entities, _ = chunks_to_entities(tokens, iob2_chunks(gold))
        _, _, predictions = chunks_to_entities(tokens, iob2_chunks(predicted))
        scores.append(score_sentence(gold_entities, predictions, text))
    return aggregate(scores)


def assert_agrees_with_seqeval(ours, gold_tags, predicted_tags):
    seqeval_metrics = pytest.importorskip("seqeval.metrics")
    iob2 = pytest.importorskip("seqeval.scheme").IOB2
    kwargs = {"mode": "strict", "scheme": iob2, "zero_division": 0}
    assert ours.f1 == pytest.approx(seqeval_metrics.f1_score(gold_tags, predicted_tags, **kwargs))
    assert ours.precision == pytest.approx(
        seqeval_metrics.precision_score(gold_tags, predicted_tags, **kwargs)
    )
    assert ours.recall == pytest.approx(
        seqeval_metrics.recall_score(gold_tags, predicted_tags, **kwargs)
    )
    with warnings.catch_warnings():
        # seqeval averages empty arrays (numpy warns) when a type has no entities at all.
        warnings.simplefilter("ignore", RuntimeWarning)
        report = seqeval_metrics.classification_report(
            gold_tags, predicted_tags, output_dict=True, **kwargs
        )
    for t, counts in ours.per_type.items():
        if counts.tp + counts.fn:  # seqeval reports only types that occur in the gold
            assert counts.f1 == pytest.approx(report[t]["f1-score"])
            assert counts.tp + counts.fn == report[t]["support"]


TAGS = ["O", "O", "B-X", "I-X", "B-Y", "I-Y"]


@settings(deadline=None)
@given(
    st.lists(st.integers(0, 10), min_size=1, max_size=6).flatmap(
        lambda lengths: st.tuples(
            *(st.tuples(st.lists(st.sampled_from(TAGS), min_size=n, max_size=n),
                        st.lists(st.sampled_from(TAGS), min_size=n, max_size=n))
              for n in lengths)
        )
    )
)  # fmt: skip
def test_strict_f1_equals_seqeval_on_random_iob2(tag_pairs):
    # Tokens are unique within a sentence (tok0, tok1, ...), so equal strings mean equal
    # positions and string matching must agree exactly with seqeval's position matching.
    sentences = [[f"tok{i}" for i in range(len(gold))] for gold, _ in tag_pairs]
    gold_tags = [list(gold) for gold, _ in tag_pairs]
    predicted_tags = [list(predicted) for _, predicted in tag_pairs]
    ours = score_tags(sentences, gold_tags, predicted_tags)
    assert_agrees_with_seqeval(ours, gold_tags, predicted_tags)


def read_conll(path) -> list[tuple[list[str], list[str]]]:
    sentences, tokens, tags = [], [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            token, tag = line.split("\t")
            tokens.append(token)
            tags.append(tag)
        elif tokens:
            sentences.append((tokens, tags))
            tokens, tags = [], []
    return sentences


def corrupt(tags: list[str], types: list[str], counter: int, sentence_index: int):
    """Deterministic damage to gold tags: of every six entities, drop one, move one boundary,
    retype one, keep three; in every fifth sentence, tag the first free token as an entity."""
    predicted = ["O"] * len(tags)
    for t, a, b in iob2_chunks(tags):
        kind = counter % 6
        counter += 1
        if kind == 0:
            continue
        if kind == 1:
            if b - a > 1:
                b -= 1
            elif b < len(tags) and tags[b] == "O":
                b += 1
        if kind == 2:
            t = types[(types.index(t) + 1) % len(types)]
        predicted[a:b] = [f"B-{t}"] + [f"I-{t}"] * (b - a - 1)
    if sentence_index % 5 == 0 and "O" in predicted:
        predicted[predicted.index("O")] = f"B-{types[0]}"
    return predicted, counter


@pytest.fixture(scope="module")
def crossner_ai(raw):
    path = raw / "crossner" / "ner_data" / "ai" / "test.txt"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    sentences = read_conll(path)
    types = sorted({tag[2:] for _, tags in sentences for tag in tags if tag != "O"})
    predicted_tags, counter = [], 0
    for i, (_, tags) in enumerate(sentences):
        predicted, counter = corrupt(tags, types, counter, i)
        predicted_tags.append(predicted)
    return [tokens for tokens, _ in sentences], [tags for _, tags in sentences], predicted_tags


def test_strict_f1_equals_seqeval_on_crossner_with_position_unique_tokens(crossner_ai):
    sentences, gold_tags, predicted_tags = crossner_ai
    # Suffixing each token with its index makes equal strings mean equal positions.
    unique = [[f"{token}@{i}" for i, token in enumerate(tokens)] for tokens in sentences]
    ours = score_tags(unique, gold_tags, predicted_tags)
    assert 0.3 < ours.f1 < 0.9  # the corruption must leave something to get wrong
    assert ours.errors.wrong_type and ours.errors.wrong_boundary and ours.errors.spurious
    assert ours.hallucination_rate == 0.0
    assert_agrees_with_seqeval(ours, gold_tags, predicted_tags)


def test_strict_f1_equals_seqeval_on_crossner_where_strings_are_unique(crossner_ai):
    sentences, gold_tags, predicted_tags = crossner_ai

    def strings_identify_positions(tokens, gold, predicted) -> bool:
        spans = set(iob2_chunks(gold)) | set(iob2_chunks(predicted))
        positions = {(a, b) for _, a, b in spans}
        return len({" ".join(tokens[a:b]) for a, b in positions}) == len(positions)

    kept = [
        case
        for case in zip(sentences, gold_tags, predicted_tags, strict=True)
        if strings_identify_positions(*case)
    ]
    assert len(kept) > 0.8 * len(sentences)
    subset = [list(column) for column in zip(*kept, strict=True)]
    ours = score_tags(*subset)
    assert 0.3 < ours.f1 < 0.9
    assert_agrees_with_seqeval(ours, subset[1], subset[2])


# --- Hugging Face evaluate module -----------------------------------------------------------


def test_evaluate_module_loads_by_path_and_calls_the_scorer():
    evaluate = pytest.importorskip("evaluate")
    from sciner_tasks.metrics import SCINER_NER

    metric = evaluate.load(SCINER_NER, keep_in_memory=True)
    second = "We fine-tune BERT ."
    result = metric.compute(
        predictions=[
            [{"type": t, "text": s} for t, s in PREDICTIONS],
            [{"type": "Method", "text": "BERT"}],
        ],
        references=[
            {"text": TEXT, "entities": GOLD},
            {"text": second, "entities": [entity(second, "BERT", "Method")]},
        ],
    )
    expected = aggregate(
        [
            score_sentence(GOLD, PREDICTIONS, TEXT),
            score_sentence([entity(second, "BERT", "Method")], [("Method", "BERT")], second),
        ]
    )
    assert result == expected.to_dict()
    assert result["f1"] == 0.4


# --- the linear scorer against the straightforward one -------------------------------------
# `reference_score` scores one sentence the plain way the module docstring and
# `classify_predictions` describe (Counter matching, pairwise scans in gold order): the
# scorer's set intersections, segment trees and batched normalisation must agree with it.


def reference_score(gold: list[dict], predictions: list[tuple[str, str]], text):
    spans, seen = [], set()
    for e in sorted(gold, key=lambda e: (e["start"], e["end"], e["type"], e["text"])):
        if (e["type"], e["text"]) not in seen:
            seen.add((e["type"], e["text"]))
            spans.append(e)
    pairs = Counter((e["type"], e["text"]) for e in spans)
    predicted = Counter(predictions)

    def counts(gold_bag, predicted_bag):
        tp = sum((gold_bag & predicted_bag).values())
        return Counts(tp, sum(predicted_bag.values()) - tp, sum(gold_bag.values()) - tp)

    def overlaps(s, e):
        if text is None:
            return bool(s) and (s in e["text"] or e["text"] in s)
        found = [i for i in range(len(text)) if s and text.startswith(s, i)]
        return any(i < e["end"] and e["start"] < i + len(s) for i in found)

    fits = (
        (CORRECT, lambda t, s, e: e["type"] == t and e["text"] == s),
        (WRONG_TYPE, lambda t, s, e: e["type"] != t and e["text"] == s),
        (WRONG_BOUNDARY, lambda t, s, e: e["type"] == t and e["text"] != s and overlaps(s, e)),
    )
    labels, taken = {}, set()
    for label, fit in fits:
        for i in sorted(range(len(predictions)), key=predictions.__getitem__):
            if i in labels:
                continue
            for j, e in enumerate(spans):
                if j not in taken and fit(*predictions[i], e):
                    taken.add(j)
                    labels[i] = label
                    break
    classes = Counter(labels.values())
    types = sorted({t for t, _ in pairs} | {t for t, _ in predictions})
    return SentenceScore(
        strict=counts(pairs, predicted),
        normalised=counts(
            Counter({(t, normalise(s)) for t, s in pairs}),
            Counter((t, normalise(s)) for t, s in predictions),
        ),
        per_type={
            t: counts(
                Counter({p: n for p, n in pairs.items() if p[0] == t}),
                Counter({p: n for p, n in predicted.items() if p[0] == t}),
            )
            for t in types
        },
        errors=ErrorCounts(
            correct=classes[CORRECT],
            wrong_type=classes[WRONG_TYPE],
            wrong_boundary=classes[WRONG_BOUNDARY],
            spurious=len(predictions) - len(labels),
            missed=len(spans) - len(taken),
        ),
        hallucinated=0
        if text is None
        else sum(1 for _, s in predictions if not s or s not in text),
        grounding_checked=0 if text is None else len(predictions),
    )


@st.composite
def corpus(draw):
    """Sentences of `sentence`, each with or without its text."""
    cases = [draw(sentence(index)) for index in range(draw(st.integers(0, 5)))]
    return [(g, p, t if draw(st.booleans()) else None) for t, g, p in cases]


@settings(max_examples=300)
@given(corpus())
def test_the_scorer_equals_the_straightforward_one(cases):
    sentences = [SentencePredictions(g, p, t) for g, p, t in cases]
    references = [reference_score(g, p, t) for g, p, t in cases]
    assert score_corpus(sentences) == aggregate(references)
    rows = tally(sentences).strict.tolist()
    assert rows == [[r.strict.tp, r.strict.fp, r.strict.fn] for r in references]
    for (g, p, t), reference in zip(cases, references, strict=True):
        assert score_sentence(g, p, t) == reference


@given(corpus(), st.randoms())
def test_queries_of_a_sentence_score_together(cases, rng):
    """Items as process_results logs them, a sentence's predictions split over several
    queries (as UniNER's and IEPile's are), score as the sentences."""
    items = []
    for index, (g, p, t) in enumerate(cases):
        cuts = sorted(rng.randint(0, len(p)) for _ in range(2))
        for part in (p[: cuts[0]], p[cuts[0] : cuts[1]], p[cuts[1] :]):
            items.append(
                {
                    "sentence_id": str(index),
                    "text": t,
                    "entities": g,
                    "predictions": [list(x) for x in part],
                }
            )
    rng.shuffle(items)
    grouped = group_by_sentence(items)
    assert sorted(sorted(s.predictions) for s in grouped) == sorted(sorted(p) for _, p, _ in cases)
    assert score_corpus(grouped) == aggregate(reference_score(g, p, t) for g, p, t in cases)


def test_a_crowded_sentence_matches_boundaries_in_gold_order():
    """Many overlapping gold entities of one type: pass 3 takes the first free one in gold
    order, over every occurrence of the predicted string (the segment tree's query)."""
    text = "a b a b a b c"
    gold = [entity(text, "a b", "T", k) for k in range(3)] + [entity(text, "b c", "T")]
    predictions = [("T", "b"), ("T", "b a"), ("T", "a"), ("T", "c"), ("T", "b a b")]
    assert score_sentence(gold, predictions, text) == reference_score(gold, predictions, text)


@given(st.lists(st.text(alphabet="aAnNtThHeE Σσς.,-'\t\n\x0b\x1c\x85\u2009\x00é_1", max_size=12)))
def test_normalise_all_is_normalise_of_each(texts):
    assert normalise_all(texts) == [normalise(text) for text in texts]


@given(st.lists(st.text(max_size=20)))
def test_normalise_all_is_normalise_of_each_on_any_text(texts):
    assert normalise_all(texts) == [normalise(text) for text in texts]


def reference_bootstrap(counts: list[Counts], iterations: int, seed: int) -> float:
    rng = random.Random(seed)
    values = [sum(rng.choices(counts, k=len(counts)), Counts()).f1 for _ in range(iterations)]
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


counts_rows = st.lists(st.builds(Counts, *[st.integers(0, 6)] * 3), min_size=2, max_size=40)


@given(counts_rows, st.integers(0, 2**32), st.integers(2, 40))
def test_bootstrap_draws_what_random_choices_draws(counts, seed, iterations):
    """The same resamples as random.Random(seed).choices, so the same value to the bit."""
    assert bootstrap_f1_stderr(counts, iterations, seed) == reference_bootstrap(
        counts, iterations, seed
    )


def test_bootstrap_in_chunks_and_with_large_counts(monkeypatch):
    rng = random.Random(5)
    counts = [Counts(rng.randint(0, 9), rng.randint(0, 9), rng.randint(0, 9)) for _ in range(30)]
    expected = reference_bootstrap(counts, 50, 7)
    monkeypatch.setattr(scoring.bootstrap, "_BOOTSTRAP_CHUNK", 64)  # two iterations per chunk
    assert bootstrap_f1_stderr(counts, 50, 7) == expected
    huge = [Counts(c.tp << 28, c.fp << 28, c.fn << 28) for c in counts]  # sums past 32 bits
    assert bootstrap_f1_stderr(huge, 50, 7) == reference_bootstrap(huge, 50, 7)
    assert math.isnan(bootstrap_f1_stderr(counts[:1]))
