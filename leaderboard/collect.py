"""Read lm-eval output, and the span baseline's, into `Run` records.

lm-eval's `--output_path OUT` writes `OUT/<model>/results_<stamp>.json` and, with
`--log_samples`, `samples_<task>_<stamp>.jsonl` beside it for each task of that results file
(same stamp); `training.span_baseline` writes the same names. Folders are searched
recursively (`readers`); samples are read and re-scored in `samples`, run records are `runs`.

Bad input never stops a build and is never dropped silently. Each problem becomes a `Problem`
naming the file (and line), is issued as an `InputWarning` and is kept in the `Collection`, so
the outputs count and list it:

* an unreadable file, invalid JSON or a file of the wrong shape: the file is skipped;
* a results entry that is not a sciner task (or not a mapping): that entry is skipped;
* missing or non-numeric metrics (partial results): the run is kept with those cells empty;
* a metric outside its range (fractions outside [0, 1], a negative standard error): the run
  is kept with that cell empty;
* a samples line that is invalid JSON or not a sample item: that line is skipped;
* a samples file with no results file of its run: the file is skipped;
* the same run in two results files (same weights, adapter and revision, task and setting;
  `runs.newest_runs`): the newest (results `date`) is kept; runs of different weights under
  one name get labels that tell them apart (`runs.distinct_labels`). A 1-shot run's
  demonstration sampler and seed (lm-eval `--metadata`) are part of its setting: a run drawn
  otherwise than the default (random, seed `DEFAULT_SEED`) gets its own row, labelled
  "[1-shot kNN]" or "[1-shot random, seed S]". So are decoding overrides (lm-eval
  `--gen_kwargs`, "[decoding temperature=0.7]") and, as the task name holds it, the prompt
  format.

The problems of the parts of one file (its samples lines, its results entries) are listed one
by one up to `PARTS_LISTED`; the rest become one problem that counts them, so a file of garbage
cannot flood the warnings and outputs, and every skipped part is still counted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from sciner_tasks.cards import card_training
from sciner_tasks.data import DATASETS
from sciner_tasks.harness import MetadataError, metadata_seed
from sciner_tasks.names import METRICS, REGIMES, SPAN_BASELINE_MODEL, TASKS, UNSEEN_METRICS
from sciner_tasks.prompting import DEFAULT_SAMPLER, DEFAULT_SEED

from .identity import SPAN_FORMAT, Identity, baseline_identity, identify, last_part
from .problems import PartProblems, Problems
from .readers import find_files, read_json
from .runs import Collection, Run, newest_runs, samples_path
from .samples import with_samples

# lm-eval writes "N/A" for a standard error it has none of: not a sign of a partial file.
# Every run has these (f1_stderr may be "N/A"; the f1_unseen pair is new in task version 2.2).
EXPECTED_METRICS = tuple(m for m in METRICS if m != "f1_stderr" and m not in UNSEEN_METRICS)
# The values a metric can take: every metric is a fraction but the standard error, which only
# cannot be negative. Anything else is a corrupt or hand-edited file, never a score to show.
METRIC_RANGES = {m: (0.0, math.inf if m.endswith("_stderr") else 1.0) for m in METRICS}
SAMPLER_NAMES = {"knn": "kNN"}
BASELINE_TASK_PREFIX = "span_baseline_"
PROGRESS_MIN_FILES = 20  # below this, a progress bar is noise


def number(value: Any) -> float | None:
    """A finite float, or None for "N/A", NaN, a missing value or anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_metrics(block: Mapping[str, Any]) -> dict[str, float | None]:
    return {m: number(block.get(f"{m},none")) for m in METRICS}


def in_range(metric: str, value: float) -> bool:
    low, high = METRIC_RANGES[metric]
    return low <= value <= high


def range_text(metric: str) -> str:
    low, high = METRIC_RANGES[metric]
    return f"[{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"


