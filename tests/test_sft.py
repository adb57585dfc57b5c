"""LoRA SFT with TRL on the embedded SmolLM2: every prompt format trains for a few real steps,
saves an adapter that lm-eval's hf backend loads (`peft=`) and evaluates on a task."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="the train extra is not installed: pip install '.[train]'")

from sciner_tasks.cards import card_training
from sciner_tasks.formats import FORMATS
from sciner_tasks.models import MODELS
from sciner_tasks.names import TASKS_DIR, task_name
from sciner_tasks.prompting import build_docs
from training.arguments import make_parser, parse_arguments, translate_push_flag
from training.base_model import resolve_base
from training.card import model_card, task_metrics
from training.examples import sft_examples
from training.sft import main

REPO = Path(__file__).resolve().parents[1]
QUICK = [
    "--max_steps",
    "2",
    "--max_train_examples",
    "4",
    "--per_device_train_batch_size",
    "2",
    "--save_strategy",
    "no",
    "--logging_steps",
    "1",
]
ENV = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")


def sft(args: list[str]) -> None:
    """`python -m training.sft ARGS`, in this process."""
    main(*parse_arguments(make_parser(), args))


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_training_examples_are_the_evaluation_documents(format_name):
    docs = build_docs("crossner_ai", format_name, "0shot", split="train")
    examples = sft_examples("crossner_ai", format_name, "train")
    assert len(examples) == len(docs)
    for doc, example in zip(docs, examples, strict=True):
        if FORMATS[format_name].chat:
            assert example["prompt"] == [{"role": "user", "content": doc["prompt"]}]
            assert example["completion"] == [{"role": "assistant", "content": doc["target"]}]
        else:
            assert (example["prompt"], example["completion"]) == (doc["prompt"], doc["target"])


def test_chat_examples_render_exactly_as_lm_eval_renders_the_task(smollm2):
    """TRL renders a conversational prompt with add_generation_prompt=True; lm-eval's
    --apply_chat_template renders the task's doc_to_text the same way: same string."""
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    lm = HFLM(pretrained=smollm2, batch_size=1, device="cpu")
    for example, doc in zip(
        sft_examples("scierc", "general", "train")[:3],
        build_docs("scierc", "general", "0shot", split="train"),
        strict=False,
    ):
        trl_side = tokenizer.apply_chat_template(
            example["prompt"], tokenize=False, add_generation_prompt=True
        )
        lm_eval_side = lm.apply_chat_template([{"role": "user", "content": doc["prompt"]}])
        assert trl_side == lm_eval_side


@pytest.fixture(scope="module")
def task_manager():
    """lm-eval's task index of the task folder, built once (seconds each time)."""
    import lm_eval.tasks

    return lm_eval.tasks.TaskManager(include_path=str(TASKS_DIR))


