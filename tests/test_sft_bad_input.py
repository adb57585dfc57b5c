"""Bad input to `python -m training.sft` never loses data: the Hub token never reaches the disk,
a checkpoint half-written by a kill is skipped on resume, and bad arguments are refused in one
`error:` line (no traceback) before any training."""

import dataclasses
import json
import os
import runpy
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="the train extra is not installed: pip install '.[train]'")

from test_sft import SHORT

from sciner_tasks.data import load_split
from sciner_tasks.data.registry import DatasetSpec
from sciner_tasks.data.store import write_dataset
from training.arguments import make_parser, parse_arguments
from training.sft import main

# `refusal` runs the module as __main__ again, as `python -m` does; runpy warns that it is loaded.
pytestmark = pytest.mark.filterwarnings("ignore:'training.sft' found in sys.modules")
REPO = Path(__file__).resolve().parents[1]
TOKEN = "hf_FAKEtokenThatMustNeverBeWritten"
# A few steps of 32-token sequences: seconds on a CPU. keep_end keeps the answer (the loss).
TINY = [
    "--base",
    "smollm2",
    "--max_train_examples",
    "2",
    "--per_device_train_batch_size",
    "1",
    "--max_steps",
    "2",
    *SHORT,
    "--logging_steps",
    "1",
    "--report_to",
    "none",
]
SAVE_EACH_STEP = ["--save_strategy", "steps", "--save_steps", "1"]


def sft(args: list[str]) -> None:
    main(*parse_arguments(make_parser(), args))


class RecordingHub:
    """Stands in for huggingface_hub.HfApi: records the token and the folder a push uploads."""

    pushes: list[tuple[str | None, str]] = []

    def __init__(self, token=None):
        self.token = token

    def create_repo(self, repo_id, private=None, exist_ok=False):
        pass

    def upload_folder(self, repo_id, folder_path, ignore_patterns=None):
        self.pushes.append((self.token, folder_path))