def checked_metrics(
    task: str, block: Mapping[str, Any], entry_problems: PartProblems
) -> dict[str, float | None]:
    """A task's metrics; those missing or out of range are reported and left empty."""
    metrics = read_metrics(block)
    missing = [m for m in EXPECTED_METRICS if metrics[m] is None]
    if missing:
        entry_problems.add(
            f"task {task}: no numeric {', '.join(missing)} (partial results); run kept "
            "with those cells empty",
            skipped=False,
        )
    for metric, value in metrics.items():
        if value is not None and not in_range(metric, value):
            entry_problems.add(
                f"task {task}: {metric} {value} is outside its range {range_text(metric)}; "
                "run kept with that cell empty",
                skipped=False,
            )
    return {m: v if v is not None and in_range(m, v) else None for m, v in metrics.items()}


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def demonstrations(task_config: Any) -> str | None:
    """How a task's demonstrations were drawn, when not load_docs's default: "kNN" or
    "random, seed S"; None for the default (random, DEFAULT_SEED) or no config.

    lm-eval calls load_docs with the task config's `metadata` (where `--metadata` lands, with
    the model arguments) and its `dataset_kwargs`, so both are read."""
    config = mapping(task_config)
    arguments = {**mapping(config.get("metadata")), **mapping(config.get("dataset_kwargs"))}
    sampler = str(arguments.get("sampler", DEFAULT_SAMPLER))
    if sampler != DEFAULT_SAMPLER:
        return SAMPLER_NAMES.get(sampler, sampler)
    seed = as_seed(arguments.get("seed", DEFAULT_SEED))
    return None if seed == DEFAULT_SEED else f"random, seed {seed}"


def as_seed(value: Any) -> Any:
    """A seed as load_docs reads it ("7", 7.0 and 7 are seed 7); a value it would refuse is
    kept as written, so a run that carries it still stands apart."""
    try:
        return metadata_seed(value)
    except MetadataError:
        return value


def decoding_overrides(config: Mapping[str, Any]) -> str | None:
    """lm-eval's `--gen_kwargs` of a run ("max_gen_toks=64, temperature=0.7", keys sorted), None
    when the tasks decoded with their own settings. lm-eval 0.4.13 writes the parsed dict to
    `config.gen_kwargs`; older versions wrote the command line's "k=v,k=v" string."""
    overrides = config.get("gen_kwargs")
    if not overrides:
        return None
    if isinstance(overrides, str):
        overrides = model_args(overrides) or overrides
    if not isinstance(overrides, Mapping):
        # Not what lm-eval writes (a hand-edited file): shown as written, never taken for no
        # overrides, which would compare the run with the study.
        return overrides if isinstance(overrides, str) else json.dumps(overrides)
    return ", ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value)}"
        for key, value in sorted(overrides.items(), key=lambda item: str(item[0]))
    )


def model_args(value: Any) -> dict[str, str]:
    """lm-eval's `config.model_args`: a dict (0.4.13) or the command line's "k=v,k=v" string."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        pairs = (part.split("=", 1) for part in value.split(",") if "=" in part)
        return {k.strip(): v.strip() for k, v in pairs}
    return {}


def adapter_dataset(adapter: str, given: Mapping[str, str]) -> str | None:
    """The dataset an adapter was fine-tuned on: from `given` (adapter path or its last part ->
    dataset), else from the `sciner` metadata of its training.sft model card (README.md)."""
    for key in (adapter, last_part(adapter)):
        if key in given:
            return given[key]
    dataset = card_training(adapter).get("dataset")
    # A hand-edited card may name anything: only a benchmark dataset places the adapter's runs.
    return dataset if isinstance(dataset, str) and dataset in DATASETS else None


@dataclass(frozen=True)
class Loaded:
    """What a results file evaluated."""

    name: str  # lm-eval: the model loaded (Hub id or folder); span baseline: its encoder
    adapter: str | None = None  # lm-eval: a LoRA adapter on top of it
    baseline: bool = False
    revision: str | None = None  # lm-eval: the Hub revision, where not the default


def loaded(data: dict[str, Any], path: Path, problems: Problems) -> Loaded | None:
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    args = model_args(config.get("model_args"))
    model_name = data.get("model_name") if isinstance(data.get("model_name"), str) else ""
    if config.get("model") == SPAN_BASELINE_MODEL:
        # model_name is "span_baseline/<encoder name>"; the encoder= argument is a full path.
        encoder = model_name.split("/", 1)[1] if "/" in model_name else args.get("encoder", "")
        return Loaded(encoder or "unknown encoder", baseline=True)
    name = args.get("pretrained") or args.get("model") or model_name
    if not name:
        problems.add(
            path, "names no model (config.model_args pretrained=, model_name); file skipped"
        )
        return None
    revision = args.get("revision")
    return Loaded(
        name,
        args.get("peft") or args.get("lora_local_path"),
        revision=None if revision in (None, "", "main") else revision,
    )


def describe(
    task: str, model: Loaded, drawn: str | None, decoding: str | None = None
) -> tuple[str, str, str, Identity] | None:
    """(dataset, setting, prompt format, model identity) of a task, None if not a sciner one.
    `drawn`: how its demonstrations were drawn when not the default (`demonstrations`);
    `decoding`: the run's decoding overrides (`decoding_overrides`)."""
    if model.baseline:
        dataset = task.removeprefix(BASELINE_TASK_PREFIX)
        if not task.startswith(BASELINE_TASK_PREFIX) or dataset not in DATASETS:
            return None
        return dataset, "sft", SPAN_FORMAT, baseline_identity(model.name)
    if task not in TASKS:
        return None
    dataset, regime, format_name = TASKS[task]
    # A 0-shot task draws no demonstration, whatever sampler its run was given.
    shots = f"{REGIMES[regime]}-shot {drawn}" if REGIMES[regime] and drawn else None
    identity = identify(model.name, model.adapter, format_name, shots, decoding)
    if identity.adapter is None:
        return dataset, regime, format_name, identity
    return dataset, "sft" if regime == "0shot" else f"sft_{regime}", format_name, identity


