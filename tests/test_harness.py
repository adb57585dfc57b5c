"""The lm-eval glue: documents per format, sentence-level regrouping, demonstrations, stderr."""

import random
from collections import Counter
from dataclasses import replace

import pytest

from sciner_tasks import demonstrations, harness, prompting
from sciner_tasks.data import DATASETS, load_spec, load_split
from sciner_tasks.data.stats import text_key
from sciner_tasks.formats import FORMATS
from sciner_tasks.formats.iepile import chunks
from sciner_tasks.scoring import aggregate, score_sentence

SHIPPED = [name for name, spec in DATASETS.items() if spec.shipped]


def outputs_equal_to_targets(docs):
    """What process_results returns when a model answers every query with its gold target."""
    return [harness.process_results(doc, [doc["target"]])["f1"] for doc in docs]


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_documents_per_format(format_name):
    docs = prompting.build_docs("crossner_ai", format_name, "0shot")
    sentences = load_split("crossner_ai", "test")
    types = load_spec("crossner_ai").types
    per_sentence = {
        "uniner": len(types),
        "iepile": len(chunks(list(types))),
        "iepile_baichuan2": len(chunks(list(types))),
    }.get(format_name, 1)
    assert len(docs) == len(sentences) * per_sentence
    assert len({d["id"] for d in docs}) == len(docs)
    asked = Counter(t for d in docs for t in d["query_types"])
    assert set(asked.values()) == {len(sentences)}  # every type asked once per sentence


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_aggregations_regroup_queries_into_exact_sentence_scores(format_name):
    docs = prompting.build_docs("scierc", format_name, "0shot")
    items = outputs_equal_to_targets(docs)
    # Reference: score each sentence once with its parsed answers merged.
    types = load_spec("scierc").types_for(FORMATS[format_name].family)
    expected = []
    for sentence in load_split("scierc", "test"):
        mine = [d for d in docs if d["sentence_id"] == sentence.id]
        predictions = [
            p
            for d in mine
            for p in FORMATS[format_name]
            .parse(d["target"], harness.Query(d["prompt"], tuple(d["query_types"])), types)
            .entities
        ]
        expected.append(score_sentence(sentence.entities, predictions, sentence.text))
    corpus = aggregate(expected)
    assert harness.f1(items) == corpus.f1 == 1.0
    assert harness.parse_failure_rate(items) == 0.0
    assert harness.hallucination_rate(items) == 0.0


def test_a_pass_scores_its_items_once_and_never_reuses_another_tasks_tally():
    """lm-eval calls every metric with its own list of the same items: they share one tally.
    Another list of other items (the next task) is scored afresh, and so is the first again."""
    first = outputs_equal_to_targets(prompting.build_docs("scierc", "general", "0shot")[:30])
    wlpc = prompting.build_docs("wlpc", "general", "0shot")[:10]
    second = [harness.process_results(d, ["I cannot answer."])["f1"] for d in wlpc]
    assert harness.tally_items(list(first)) is harness.tally_items(list(first))
    for _ in range(2):
        assert harness.f1(list(first)) == 1.0
        assert harness.f1(list(second)) == 0.0 and harness.parse_failure_rate(second) == 1.0
    assert harness.tally_items(first[:29]) is not harness.tally_items(first)


def test_per_type_counts_of_a_generation_cover_only_what_it_asked():
    docs = prompting.build_docs("scierc", "uniner", "0shot")
    doc = next(d for d in docs if d["query_types"] == ["Task"] and d["entities"])
    item = harness.process_results(doc, [' ["nothing here"]'])["f1"]
    tasks = sum(e["type"] == "Task" for e in doc["entities"])
    assert item["per_type"] == {"Task": [0, 1, tasks]}


def test_parse_failures_and_f1_of_empty_answers():
    docs = prompting.build_docs("crossner_politics", "uniner", "0shot")[:18]
    items = [harness.process_results(d, ["I cannot answer."])["f1"] for d in docs]
    assert harness.parse_failure_rate(items) == 1.0
    assert harness.f1(items) == 0.0 and harness.recall(items) == 0.0


def test_random_demonstrations_do_not_depend_on_the_documents_evaluated():
    test, train = load_split("measeval", "test"), load_split("measeval", "train")
    full = demonstrations.random_demonstrations(test, train, 1, seed=1234)
    part = demonstrations.random_demonstrations(test[5:9], train, 1, seed=1234)
    assert part == full[5:9]
    assert demonstrations.random_demonstrations(test[:20], train, 1, seed=7) != full[:20]


def test_knn_never_shows_a_sentence_its_own_text():
    """The most similar train sentence of a train sentence is itself (cosine 1): left out, as
    is any sentence with the same words (whitespace aside), and the next most similar comes."""
    train = load_split("stem_ecr", "train")
    chosen = demonstrations.knn_demonstrations(train[:10], train, 1)
    assert all(c[0].id != s.id for c, s in zip(chosen, train[:10], strict=True))
    spaced = [replace(s, text="  " + s.text.replace(" ", "\t ")) for s in train[:3]]
    assert demonstrations.knn_demonstrations(spaced, train, 1) == chosen[:3]


@pytest.mark.parametrize("dataset", SHIPPED)
def test_no_demonstration_has_its_test_sentences_text(dataset):
    """Both samplers, every shipped dataset: WLPC repeats protocol steps, so without the rule
    kNN showed 923 of its 2,861 test sentences their own text (389 with their own gold)."""
    test, train = load_split(dataset, "test"), load_split(dataset, "train")
    for chosen in (
        demonstrations.random_demonstrations(test, train, 1, seed=1234),
        demonstrations.knn_demonstrations(test, train, 1),
    ):
        for sentence, shown in zip(test, chosen, strict=True):
            assert len(shown) == 1 and text_key(shown[0].text) != text_key(sentence.text)


