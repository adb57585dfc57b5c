"""The model card of a fine-tuned adapter: training config, data and lm-eval results.

When lm-eval results are given they also go into the card's `model-index` metadata, which is
what the Hub reads to show evaluation results on the model page.
"""

from __future__ import annotations

from typing import Any

from sciner_tasks.data import DatasetSpec
from sciner_tasks.names import task_name

# upstream_f1 only in UniNER and IEPile tasks ("-" elsewhere).
REPORTED = ("f1", "precision", "recall", "normalised_f1", "parse_failure_rate", "upstream_f1")


def task_metrics(lm_eval_results: dict[str, Any] | None) -> dict[str, dict[str, float]]:
    """task -> {metric: value} for the sciner metrics of an lm-eval results file."""
    found: dict[str, dict[str, float]] = {}
    for task, metrics in (lm_eval_results or {}).get("results", {}).items():
        values = {m: metrics.get(f"{m},none") for m in REPORTED}
        found[task] = {m: float(v) for m, v in values.items() if isinstance(v, (int, float))}
    return found


def model_index(name: str, dataset: DatasetSpec, results: dict[str, dict[str, float]]) -> str:
    if not results:
        return ""
    lines = ["model-index:", f"- name: {name}", "  results:"]
    for task, metrics in results.items():
        lines += [
            "  - task:",
            "      type: token-classification",
            "      name: Named Entity Recognition",
            "    dataset:",
            f"      name: {dataset.title}",
            f"      type: {dataset.name}",
            "      split: test",
            "    metrics:",
        ]
        for metric, value in metrics.items():
            lines += [
                f"    - type: {metric}",
                f"      value: {round(value, 4)}",
                f"      name: {task} {metric}",
            ]
    return "\n".join(lines) + "\n"


def schedule(sft_args) -> str:
    # A positive max_steps overrides the epoch count (transformers' TrainingArguments).
    if sft_args.max_steps > 0:
        return f"{sft_args.max_steps} steps"
    return f"{sft_args.num_train_epochs:g} epochs"


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
) -> str:
    name = repo_id or f"sciner-{base.split('/')[-1]}-{dataset.name}"
    results = task_metrics(lm_eval_results)
    # The Hub links an adapter to its base by id; a local folder is no id and is left out.
    base_model = f"base_model: {base_hub_id}\n" if base_hub_id else ""
    metadata = (
        "---\n"
        f"{base_model}"
        "library_name: peft\n"
        "pipeline_tag: text-generation\n"
        "tags:\n- sciner\n- named-entity-recognition\n- lora\n- trl\n- sft\n"
        f"{model_index(name, dataset, results)}"
        "---\n"
    )
    # The adapter was trained on these weights: evaluate it on them, not on the Hub id's.
    pretrained = "MERGED_BASE" if merged_adapter else base_path
    targets = model_args.lora_target_modules
    rows = [
        ("base", f"`{base}` ({base_path})"),
        *([("merged into the base first", f"`{merged_adapter}`")] if merged_adapter else []),
        ("prompt format", f"`{format_name}` (sciner_tasks.formats)"),
        ("data", f"{dataset.title} train split, {n_train} examples ({dataset.source})"),
        (
            "LoRA",
            f"r={model_args.lora_r}, alpha={model_args.lora_alpha}, "
            f"dropout={model_args.lora_dropout}, target modules {targets}",
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
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in rows],
        "",
        f"Data license: {dataset.license}. Citation: {dataset.citation}.",
    ]
    if results:
        body += [
            "",
            "## Results (lm-eval, strict entity micro-F1 etc.)",
            "",
            "| task | " + " | ".join(REPORTED) + " |",
            "|---|" + "---|" * len(REPORTED),
        ]
        for task, metrics in results.items():
            cells = [f"{metrics[m]:.4f}" if m in metrics else "-" for m in REPORTED]
            body.append(f"| {task} | " + " | ".join(cells) + " |")
    return metadata + "\n" + "\n".join(body) + "\n"
