"""LoRA supervised fine-tuning of any registered base on a sciner dataset, with TRL.

    python -m training.sft --base uniner --dataset scierc                 # the study's setup
    python -m training.sft --config training/recipes/smollm2_scierc_cpu.yaml   # CPU demo
    accelerate launch -m training.sft --base llama3.1-8b --dataset wlpc --push-to-hub ORG/NAME

Laid out like TRL's own `trl/scripts/sft.py`: the arguments and parser (ours beside TRL's
SFTConfig and ModelConfig, any of them from a YAML `--config`: training.arguments), then
`main(script_args, training_args, model_args)`: load, train, save, push. Heavy libraries are
imported where they are used, so `--help` is instant (`--help-all` lists TRL's options too).
Defaults are the study's: LoRA rank 16, alpha 32, dropout 0.05, learning rate 5e-5, 10
epochs, batch size 2, prompts up to 400 and answers up to 512 tokens. Training examples are
the lm-eval documents of the dataset's train split (sciner_tasks.prompting.build_docs), so a
training prompt is the evaluation prompt by construction; the loss is on the completion only.
The base model (training.base_model), the examples (training.examples), resuming and the
run record that proves a checkpoint is this run's (training.checkpoints) and the model card
(training.card) live beside this script.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sciner_tasks.data import DatasetSpec, load_spec
from sciner_tasks.formats import get_format
from sciner_tasks.models import MODELS

from .arguments import MissingInput, SciNERArguments, make_parser, parse_arguments, short_help
from .base_model import (
    Base,
    hub_errors_explained,
    load_model,
    load_tokenizer,
    probe_hub,
    resolve_base,
    supports_padding_free,
)
from .examples import report_over_length, sft_examples

# TRL, transformers and torch take seconds to import: they are imported where they are used,
# so that `--help` (training.arguments) answers at once.
if TYPE_CHECKING:
    from huggingface_hub import ModelCard
    from trl import ModelConfig, SFTConfig, SFTTrainer

# ------------------------------------------------------------------------------------ main


def main(script_args: SciNERArguments, training_args: SFTConfig, model_args: ModelConfig) -> None:
    run = prepare(script_args, training_args, model_args)

    # Train the model
    run.trainer.train(resume_from_checkpoint=run.resume_from)

    # Save the adapter with its model card, and push it to the Hub
    save(run)
    if run.push_repo and run.trainer.accelerator.is_main_process:
        push(run)


# ------------------------------------------------------------------------- before training


@dataclass
class TrainingRun:
    """A prepared training run (what `main` trains and saves; benchmarks reuse it)."""

    trainer: SFTTrainer
    script_args: SciNERArguments
    model_args: ModelConfig
    base: Base
    spec: DatasetSpec
    n_train: int
    push_repo: str | None
    hub_token: str | None  # for our push only: kept out of the saved Trainer arguments
    resume_from: str | None


def prepare(
    script_args: SciNERArguments, training_args: SFTConfig, model_args: ModelConfig
) -> TrainingRun:
    """Everything before training: the base, the data and the SFT trainer."""
    import datasets
    from trl import SFTTrainer, get_peft_config

    from .checkpoints import check_same_run, resume_checkpoint, run_record, write_run_record

    base = resolve_base(script_args.base, script_args.format, training_args.trust_remote_code)
    spec = dataset_spec(script_args.dataset)
    default_dir = f"runs/sft/{Path(script_args.base).name}-{spec.name}"
    training_args.output_dir = training_args.output_dir or default_dir
    training_args.max_length = script_args.max_source_length + script_args.max_target_length
    record = run_record(base, script_args.dataset, script_args, training_args, model_args)
    resume_from = None
    if script_args.resume:
        resume_from = resume_checkpoint(training_args.output_dir)
        check_same_run(training_args.output_dir, record)
    write_run_record(training_args.output_dir, record)
    push_repo, hub_token = take_push_settings(training_args)

    # Load the tokenizer
    registered = script_args.base in MODELS
    base = probe_hub(base, registered)
    with hub_errors_explained(base, registered):
        tokenizer = load_tokenizer(base)
    check_chat_template(base, tokenizer)

    # Load the dataset: the lm-eval documents of the train and dev splits
    limit = script_args.max_train_examples
    train = split_examples(script_args.dataset, base.format_name, "train", limit)
    evaluates = training_args.eval_strategy != "no"
    dev = split_examples(script_args.dataset, base.format_name, "dev", limit) if evaluates else []

    # Load the model
    with hub_errors_explained(base, registered):
        model = load_model(base, model_args)
    choose_batching(training_args, model)
    report_over_length(
        train, tokenizer, script_args, training_args, get_format(base.format_name).chat
    )

    # Initialize the SFT trainer
    trainer = SFTTrainer(
        model=model,
        args=training_args,
        train_dataset=datasets.Dataset.from_list(train),
        eval_dataset=(
            datasets.Dataset.from_list(dev) if training_args.eval_strategy != "no" else None
        ),
        processing_class=tokenizer,
        peft_config=get_peft_config(model_args),
    )
    return TrainingRun(
        trainer, script_args, model_args, base, spec, len(train), push_repo, hub_token, resume_from
    )


def dataset_spec(name: str) -> DatasetSpec:
    try:
        return load_spec(name)
    except FileNotFoundError as err:
        raise MissingInput(str(err)) from None


def take_push_settings(training_args: SFTConfig) -> tuple[str | None, str | None]:
    """(repo, token) of the push, taken out of the Trainer's arguments. We push ourselves (main
    process only, with our model card), not the Trainer; and Trainer pickles its arguments
    into training_args.bin in the output folder (which we push) and in every checkpoint: the
    token must not be among them."""
    push_repo = training_args.hub_model_id if training_args.push_to_hub else None
    hub_token = training_args.hub_token
    training_args.push_to_hub, training_args.hub_token = False, None
    return push_repo, hub_token


def check_chat_template(base: Base, tokenizer) -> None:
    prompt_format = get_format(base.format_name)
    if prompt_format.chat and not tokenizer.chat_template:
        raise SystemExit(
            f"error: the {prompt_format.name} format needs a chat template and {base.path} has "
            "none; pick a raw-template format (--format uniner, iepile, yayi) or a chat model"
        )


def split_examples(dataset: str, format_name: str, split: str, limit: int | None):
    """`sft_examples`, or one `error:` line for a split that is missing or empty."""
    try:
        examples = sft_examples(dataset, format_name, split, limit)
    except FileNotFoundError as err:
        hint = " (evaluation needs it: --eval_strategy no trains without)" if split == "dev" else ""
        raise MissingInput(f"{err}{hint}") from None
    if not examples:
        raise SystemExit(f"error: the {split} split of {dataset} has no examples")
    return examples


def choose_batching(training_args: SFTConfig, model) -> None:
    """Padding-free batches where the model supports them, padded ones otherwise."""
    if training_args.padding_free and not supports_padding_free(model):
        print(f"note: {type(model).__name__} is not a transformers model: padded batches")
        training_args.padding_free = False
    if training_args.padding_free:
        # TRL cannot cut sequences in padding-free batches without packing, and packing would
        # change how many examples a step sees: sequences are kept whole (counted below).
        training_args.max_length = None


# -------------------------------------------------------------------------- after training


def save(run: TrainingRun) -> None:
    """The adapter (every process takes part), its tokenizer and model card (main process)."""
    trainer, output_dir = run.trainer, run.trainer.args.output_dir
    if trainer.is_fsdp_enabled:
        # Trainer.save_model writes nothing for a sharded FSDP state dict (the checkpoints'
        # format, recipes/accelerate/fsdp_lora.yaml): gather a full one for a plain adapter.
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model(output_dir)
    if not trainer.accelerator.is_main_process:
        return
    trainer.processing_class.save_pretrained(output_dir)
    card(run).save(Path(output_dir) / "README.md")
    if run.script_args.base in MODELS and run.base.hub_id:
        name_base(Path(output_dir) / "adapter_config.json", run.base.hub_id)


def name_base(adapter_config: Path, hub_id: str) -> None:
    """A registered base is named by its Hub id in the adapter, not by the folder of this
    machine it was loaded from (a path that means nothing on the Hub or another machine)."""
    config = json.loads(adapter_config.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = hub_id
    adapter_config.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")


def card(run: TrainingRun) -> ModelCard:
    from .card import model_card

    results_file = run.script_args.lm_eval_results
    base_name = run.script_args.base
    registered = base_name in MODELS
    return model_card(
        base=base_name if registered else run.base.path,
        # A registered base by its Hub id: this machine's folder of it means nothing elsewhere.
        base_path=(run.base.hub_id or run.base.path) if registered else run.base.path,
        base_hub_id=run.base.hub_id,
        merged_adapter=run.base.adapter,
        dataset=run.spec,
        format_name=run.base.format_name,
        n_train=run.n_train,
        sft_args=run.trainer.args,
        model_args=run.model_args,
        lm_eval_results=json.loads(Path(results_file).read_text()) if results_file else None,
        repo_id=run.push_repo,
    )


def push(run: TrainingRun) -> None:
    """The output folder (adapter, tokenizer, card), without the checkpoints."""
    from huggingface_hub import HfApi

    args = run.trainer.args
    api = HfApi(token=run.hub_token)
    api.create_repo(run.push_repo, private=args.hub_private_repo, exist_ok=True)
    api.upload_folder(
        repo_id=run.push_repo, folder_path=args.output_dir, ignore_patterns=["checkpoint-*"]
    )


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(short_help(__doc__.split("\n\n")[0]), end="")
        raise SystemExit(0)
    if "--help-all" in sys.argv[1:]:
        make_parser().print_help()
        raise SystemExit(0)
    try:
        main(*parse_arguments(make_parser()))
    # A missing input ends in one `error:` line, not a traceback (every other refusal is a
    # SystemExit with its `error:` line already).
    except MissingInput as err:
        raise SystemExit(f"error: {err}") from None