def parse_results(
    data: Any, path: Path, adapter_datasets: Mapping[str, str], problems: Problems
) -> list[Run]:
    """The runs of one results file (a parsed lm-eval or span-baseline results_*.json)."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        problems.add(path, "not an lm-eval results file (no 'results' mapping); file skipped")
        return []
    model = loaded(data, path, problems)
    if model is None:
        return []
    date = number(data.get("date")) or path.stat().st_mtime
    counts = mapping(data.get("n-samples"))
    adapter_trained_on = None
    if model.adapter:
        adapter_trained_on = adapter_dataset(model.adapter, adapter_datasets)
    configs = mapping(data.get("configs"))
    decoding = decoding_overrides(mapping(data.get("config")))
    runs = []
    with PartProblems(problems, path, "problems of results entries") as entry_problems:
        for task, block in data["results"].items():
            if not isinstance(block, dict):
                entry_problems.add(f"task {task!r}: results entry is not a mapping; skipped")
                continue
            described = describe(task, model, demonstrations(configs.get(task)), decoding)
            if described is None:
                entry_problems.add(f"task {task!r} is not a sciner task; skipped")
                continue
            dataset, setting, format_name, identity = described
            task_counts = mapping(counts.get(task))
            trained_on = adapter_trained_on if identity.adapter else None
            if model.baseline:
                trained_on = dataset  # the span baseline trains on the set it is tested on
            runs.append(
                Run(
                    model=identity.label,
                    study_model=identity.study_model,
                    family=identity.family,
                    task=task,
                    dataset=dataset,
                    setting=setting,
                    format_name=format_name,
                    trained_on=trained_on,
                    source=model.name,
                    adapter=identity.adapter,
                    metrics=checked_metrics(task, block, entry_problems),
                    n_samples=integer(task_counts.get("effective")),
                    n_original=integer(task_counts.get("original")),
                    date=date,
                    results_path=path,
                    revision=model.revision,
                )
            )
    if any(run.adapter for run in runs) and adapter_trained_on is None:
        problems.add(
            path,
            f"fine-tuned adapter {model.adapter}: training dataset unknown (no training.sft "
            "model card with `sciner: dataset` metadata in its folder; pass --adapter-dataset "
            "ADAPTER=DATASET); its runs are left out of the study tables and the averages",
            skipped=False,
        )
    return runs


def progress(paths: list, description: str):
    return tqdm(paths, desc=description, unit="file", disable=len(paths) < PROGRESS_MIN_FILES)


def collect(
    folders: Iterable[Path], adapter_datasets: Mapping[str, str] | None = None
) -> Collection:
    """Every run found under `folders`, with its samples re-scored where logged."""
    problems = Problems()
    results_files, samples_files = find_files([Path(f) for f in folders], problems)
    runs: list[Run] = []
    for path in progress(results_files, "results files"):
        data = read_json(path, problems)
        if data is not None:
            runs += parse_results(data, path, adapter_datasets or {}, problems)
    logged = set(samples_files)
    for path in sorted(logged - {samples_path(run) for run in runs}):
        problems.add(
            path,
            "no results file of its run beside it (results_<stamp>.json naming "
            "its task); file skipped",
        )
    kept = newest_runs(runs, problems)
    with_logs = [run for run in kept if samples_path(run) in logged]
    scored = {run.key: with_samples(run, problems) for run in progress(with_logs, "samples files")}
    return Collection(
        [scored.get(run.key, run) for run in kept],
        list(problems),
        len(results_files),
        len(samples_files),
    )