def test_random_draws_change_only_where_a_test_text_is_in_train():
    """The rule takes candidates away only from test sentences whose text is in train: the
    others draw from the whole train split, as before it."""
    test, train = load_split("wlpc", "test"), load_split("wlpc", "train")
    texts = {text_key(s.text) for s in train}
    unseen = [s for s in test if text_key(s.text) not in texts][:50]
    chosen = demonstrations.random_demonstrations(unseen, train, 1, seed=1234)
    assert chosen == [random.Random(f"1234:{s.id}").sample(list(train), 1) for s in unseen]


def test_one_shot_documents_carry_their_demonstration():
    docs = prompting.build_docs("scierc", "general", "1shot")
    knn = prompting.build_docs("scierc", "general", "1shot", sampler="knn")
    assert all(len(d["demonstrations"]) == 1 for d in docs)
    assert (
        docs[0]["demonstrations"] != knn[0]["demonstrations"]
        or docs[1]["demonstrations"] != knn[1]["demonstrations"]
    )
    train = {s.id: s for s in load_split("scierc", "train")}
    demo = train[docs[0]["demonstrations"][0]]
    gold = [(e.type, e.text) for e in demo.entities]
    answer = FORMATS["general"].target(
        harness.Query("", tuple(load_spec("scierc").types)), gold, load_spec("scierc").types
    )
    assert f"Examples: \nOutput: {answer}\nInput: " in docs[0]["prompt"]


def test_f1_stderr_is_a_sentence_bootstrap():
    docs = prompting.build_docs("crossner_music", "general", "0shot")
    perfect = outputs_equal_to_targets(docs)
    assert harness.f1_stderr(perfect) == 0.0
    half = [dict(item, predictions=item["predictions"][::2]) for item in perfect]
    first, second = harness.f1_stderr(half), harness.f1_stderr(half)
    assert first == second and 0.0 < first < 0.05


def test_unknown_regime_and_sampler():
    with pytest.raises(ValueError, match="unknown regime '5shot'"):
        prompting.build_docs("scierc", "general", "5shot")
    with pytest.raises(ValueError, match="unknown sampler 'bm25'"):
        prompting.build_docs("scierc", "general", "1shot", sampler="bm25")


def test_f1_unseen_scores_only_sentences_whose_text_is_not_in_train():
    """WLPC 0-shot, general prompt: perfect answers on the test sentences whose text is in
    train, nothing on the others. f1 is above 0, f1_unseen is 0 (its error too); with every
    answer perfect, both are 1."""
    docs = prompting.build_docs("wlpc", "general", "0shot")
    seen = [d["seen_in_train"] for d in docs]
    assert sum(seen) == 934 and len(docs) == 2861
    items = [
        harness.process_results(d, [d["target"] if d["seen_in_train"] else "[]"])["f1"]
        for d in docs
    ]
    assert harness.f1(items) > 0.0
    assert harness.f1_unseen(items) == 0.0 and harness.f1_unseen_stderr(items) == 0.0
    perfect = [harness.process_results(d, [d["target"]])["f1"] for d in docs]
    assert harness.f1(perfect) == harness.f1_unseen(perfect) == 1.0


def test_f1_unseen_is_f1_where_no_test_text_is_in_train():
    """SciERC shares no text between test and train: f1_unseen is f1, its error f1_stderr."""
    docs = prompting.build_docs("scierc", "uniner", "0shot")
    assert not any(d["seen_in_train"] for d in docs)
    items = [
        harness.process_results(d, [d["target"] if k % 3 else "[]"])["f1"]
        for k, d in enumerate(docs)
    ]
    assert 0.0 < harness.f1_unseen(items) == harness.f1(items) < 1.0
    assert harness.f1_unseen_stderr(items) == harness.f1_stderr(items)


@pytest.mark.parametrize("format_name", ["uniner", "iepile", "general"])
def test_a_limit_that_cuts_a_sentence_never_counts_its_unasked_types(format_name):
    """--limit / --samples may keep only some of a sentence's queries (UniNER asks one type
    per query, IEPile a chunk of types): the types never asked are not missed. A perfect
    answer has no false positive nor negative at any limit (before: --limit 8 of
    sciner_scierc_0shot_uniner scored F1 0.9231), and every limit's gold is that of the types
    asked."""
    docs = prompting.build_docs("scierc", format_name, "0shot")
    for limit in range(1, 40):
        kept = docs[:limit]
        counts = harness.tally_items(outputs_equal_to_targets(kept)).strict_counts
        asked_gold = {
            (d["sentence_id"], e["type"], e["text"])
            for d in kept
            for e in d["entities"]
            if e["type"] in d["query_types"]
        }
        assert (counts.fp, counts.fn) == (0, 0), limit
        assert counts.tp == len(asked_gold), limit
        assert harness.f1(outputs_equal_to_targets(kept)) == (1.0 if asked_gold else 0.0)


def test_items_without_query_types_are_scored_against_all_their_gold():
    """Samples logged before task version 2.3 carry no query_types: all gold counts, as then."""
    from sciner_tasks.scoring import group_by_sentence

    gold = [{"type": "Task", "text": "x"}, {"type": "Method", "text": "y"}]
    item = {"sentence_id": "s", "text": "x y", "entities": gold, "predictions": [["Task", "x"]]}
    assert group_by_sentence([item])[0].gold == gold
    asked = group_by_sentence([item | {"query_types": ["Task"]}])[0]
    assert asked.gold == gold[:1]