# 32-token sequences (the answer's end kept): what is checked here is the adapter's round trip.
SHORT = ["--padding_free", "false", "--max_source_length", "16", "--max_target_length", "16"]
SHORT += ["--truncation_mode", "keep_end"]


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_sft_saves_an_adapter_that_lm_eval_evaluates(format_name, smollm2, task_manager, tmp_path):
    import lm_eval

    out = tmp_path / "adapter"
    sft(
        [
            "--base",
            "smollm2",
            "--dataset",
            "scierc",
            "--format",
            format_name,
            "--output_dir",
            str(out),
            *QUICK,
            *SHORT,
        ]
    )
    assert (out / "adapter_model.safetensors").is_file()
    card = (out / "README.md").read_text()
    assert "library_name: peft" in card
    # A registered base is named by its Hub id, never by this machine's folder of it.
    assert smollm2 not in card and "$(python -m sciner_tasks.models path smollm2)" in card
    adapter_config = json.loads((out / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == MODELS["smollm2"].hub_id
    assert card_training(out) == {
        "dataset": "scierc",
        "format": format_name,
        "tasks": [task_name("scierc", regime, format_name) for regime in ("0shot", "1shot")],
    }
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={smollm2},peft={out},dtype=float32",
        tasks=[task_name("scierc", "0shot", format_name)],
        limit=1,
        gen_kwargs="max_gen_toks=8",
        apply_chat_template=FORMATS[format_name].chat,
        task_manager=task_manager,
        bootstrap_iters=0,
        device="cpu",
    )
    metrics = results["results"][task_name("scierc", "0shot", format_name)]
    assert 0.0 <= metrics["f1,none"] <= 1.0 and "parse_failure_rate,none" in metrics


def test_clear_errors(smollm2, tmp_path):
    with pytest.raises(SystemExit, match="unknown base 'gpt5'"):
        resolve_base("gpt5", None, False)
    with pytest.raises(SystemExit, match="runs code from the Hub; pass --trust_remote_code"):
        resolve_base("yayi", None, False)
    no_template = tmp_path / "no-template"
    shutil.copytree(smollm2, no_template)
    (no_template / "chat_template.jinja").unlink()
    config = json.loads((no_template / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (no_template / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(SystemExit, match="the general format needs a chat template"):
        sft(["--base", str(no_template), "--output_dir", str(tmp_path / "o"), *QUICK])
    with pytest.raises(FileNotFoundError, match="no dataset 'nope'"):
        sft(["--base", "smollm2", "--dataset", "nope", "--output_dir", str(tmp_path / "o"), *QUICK])


def test_push_flag_and_model_card_with_results():
    assert translate_push_flag(["--push-to-hub", "org/x", "--max_steps", "2"]) == [
        "--push_to_hub",
        "true",
        "--hub_model_id",
        "org/x",
        "--max_steps",
        "2",
    ]
    results = {
        "results": {
            "sciner_scierc_0shot": {
                "f1,none": 0.25,
                "precision,none": 0.5,
                "f1_stderr,none": "N/A",
                "alias": "x",
            }
        }
    }
    assert task_metrics(results) == {"sciner_scierc_0shot": {"f1": 0.25, "precision": 0.5}}
    from types import SimpleNamespace

    from sciner_tasks.data import DATASETS

    card = model_card(
        base="smollm2",
        base_path="/m",
        dataset=DATASETS["scierc"],
        format_name="general",
        n_train=1861,
        sft_args=SimpleNamespace(
            learning_rate=5e-5,
            num_train_epochs=10,
            per_device_train_batch_size=2,
            max_length=912,
            max_steps=-1,
        ),
        model_args=SimpleNamespace(
            lora_r=16, lora_alpha=32, lora_dropout=0.05, lora_target_modules=["all-linear"]
        ),
        lm_eval_results=results,
        repo_id="org/x",
    )
    (f1, precision) = card.data.eval_results
    assert (f1.dataset_type, f1.dataset_split, f1.metric_type, f1.metric_value) == (
        "scierc",
        "test",
        "f1",
        0.25,
    )
    assert (precision.metric_name, precision.metric_value) == ("sciner_scierc_0shot precision", 0.5)
    assert card.data.base_model is None  # a local folder is no Hub id
    assert card.data.sciner["dataset"] == "scierc" and card.data.sciner["format"] == "general"
    text = str(card)
    assert "model-index:" in text.split("---")[1]  # the YAML the Hub reads
    assert "| sciner_scierc_0shot | 0.2500 | 0.5000 | - | - | - |" in text
    assert "r=16, alpha=32, dropout=0.05" in text
    assert "lr 5e-05, 10 epochs, batch size 2 per device, sequences cut at 912 tokens" in text


def test_model_card_names_the_hub_base_and_the_schedule_that_ran():
    from types import SimpleNamespace

    from sciner_tasks.data import DATASETS

    iepile = resolve_base("iepile-llama2", None, False)
    card = model_card(
        base="iepile-llama2",
        base_path=iepile.path,
        base_hub_id=iepile.hub_id,
        merged_adapter=iepile.adapter,
        dataset=DATASETS["scierc"],
        format_name=iepile.format_name,
        n_train=1861,
        sft_args=SimpleNamespace(
            learning_rate=3e-4,
            num_train_epochs=10,
            per_device_train_batch_size=8,
            max_length=None,
            max_steps=80,
        ),
        model_args=SimpleNamespace(
            lora_r=16, lora_alpha=32, lora_dropout=0.05, lora_target_modules=["all-linear"]
        ),
        lm_eval_results=None,
        repo_id=None,
    )
    lora_base, lora = MODELS["iepile-llama2"].lora_base, MODELS["iepile-llama2"].hub_id
    assert card.data.base_model == lora_base
    assert card.data.eval_results is None  # no results, no model-index
    text = str(card)
    assert f"| merged into the base first | `{lora}` |" in text
    assert "pretrained=MERGED_BASE,peft=ADAPTER" in text
    assert f"MERGED_BASE being {lora_base} with `{lora}` merged in" in text
    assert "80 steps, batch size 8 per device, sequences kept whole" in text
    assert "10 epochs" not in text  # max_steps overrode them


def test_base_hub_ids(smollm2):
    embedded = resolve_base("smollm2", None, False)
    assert Path(embedded.path).is_dir() and embedded.hub_id == MODELS["smollm2"].hub_id
    assert resolve_base("org/model", None, False).hub_id == "org/model"
    assert resolve_base(str(smollm2), None, False).hub_id is None


def run_sft(args: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=REPO,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def test_two_cpu_processes_under_accelerate(smollm2, tmp_path):
    out = tmp_path / "ddp"
    process = run_sft(
        [
            sys.executable,
            "-m",
            "accelerate.commands.launch",
            "--num_processes",
            "2",
            "--cpu",
            "-m",
            "training.sft",
            "--base",
            "smollm2",
            "--output_dir",
            str(out),
            *QUICK,
        ]
    )
    log, _ = process.communicate(timeout=600)
    assert process.returncode == 0, log[-3000:]
    assert (out / "adapter_model.safetensors").is_file()
    assert "'train_loss'" in log and log.count("'train_runtime'") == 1  # logged by rank 0 only


def test_killed_training_resumes_from_its_last_checkpoint(smollm2, tmp_path):
    out = tmp_path / "resume"
    args = [
        sys.executable,
        "-m",
        "training.sft",
        "--base",
        "smollm2",
        "--output_dir",
        str(out),
        "--max_steps",
        "4",
        "--max_train_examples",
        "16",
        "--per_device_train_batch_size",
        "2",
        "--save_strategy",
        "steps",
        "--save_steps",
        "2",
        "--logging_steps",
        "1",
        *SHORT,  # steps of a fraction of a second
    ]
    first = run_sft(args, start_new_session=True)
    deadline = time.time() + 600
    while not (out / "checkpoint-2" / "trainer_state.json").is_file():
        assert first.poll() is None and time.time() < deadline, first.stdout.read()[-3000:]
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert not (out / "adapter_model.safetensors").exists()  # it really was interrupted
    saved = max(int(p.name.split("-")[1]) for p in out.glob("checkpoint-*"))
    second = run_sft(args + ["--resume", "true"])
    log, _ = second.communicate(timeout=600)
    assert second.returncode == 0, log[-3000:]
    last = max(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    state = json.loads((last / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    steps_logged = [entry["step"] for entry in state["log_history"] if "loss" in entry]
    assert steps_logged[0] == 1 and steps_logged[-1] == 4
    # The resumed run trained only the steps after its checkpoint.
    assert log.count("'loss'") == 4 - saved


def test_help_lists_our_arguments_and_the_study_defaults_without_importing_trl():
    code = (
        "import sys, training.sft as sft; text = sft.short_help('LoRA SFT'); "
        "print(sorted({'trl', 'torch', 'peft'} & set(sys.modules))); print(text)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[0] == "[]"
    assert "--base BASE" in out and "--max_train_examples" in out
    assert "--lora_r 16" in out and "--lora_target_modules all-linear" in out
    assert "--help-all" in out
