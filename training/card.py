"""The model card of a fine-tuned adapter, built with huggingface_hub's card classes.

Its metadata (`ModelCardData`) carries what machines read:

* `base_model`, `library_name`, `tags`: what the Hub links and filters by;
* `model-index` (one `EvalResult` per task and metric) when lm-eval results are given: the
  evaluation results the Hub shows on the model page;
* `sciner`: the dataset, prompt format and in-domain lm-eval tasks the adapter was trained
  for. The leaderboard reads it (`sciner_tasks.cards.card_training`) to know what an
  evaluated adapter is.

Its text says the same for people: training setup, how to evaluate it, results.
"""

from __future__ import annotations

from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from sciner_tasks.cards import SCINER_KEY
from sciner_tasks.data import DATASETS, DatasetSpec
from sciner_tasks.models import MODELS
from sciner_tasks.names import METRICS, REGIMES, TASKS, UPSTREAM_METRICS, task_name

# The metrics a card reports: every sciner metric but f1's standard error (a spread, not a
# score). upstream_f1 is only in UniNER and IEPile tasks ("-" elsewhere).
CARD_METRICS = tuple(m for m in (*METRICS, *UPSTREAM_METRICS) if not m.endswith("_stderr"))


def task_metrics(lm_eval_results: dict[str, Any] | None) -> dict[str, dict[str, float]]:
    """task -> {metric: value} for the sciner metrics of an lm-eval results file."""
    found: dict[str, dict[str, float]] = {}
    for task, metrics in (lm_eval_results or {}).get("results", {}).items():
        values = {m: metrics.get(f"{m},none") for m in CARD_METRICS}
        found[task] = {m: float(v) for m, v in values.items() if isinstance(v, (int, float))}
    return found


def eval_results(results: dict[str, dict[str, float]]) -> list[EvalResult] | None:
    """The Hub's model-index entries, one per sciner task and metric; None (no model-index at
    all) without any."""
    entries = []
    for task, metrics in results.items():
        # A results file may hold out-of-domain tasks and groups (means over several sets,
        # no one dataset to name in the model-index): only sciner tasks are listed.
        if task not in TASKS:
            continue
        entries += [
            EvalResult(
                task_type="token-classification",
                task_name="Named Entity Recognition",
                dataset_type=DATASETS[TASKS[task][0]].name,
                dataset_name=DATASETS[TASKS[task][0]].title,
                dataset_split="test",
                metric_type=metric,
                metric_value=round(value, 4),
                metric_name=f"{task} {metric}",
            )
            for metric, value in metrics.items()
        ]
    return entries or None


def card_data(
    name: str,
    base_hub_id: str | None,
    dataset: DatasetSpec,
    format_name: str,
    results: dict[str, dict[str, float]],
) -> ModelCardData:
    return ModelCardData(
        # The Hub links an adapter to its base by id; a local folder is no id and is left out.
        base_model=base_hub_id,
        library_name="peft",
        pipeline_tag="text-generation",
        tags=["sciner", "named-entity-recognition", "lora", "trl", "sft"],
        model_name=name,
        eval_results=eval_results(results),
        **{
            SCINER_KEY: {
                "dataset": dataset.name,
                "format": format_name,
                "tasks": [task_name(dataset.name, regime, format_name) for regime in REGIMES],
            }
        },
    )


def schedule(sft_args) -> str:
    # A positive max_steps overrides the epoch count (transformers' TrainingArguments).
    if sft_args.max_steps > 0:
        return f"{sft_args.max_steps} steps"
    return f"{sft_args.num_train_epochs:g} epochs"


def training_rows(
    base: str,
    base_path: str,
    merged_adapter: str | None,
    dataset: DatasetSpec,
    format_name: str,
    n_train: int,
    sft_args,
    model_args,
) -> list[str]:
    rows = [
        ("base", f"`{base}` ({base_path})"),
        *([("merged into the base first", f"`{merged_adapter}`")] if merged_adapter else []),
        ("prompt format", f"`{format_name}` (sciner_tasks.formats)"),
        ("data", f"{dataset.title} train split, {n_train} examples ({dataset.source})"),
        (
            "LoRA",
            f"r={model_args.lora_r}, alpha={model_args.lora_alpha}, "
            f"dropout={model_args.lora_dropout}, target modules {model_args.lora_target_modules}",
        ),
        (
            "optimisation",
            f"lr {sft_args.learning_rate}, {schedule(sft_args)}, "
            f"batch size {sft_args.per_device_train_batch_size} per device, "
            + (
                f"sequences cut at {sft_args.max_length} tokens"
                if sft_args.max_length
                else "sequences kept whole (padding-free batches)"
            ),
        ),
        ("loss", "completion only (TRL SFTTrainer, prompt-completion examples)"),
    ]
    return ["| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows]]


def results_table(results: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| task | " + " | ".join(CARD_METRICS) + " |", "|---|" + "---|" * len(CARD_METRICS)]
    for task, metrics in results.items():
        cells = [f"{metrics[m]:.4f}" if m in metrics else "-" for m in CARD_METRICS]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return lines


def model_card(
    *,
    base: str,
    base_path: str,
    base_hub_id: str | None = None,
    merged_adapter: str | None = None,
    dataset: DatasetSpec,
    format_name: str,
    n_train: int,
    sft_args,
    model_args,
    lm_eval_results: dict | None,
    repo_id: str | None,
) -> ModelCard:
    name = repo_id or f"sciner-{base.split('/')[-1]}-{dataset.name}"
    results = task_metrics(lm_eval_results)
    # The adapter was trained on these weights: evaluate it on them (a registered base: the
    # folder `models path` makes, with the pinned generation settings), not on the Hub id's.
    pretrained = "MERGED_BASE" if merged_adapter else base_path
    if base in MODELS and not merged_adapter:
        pretrained = f"$(python -m sciner_tasks.models path {base})"
    body = [
        f"# {name}",
        "",
        f"A LoRA adapter for named-entity recognition on {dataset.title}, trained with "
        "[sciner](https://pypi.org/project/sciner/)'s `python -m training.sft`. Evaluate it with "
        f"`lm_eval --model hf --model_args pretrained={pretrained},peft=ADAPTER "
        f"--tasks {task_name(dataset.name, '0shot', format_name)}`"
        + (
            f", MERGED_BASE being {base_path} with `{merged_adapter}` merged in "
            "(peft's merge_and_unload), as it was trained."
            if merged_adapter
            else "."
        ),
        "",
        "## Training",
        "",
        *training_rows(
            base, base_path, merged_adapter, dataset, format_name, n_train, sft_args, model_args
        ),
        "",
        f"Data license: {dataset.license}. Citation: {dataset.citation}.",
    ]
    if results:
        body += ["", "## Results (lm-eval, strict entity micro-F1 etc.)", ""]
        body += results_table(results)
    data = card_data(name, base_hub_id, dataset, format_name, results)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(body) + "\n")
