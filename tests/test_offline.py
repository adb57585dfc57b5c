"""A newcomer's machine: no Hub, no CoNLL-2003, an empty data home. Every shipped dataset runs
in one command; a CoNLL-2003 task ends in one `error:` line that says how to get the data."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from sciner_tasks.data import DatasetUnavailable, load_split
from sciner_tasks.data.registry import DATASETS
from sciner_tasks.names import REGIMES, SHIPPED, TASKS_DIR, shipped_group_name, task_name

datasets = pytest.importorskip("datasets")


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SCINER_DATA_HOME", str(tmp_path))
    return tmp_path


def lm_eval_dummy(tasks: str, home, tmp_path) -> subprocess.CompletedProcess:
    """The lm_eval CLI offline with lm-eval's dummy model, one document per task."""
    command = [sys.executable, "-m", "lm_eval", "--model", "dummy", "--tasks", tasks]
    command += ["--limit", "1", "--output_path", str(tmp_path / "out")]
    lm_eval_dir = importlib.util.find_spec("lm_eval").submodule_search_locations[0]
    if not os.path.isdir(os.path.join(lm_eval_dir, "tasks", "sciner")):  # editable install
        command += ["--include_path", str(TASKS_DIR)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    env["SCINER_DATA_HOME"] = str(home)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def test_shipped_datasets_are_every_dataset_but_conll2003():
    assert set(SHIPPED) == set(DATASETS) - {"conll2003"}
    assert all(DATASETS[name].shipped for name in SHIPPED)


def test_offline_conll2003_fails_at_once_naming_both_ways(empty_home, monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(DatasetUnavailable) as caught:
        load_split("conll2003", "test")
    message = str(caught.value)
    assert "\n" not in message
    assert str(empty_home) in message and "the Hub is off" in message
    assert "python -m sciner_tasks.data build --raw DIR --datasets conll2003" in message
    assert "eriktks/conll2003" in message and "sciner_shipped" in message


def test_conll2003_without_a_network_fails_after_one_probe(empty_home, monkeypatch):
    """No retry loop: the Hub is asked once (here a closed local port) before datasets,
    which would retry for about 20 s, is called."""
    import huggingface_hub.constants

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")
    called = []
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: called.append(a))
    with pytest.raises(DatasetUnavailable, match="the Hub could not be reached"):
        load_split("conll2003", "test")
    assert called == []


def test_lm_eval_conll2003_task_without_data_is_one_error_line(tmp_path):
    result = lm_eval_dummy(task_name("conll2003", "0shot", "general"), tmp_path, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "CoNLL-2003 is not in" in errors[0], result.stderr[-2000:]


def test_lm_eval_runs_every_shipped_dataset_in_one_command_offline(tmp_path):
    result = lm_eval_dummy(shipped_group_name("general"), tmp_path, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    (results_file,) = (tmp_path / "out").glob("*/results_*.json")
    scored = set(json.loads(results_file.read_text(encoding="utf-8"))["results"])
    expected = {task_name(d, r, "general") for d in SHIPPED for r in REGIMES}
    assert scored == expected | {shipped_group_name("general")}
