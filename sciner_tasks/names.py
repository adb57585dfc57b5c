"""The benchmark's names, in one place: datasets, regimes, task names and tags, metric names.

Everything that names a sciner task or metric (the task generator, the lm-eval glue, the
leaderboard, the model card, the span baseline) reads it from here.
"""

from __future__ import annotations

from pathlib import Path

from .data.registry import DATASETS
from .formats import FORMATS

# The lm-eval task folder: committed templates and utils.py, and the YAMLs its leaf script
# `_generate_configs.py` writes (tasks/README.md).
TASKS_DIR = Path(__file__).parent / "tasks"

SCIENTIFIC = ("scierc", "stem_ecr", "measeval", "wlpc")
GENERAL_DOMAIN = tuple(name for name in DATASETS if name not in SCIENTIFIC)
# The datasets inside the package: all but CoNLL-2003, whose licence forbids shipping it.
SHIPPED = tuple(name for name, spec in DATASETS.items() if spec.shipped)
# Domain -> its datasets; each (domain, regime, format) is an lm-eval group scoring the mean
# over its sets, each set weighing the same (the study averages sets, not sentences).
DOMAINS = {"scientific": SCIENTIFIC, "general_domain": GENERAL_DOMAIN}
# Regime -> demonstrations per test sentence.
REGIMES = {"0shot": 0, "1shot": 1}
GENERAL_FORMAT = "general"  # the EasyInstruct prompt of vanilla chat LLMs; unsuffixed tasks

# f1 over the test sentences whose text is not in train, and its bootstrap error (after it, as
# f1_stderr after f1): in every task from task version 2.2 on.
UNSEEN_METRICS = ("f1_unseen", "f1_unseen_stderr")
# The metrics of every sciner task, in the order lm-eval aggregates them: it writes "N/A"
# into `f1_stderr` while aggregating `f1`, and our `f1_stderr`, aggregated afterwards,
# overwrites it with the bootstrap estimate.
METRICS = (
    "f1",
    "f1_stderr",
    "precision",
    "recall",
    "normalised_f1",
    "hallucination_rate",
    "parse_failure_rate",
    *UNSEEN_METRICS,
)
# The family's own scorer, in the tasks of formats that have one (UniNER, IEPile).
UPSTREAM_METRICS = ("upstream_f1",)
# `config.model` of the span baseline's results files (training.span_baseline writes it, the
# leaderboard recognises the baseline by it).
SPAN_BASELINE_MODEL = "span_baseline"
LOWER_IS_BETTER = ("f1_stderr", "hallucination_rate", "parse_failure_rate", "f1_unseen_stderr")


def task_name(dataset: str, regime: str, format_name: str) -> str:
    """`sciner_<dataset>_<regime>`, with `_<format>` for a format other than the general one."""
    suffix = "" if format_name == GENERAL_FORMAT else f"_{format_name}"
    return f"sciner_{dataset}_{regime}{suffix}"


def task_yaml(dataset: str, regime: str, format_name: str) -> Path:
    """A task's generated YAML, in its prompt format's folder (as bbh keeps each variant in its
    own)."""
    return TASKS_DIR / format_name / f"{task_name(dataset, regime, format_name)}.yaml"


# Every task name the generator writes -> (dataset, regime, prompt format): the one inverse of
# `task_name`, so task names are parsed by lookup and cannot drift from the generator.
TASKS = {task_name(d, r, f): (d, r, f) for d in DATASETS for r in REGIMES for f in FORMATS}


def group_name(domain: str, regime: str, format_name: str) -> str:
    """`sciner_<domain>_<regime>`, with `_<format>` as in `task_name`: the group scoring one
    domain's sets in one regime and format."""
    suffix = "" if format_name == GENERAL_FORMAT else f"_{format_name}"
    return f"sciner_{domain}_{regime}{suffix}"


def shipped_group_name(format_name: str) -> str:
    """`sciner_shipped`, with `_<format>` as in `task_name`: every shipped dataset in both
    regimes, one command for users without CoNLL-2003."""
    suffix = "" if format_name == GENERAL_FORMAT else f"_{format_name}"
    return f"sciner_shipped{suffix}"


def task_tags(dataset: str, regime: str, format_name: str) -> list[str]:
    """The umbrella names that select a task (lm-eval groups of `group_name` groups):
    `sciner` (scientific sets) or `sciner_general_domain`, `sciner_<regime>` and
    `sciner_general` for the general prompt; `sciner_<format>` for the others."""
    if format_name != GENERAL_FORMAT:
        return [f"sciner_{format_name}"]
    family = "sciner" if dataset in SCIENTIFIC else "sciner_general_domain"
    return [family, f"sciner_{regime}", "sciner_general"]
