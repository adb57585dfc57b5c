"""The lm-eval glue: documents per format, sentence-level regrouping, demonstrations, stderr."""

from collections import Counter

import pytest

from sciner_tasks import harness
from sciner_tasks.data import load_spec, load_split
from sciner_tasks.formats import FORMATS
from sciner_tasks.formats.iepile import chunks
from sciner_tasks.scoring import aggregate, score_sentence


def outputs_equal_to_targets(docs):
    """What process_results returns when a model answers every query with its gold target."""
    return [harness.process_results(doc, [doc["target"]])["f1"] for doc in docs]


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_documents_per_format(format_name):
    docs = harness.build_docs("crossner_ai", format_name, "0shot")
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
    docs = harness.build_docs("scierc", format_name, "0shot")
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
    first = outputs_equal_to_targets(harness.build_docs("scierc", "general", "0shot")[:30])
    wlpc = harness.build_docs("wlpc", "general", "0shot")[:10]
    second = [harness.process_results(d, ["I cannot answer."])["f1"] for d in wlpc]
    assert harness.tally_items(list(first)) is harness.tally_items(list(first))
    for _ in range(2):
        assert harness.f1(list(first)) == 1.0
        assert harness.f1(list(second)) == 0.0 and harness.parse_failure_rate(second) == 1.0
    assert harness.tally_items(first[:29]) is not harness.tally_items(first)


def test_per_type_counts_of_a_generation_cover_only_what_it_asked():
    docs = harness.build_docs("scierc", "uniner", "0shot")
    doc = next(d for d in docs if d["query_types"] == ["Task"] and d["entities"])
    item = harness.process_results(doc, [' ["nothing here"]'])["f1"]
    tasks = sum(e["type"] == "Task" for e in doc["entities"])
    assert item["per_type"] == {"Task": [0, 1, tasks]}


def test_parse_failures_and_f1_of_empty_answers():
    docs = harness.build_docs("crossner_politics", "uniner", "0shot")[:18]
    items = [harness.process_results(d, ["I cannot answer."])["f1"] for d in docs]
    assert harness.parse_failure_rate(items) == 1.0
    assert harness.f1(items) == 0.0 and harness.recall(items) == 0.0


def test_random_demonstrations_do_not_depend_on_the_documents_evaluated():
    test, train = load_split("measeval", "test"), load_split("measeval", "train")
    full = harness.random_demonstrations(test, train, 1, seed=1234)
    part = harness.random_demonstrations(test[5:9], train, 1, seed=1234)
    assert part == full[5:9]
    assert harness.random_demonstrations(test[:20], train, 1, seed=7) != full[:20]


def test_knn_demonstration_of_a_train_sentence_is_itself():
    train = load_split("stem_ecr", "train")
    chosen = harness.knn_demonstrations(train[:10], train, 1)
    assert [c[0].id for c in chosen] == [s.id for s in train[:10]]


def test_one_shot_documents_carry_their_demonstration():
    docs = harness.build_docs("scierc", "general", "1shot")
    knn = harness.build_docs("scierc", "general", "1shot", sampler="knn")
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
    docs = harness.build_docs("crossner_music", "general", "0shot")
    perfect = outputs_equal_to_targets(docs)
    assert harness.f1_stderr(perfect) == 0.0
    half = [dict(item, predictions=item["predictions"][::2]) for item in perfect]
    first, second = harness.f1_stderr(half), harness.f1_stderr(half)
    assert first == second and 0.0 < first < 0.05


def test_unknown_regime_and_sampler():
    with pytest.raises(ValueError, match="unknown regime '5shot'"):
        harness.build_docs("scierc", "general", "5shot")
    with pytest.raises(ValueError, match="unknown sampler 'bm25'"):
        harness.build_docs("scierc", "general", "1shot", sampler="bm25")