def test_hub_token_stays_off_disk_and_still_authenticates_the_push(smollm2, tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.HfApi", RecordingHub)
    monkeypatch.setattr(RecordingHub, "pushes", [])
    out = tmp_path / "pushed"
    args = ["--output_dir", str(out), "--push-to-hub", "org/x", "--hub_token", TOKEN]
    sft([*TINY, *SAVE_EACH_STEP, *args])
    assert RecordingHub.pushes == [(TOKEN, str(out))]
    files = [path for path in out.rglob("*") if path.is_file()]
    assert out / "checkpoint-1" / "training_args.bin" in files
    assert [path for path in files if TOKEN.encode() in path.read_bytes()] == []


def test_resume_skips_checkpoints_a_kill_left_half_written(smollm2, tmp_path, capsys):
    out = tmp_path / "resumed"
    args = [*TINY, *SAVE_EACH_STEP, "--output_dir", str(out)]
    sft(args)
    # Killed while saving: checkpoint-2 before its trainer_state.json (written last),
    # checkpoint-3 right after its folder was made.
    (out / "checkpoint-2" / "trainer_state.json").unlink()
    (out / "checkpoint-3").mkdir()
    capsys.readouterr()
    sft([*args, "--resume", "true"])
    log = capsys.readouterr().out
    assert "skipping incomplete checkpoint-3" in log
    assert "skipping incomplete checkpoint-2" in log
    assert "resuming from checkpoint-1" in log
    assert log.count("'loss'") == 1  # step 2 only
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2


def test_a_sharded_fsdp_checkpoint_counts_as_complete(tmp_path):
    """recipes/accelerate/fsdp_lora.yaml saves checkpoints as a folder of shards (what
    accelerate's FSDP2 save wrote on a 2-process run), no adapter file."""
    from training.checkpoints import is_complete

    checkpoint = tmp_path / "checkpoint-2"
    (checkpoint / "pytorch_model_fsdp_0").mkdir(parents=True)
    assert not is_complete(checkpoint)  # its trainer_state.json not written yet
    (checkpoint / "trainer_state.json").write_text('{"global_step": 2}')
    assert is_complete(checkpoint)


def refusal(args: list[str], monkeypatch) -> str:
    """What `python -m training.sft ARGS` says when it refuses: Python prints a SystemExit's
    message to stderr as it is, without a traceback."""
    monkeypatch.setattr(sys, "argv", ["training.sft", *args])
    with pytest.raises(SystemExit) as refused:
        runpy.run_module("training.sft", run_name="__main__")
    message = refused.value.code
    assert isinstance(message, str) and message.startswith("error: ") and "\n" not in message
    return message


def test_resume_without_a_complete_checkpoint_is_refused(smollm2, tmp_path, monkeypatch):
    out = tmp_path / "killed"
    (out / "checkpoint-1").mkdir(parents=True)
    message = refusal([*TINY, "--output_dir", str(out), "--resume", "true"], monkeypatch)
    assert f"{out} has no complete checkpoint to resume from" in message


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (["--dataset", "nope"], "no dataset 'nope': not a built-in"),
        (["--config", "nope.yaml"], "--config nope.yaml: no such file"),
        (["--format", "nope"], "unknown --format 'nope'; pick one of general"),
        (["--max_train_examples", "-1"], "--max_train_examples must be a positive integer, got -1"),
        (["--max_train_examples", "0"], "--max_train_examples must be a positive integer, got 0"),
        (["--lm_eval_results", "nope.json"], "--lm_eval_results nope.json: no such file"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(bad, says, smollm2, tmp_path, monkeypatch):
    assert says in refusal([*TINY, "--output_dir", str(tmp_path / "o"), *bad], monkeypatch)
    assert not (tmp_path / "o").exists()


def test_unreachable_hub_base_is_refused_in_one_line(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    command = [sys.executable, "-m", "training.sft", "--base", "someorg/somemodel"]
    done = subprocess.run(
        [*command, "--output_dir", str(tmp_path / "o")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [done.stderr.splitlines()[-1]]
    assert errors[0].startswith("error: cannot load base 'someorg/somemodel' from the Hub: ")
    assert "hf download someorg/somemodel" in errors[0]


def test_hub_probe_fails_at_once_or_loads_the_cached_copy(tmp_path, monkeypatch, capsys):
    import huggingface_hub
    from huggingface_hub import constants

    from training.base_model import Base, probe_hub

    def unreachable(self, repo_id, **kwargs):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", unreachable)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    base = Base("someorg/somemodel", None, "general", False, "someorg/somemodel")
    with pytest.raises(
        SystemExit,
        match="error: cannot load base 'someorg/somemodel' from the Hub: "
        "Name or service not known; download it",
    ):
        probe_hub(base, registered=False)
    # The layout huggingface_hub's cache gives a downloaded repository.
    repo = tmp_path / "models--someorg--somemodel"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    (repo / "snapshots" / "abc123" / "config.json").write_text("{}")
    assert probe_hub(base, registered=False).local_files_only
    assert "loading the cached copy" in capsys.readouterr().out


def corpus(tmp_path: Path, splits: dict[str, int]) -> str:
    """A converted corpus with these splits, each of that many copies of one sentence."""
    sentence = load_split("scierc", "train")[0]
    spec = DatasetSpec("mine", "mine", {"Method": "method", "Task": "task"}, "", "", "", "")
    entities = [e for e in sentence.entities if e.type in spec.types]
    one = dataclasses.replace(sentence, entities=entities)
    write_dataset(tmp_path / "mine", spec, {s: [one] * n for s, n in splits.items()}, Counter())
    return str(tmp_path / "mine")


def test_a_corpus_without_dev_trains_unless_evaluation_asks_for_it(smollm2, tmp_path, monkeypatch):
    data = corpus(tmp_path, {"train": 2, "test": 1})
    args = [*TINY, "--dataset", data, "--output_dir", str(tmp_path / "o")]
    message = refusal([*args, "--eval_strategy", "steps"], monkeypatch)
    assert "has no dev split" in message and "--eval_strategy no trains without" in message
    sft(args)  # dev is optional for `convert`, and for training without evaluation
    assert (tmp_path / "o" / "adapter_model.safetensors").is_file()


def test_an_empty_train_split_is_refused(smollm2, tmp_path, monkeypatch):
    data = corpus(tmp_path, {"train": 0, "test": 1})
    message = refusal([*TINY, "--dataset", data, "--output_dir", str(tmp_path / "o")], monkeypatch)
    assert f"the train split of {data} has no examples" in message


def test_cutting_every_answer_away_is_refused(smollm2, tmp_path, monkeypatch):
    # Sequences cut at their end (the default keep_start): the answers would be cut away.
    lengths = ["--max_source_length", "1", "--max_target_length", "1"]
    lengths += ["--truncation_mode", "keep_start"]
    message = refusal([*TINY, *lengths, "--output_dir", str(tmp_path / "o")], monkeypatch)
    assert "every training prompt fills the 2 tokens of a sequence" in message


def test_an_output_dir_under_a_file_is_refused_before_training(smollm2, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("keep me")
    message = refusal([*TINY, "--output_dir", str(tmp_path / "file" / "o")], monkeypatch)
    assert f"cannot write to --output_dir {tmp_path / 'file' / 'o'}" in message
    assert (tmp_path / "file").read_text() == "keep me"
