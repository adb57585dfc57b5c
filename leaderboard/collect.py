"""Read lm-eval output, and the span baseline's, into `Run` records.

lm-eval's `--output_path OUT` writes `OUT/<model>/results_<stamp>.json` and, with
`--log_samples`, `samples_<task>_<stamp>.jsonl` beside it for each task of that results file
(same stamp); `training.span_baseline` writes the same names. Folders are searched
recursively.

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
* the same model, setting and task in two results files: the newest (results `date`) is kept.
  A 1-shot run's demonstration sampler and seed (lm-eval `--metadata`) are part of its
  setting: a run drawn otherwise than the default (random, seed `DEFAULT_SEED`) gets its own
  row, labelled "[1-shot kNN]" or "[1-shot random, seed S]". So are decoding overrides (lm-eval
  `--gen_kwargs`, "[decoding temperature=0.7]") and, as the task name holds it, the prompt
  format.

The problems of the parts of one file (its samples lines, its results entries) are listed one
by one up to `PARTS_LISTED`; the rest become one problem that counts them, so a file of garbage
cannot flood the warnings and outputs, and every skipped part is still counted.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from sciner_tasks.cards import card_training
from sciner_tasks.data import DATASETS
from sciner_tasks.harness import MetadataError, metadata_seed
from sciner_tasks.names import METRICS, REGIMES, TASKS, UNSEEN_METRICS
from sciner_tasks.prompting import DEFAULT_SAMPLER, DEFAULT_SEED
from sciner_tasks.scoring import (
    Classification,
    CorpusScore,
    SentencePredictions,
    classify_predictions,
    group_by_sentence,
    sum_errors,
    tally,
)

from .identity import SPAN_FORMAT, Identity, baseline_identity, identify, last_part
from .problems import PartProblems, Problem, Problems
from .readers import RESULTS_PREFIX, SAMPLES_PREFIX, find_files, parse_json, read_json, read_lines

# lm-eval writes "N/A" for a standard error it has none of: not a sign of a partial file.
# Every run has these (f1_stderr may be "N/A"; the f1_unseen pair is new in task version 2.2).
EXPECTED_METRICS = tuple(m for m in METRICS if m != "f1_stderr" and m not in UNSEEN_METRICS)
# The values a metric can take: every metric is a fraction but the standard error, which only
# cannot be negative. Anything else is a corrupt or hand-edited file, never a score to show.
METRIC_RANGES = {m: (0.0, math.inf if m.endswith("_stderr") else 1.0) for m in METRICS}
SAMPLER_NAMES = {"knn": "kNN"}
BASELINE_MODEL = "span_baseline"  # config.model of training.span_baseline's results
BASELINE_TASK_PREFIX = "span_baseline_"
PROGRESS_MIN_FILES = 20  # below this, a progress bar is noise


@dataclass(frozen=True, eq=False)  # eq=False: an array field has no single truth value
class SampleScore:
    """A run's logged samples re-scored with sciner_tasks.scoring (per type, error classes),
    with the sentences they were scored on: the paired tests and the error pages read them."""

    path: Path
    score: CorpusScore
    ids: tuple[str, ...]  # sentence ids, in the order they first occur in the file
    logged: tuple[SentencePredictions, ...]  # the sentences of `ids`, each query's together
    classified: tuple[Classification, ...]  # each sentence's error classes (score.errors' sum)
    strict: np.ndarray  # (sentences, 3): strict tp, fp, fn of each sentence
    failed_by_sentence: Mapping[str, int]  # sentence id -> its generations that failed to parse
    generations: int
    # Ids of the sentences whose text is in the train split; None where the samples do not say
    # (runs before task version 2.2).
    seen_in_train: frozenset[str] | None = None

    @property
    def sentences(self) -> int:
        return len(self.ids)

    @property
    def failed(self) -> int:
        return sum(self.failed_by_sentence.values())


@dataclass(frozen=True)
class Run:
    """One model evaluated on one task."""

    model: str  # row label (models.Identity.label)
    study_model: str | None  # the study's row it compares with
    family: str
    task: str
    dataset: str
    setting: str  # 0shot, 1shot, sft (a fine-tuned model, 0-shot prompt) or sft_1shot
    prompt_format: str  # sciner_tasks.formats name, or "span" for the span baseline
    trained_on: str | None  # dataset a fine-tuned model was trained on, where known
    source: str  # what was loaded: Hub id or folder
    adapter: str | None
    metrics: Mapping[str, float | None]  # METRICS as lm-eval writes them (fractions)
    n_samples: int | None  # documents evaluated (lm-eval's "effective" count)
    n_original: int | None  # documents of the whole test split (lm-eval's "original")
    date: float
    results_path: Path
    samples: SampleScore | None = None
    revision: str | None = None  # model_args revision=, where not the default branch

    @property
    def subset(self) -> bool:
        """Whether only part of the test split was evaluated (lm-eval --limit)."""
        return None not in (self.n_samples, self.n_original) and self.n_samples < self.n_original

    @property
    def loaded(self) -> tuple[str, str | None, str | None]:
        """What was evaluated: weights, adapter, revision, exactly as given."""
        return (self.source, self.adapter, self.revision)

    @property
    def key(self) -> tuple:
        """The same run: the same weights, adapter and revision, task and setting (the label
        carries sampler, seed and decoding overrides). Of such runs only the newest stays."""
        return (self.model, self.setting, self.trained_on, self.task, self.loaded)


@dataclass(frozen=True)
class Collection:
    runs: list[Run]
    problems: list[Problem]
    results_files: int
    samples_files: int

    @property
    def skipped(self) -> int:
        """Input items left out: files, entries, lines (a summary problem counts its rest)."""
        return sum(p.count for p in self.problems if p.skipped)

    @property
    def warned(self) -> int:
        """Input items kept with a warning."""
        return sum(p.count for p in self.problems if not p.skipped)


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
    if config.get("model") == BASELINE_MODEL:
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
    dataset, regime, prompt_format = TASKS[task]
    # A 0-shot task draws no demonstration, whatever sampler its run was given.
    shots = f"{REGIMES[regime]}-shot {drawn}" if REGIMES[regime] and drawn else None
    identity = identify(model.name, model.adapter, prompt_format, shots, decoding)
    if identity.adapter is None:
        return dataset, regime, prompt_format, identity
    return dataset, "sft" if regime == "0shot" else f"sft_{regime}", prompt_format, identity


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
            dataset, setting, prompt_format, identity = described
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
                    prompt_format=prompt_format,
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
            "ADAPTER=DATASET); its runs appear only in the all-runs table",
            skipped=False,
        )
    return runs


def sample_item(record: Any) -> dict[str, Any]:
    """The scorer's view of one samples line; ValueError says what is wrong with it.

    lm-eval logs our item under each metric's name (we read "f1"); the span baseline writes the
    item itself."""
    item = record.get("f1") if isinstance(record, dict) and "sentence_id" not in record else record
    if not isinstance(item, dict):
        raise ValueError(
            "not a sample record (no item with sentence_id, text, entities, predictions)"
        )
    missing = [k for k in ("sentence_id", "text", "entities", "predictions") if k not in item]
    if missing:
        raise ValueError(f"sample item lacks {', '.join(missing)}")
    entities, predictions = item["entities"], item["predictions"]
    if not isinstance(item["text"], str):
        raise ValueError("sample item's text is not a string")
    if not isinstance(entities, list) or not all(is_entity(e) for e in entities):
        raise ValueError("sample item's entities are not {start, end, type, text} records")
    if not isinstance(predictions, list) or not all(is_pair(p) for p in predictions):
        raise ValueError("sample item's predictions are not [type, text] pairs")
    asked = item.get("query_types")
    if asked is not None and not (
        isinstance(asked, list) and all(isinstance(t, str) for t in asked)
    ):
        raise ValueError("sample item's query_types is not a list of type names")
    scored = {} if asked is None else {"query_types": asked}
    return {
        "sentence_id": str(item["sentence_id"]),
        "text": item["text"],
        "entities": entities,
        "predictions": [tuple(p) for p in predictions],
        "failed": bool(item.get("failed", False)),
        # Task version 2.2 on: whether the sentence's text is in the train split.
        "seen_in_train": item.get("seen_in_train"),
        # Task version 2.3 on: the types its query asked (scoring.group_by_sentence).
        **scored,
    }


def is_entity(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and all(isinstance(value.get(k), int) for k in ("start", "end"))
        and all(isinstance(value.get(k), str) for k in ("type", "text"))
    )


def is_pair(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
    )


def read_samples(path: Path, problems: Problems) -> list[dict[str, Any]]:
    """The valid items of a samples file; each bad line is reported (capped) and skipped."""
    lines = read_lines(path, problems)
    items = []
    with PartProblems(problems, path, "invalid lines") as line_problems:
        for number_, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                items.append(sample_item(parse_json(line)))
            except json.JSONDecodeError as error:
                line_problems.add(f"invalid JSON ({error.msg}); line skipped", line=number_)
            except ValueError as error:
                line_problems.add(f"{error}; line skipped", line=number_)
    return items


def score_samples(path: Path, items: list[dict[str, Any]]) -> SampleScore:
    # Per-query items regrouped by sentence, exactly as the lm-eval metrics do.
    sentences = group_by_sentence(items)
    counts = tally(sentences)
    # Classified once: the error-class table sums these, the error pages mark them.
    classified = tuple(classify_predictions(*sentence) for sentence in sentences)
    return SampleScore(
        path,
        counts.score(sum_errors(classified)),
        # group_by_sentence keeps sentences in the order their ids first occur, as dict keys do
        ids=tuple(dict.fromkeys(item["sentence_id"] for item in items)),
        logged=tuple(sentences),
        classified=classified,
        strict=counts.strict,
        failed_by_sentence=Counter(item["sentence_id"] for item in items if item["failed"]),
        generations=len(items),
        seen_in_train=None
        if any(not isinstance(item["seen_in_train"], bool) for item in items)
        else frozenset(item["sentence_id"] for item in items if item["seen_in_train"]),
    )


def samples_path(run: Run) -> Path:
    stamp = run.results_path.stem.removeprefix(RESULTS_PREFIX)
    return run.results_path.with_name(f"{SAMPLES_PREFIX}{run.task}_{stamp}.jsonl")


def with_samples(run: Run, problems: Problems) -> Run:
    """The run with its logged samples scored; a re-scored F1 that disagrees with the results
    file (samples of another run, edited files) is reported."""
    path = samples_path(run)
    before = len(problems)
    items = read_samples(path, problems)
    if not items:
        problems.add(path, "no usable sample lines; no breakdown for this run")
        return run
    scored = score_samples(path, items)
    reported = run.metrics["f1"]
    complete = len(problems) == before
    if complete and reported is not None and abs(scored.score.f1 - reported) > 1e-9:
        problems.add(
            path,
            f"re-scored F1 {scored.score.f1:.4f} differs from F1 {reported:.4f} "
            f"in {run.results_path}",
            skipped=False,
        )
    return replace(run, samples=scored)


def newest_runs(runs: Iterable[Run], problems: Problems) -> list[Run]:
    """One run per key: the newest by results date (ties: the later path), others reported."""
    kept: dict[tuple, Run] = {}
    for run in sorted(runs, key=lambda r: (r.date, str(r.results_path))):
        older = kept.get(run.key)
        if older is not None:
            problems.add(
                older.results_path,
                f"duplicate: {run.model} ({run.setting}) on {run.task} is also in the newer "
                f"{run.results_path}; this older run and its samples are skipped",
            )
        kept[run.key] = run
    runs = distinct_labels(list(kept.values()))
    return sorted(runs, key=lambda r: (r.model, r.task, r.setting))


def distinct_labels(runs: list[Run]) -> list[Run]:
    """Runs of different weights, adapters or revisions that would share rows (one label,
    setting and training set: two folders both named `merged`) get rows of their own: the
    label gains the shortest end of their paths that tells them apart ("merged
    [run1/merged]")."""
    groups: dict[tuple, set] = {}
    for run in runs:
        groups.setdefault((run.model, run.setting, run.trained_on), set()).add(run.loaded)
    suffixes: dict[tuple, dict] = {}
    for key, loaded_set in groups.items():
        if len(loaded_set) > 1:
            suffixes[key] = telling_apart(sorted(loaded_set, key=str))
    relabelled = []
    for run in runs:
        names = suffixes.get((run.model, run.setting, run.trained_on))
        if names:
            run = replace(run, model=f"{run.model} [{names[run.loaded]}]", study_model=None)
        relabelled.append(run)
    return relabelled


def telling_apart(loaded: list[tuple]) -> dict[tuple, str]:
    """Each (weights, adapter, revision) -> the parts that differ in the group, each as the
    fewest trailing path parts that make the names unique."""
    differing = [i for i in range(3) if len({item[i] for item in loaded}) > 1]

    def name(item: tuple, depth: int) -> str:
        weights, adapter, revision = (item[i] if i in differing else None for i in range(3))
        parts = [tail(weights, depth), tail(adapter, depth), f"@{revision}" if revision else ""]
        return " + ".join(p for p in parts[:2] if p) + (f" {parts[2]}" if parts[2] else "")

    depth, deepest = 1, max(len(str(p).split("/")) for item in loaded for p in item[:2] if p)
    while True:
        names = {item: name(item, depth).strip() for item in loaded}
        if len(set(names.values())) == len(loaded) or depth >= deepest:
            return names
        depth += 1


def tail(path: str | None, depth: int) -> str:
    return "/".join(path.rstrip("/").split("/")[-depth:]) if path else ""


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
