"""The command line of `training.sft`: our arguments, the study's defaults for TRL's, the
parser and the checks that refuse bad arguments before anything is loaded.

TRL, transformers and torch take seconds to import: they are imported inside the functions
that need them, so that `--help` (our arguments and the study's defaults) answers at once;
`--help-all` builds TRL's parser and lists every SFTConfig and ModelConfig option.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sciner_tasks.models import MODELS

if TYPE_CHECKING:
    from trl import ModelConfig, SFTConfig, TrlParser


@dataclass
class SciNERArguments:
    base: str = field(
        default="smollm2",
        metadata={"help": f"registry short name ({', '.join(MODELS)}), local path or Hub id"},
    )
    dataset: str = field(default="scierc", metadata={"help": "sciner dataset or directory"})
    format: str | None = field(
        default=None, metadata={"help": "prompt format (default: the base's, else general)"}
    )
    max_source_length: int = field(default=400, metadata={"help": "prompt tokens (study)"})
    max_target_length: int = field(default=512, metadata={"help": "answer tokens (study)"})
    max_train_examples: int | None = field(
        default=None, metadata={"help": "first N training examples only (demos, tests)"}
    )
    resume: bool = field(default=False, metadata={"help": "continue from the last checkpoint"})
    lm_eval_results: str | None = field(
        default=None, metadata={"help": "lm-eval results_*.json to show in the model card"}
    )


# The study's settings where they differ from TRL's defaults: set as the parser's defaults, so
# a `--config` recipe and the command line override them, as they override TRL's own.
STUDY_TRAINING_DEFAULTS = {
    "output_dir": None,  # runs/sft/<base>-<dataset> (prepare)
    "learning_rate": 5e-5,
    "num_train_epochs": 10,
    "per_device_train_batch_size": 2,
    "logging_steps": 10,
    "save_strategy": "epoch",
    # Padding-free batches (sequences concatenated, attention kept apart by position ids):
    # no compute on padding. Turned off for models whose code is not transformers' own.
    "padding_free": True,
}
STUDY_LORA_DEFAULTS = {
    "use_peft": True,
    "lora_r": 16,
    "lora_alpha": 32,
    "lora_dropout": 0.05,
    "lora_target_modules": ["all-linear"],
}


def bf16_available() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


class MissingInput(FileNotFoundError):
    """A file or dataset named by an argument is not there (the command line says so in one
    `error:` line; callers of `main` get a FileNotFoundError)."""


def translate_push_flag(argv: list[str]) -> list[str]:
    """`--push-to-hub ORG/NAME` (our CLI) is TRL's `--push_to_hub --hub_model_id ORG/NAME`."""
    out = []
    items = iter(argv)
    for item in items:
        if item == "--push-to-hub":
            out += ["--push_to_hub", "true", "--hub_model_id", next(items, "")]
        elif item.startswith("--push-to-hub="):
            out += ["--push_to_hub", "true", "--hub_model_id", item.split("=", 1)[1]]
        else:
            out.append(item)
    return out


def check_config_file(argv: list[str]) -> None:
    """TrlParser opens `--config PATH` as it is; a missing file would end in a traceback."""
    if "--config" in argv[:-1]:
        path = argv[argv.index("--config") + 1]
        if not Path(path).is_file():
            raise MissingInput(
                f"--config {path}: no such file; pass a YAML recipe such as "
                "training/recipes/smollm2_scierc_cpu.yaml"
            )


def check_arguments(script_args: SciNERArguments) -> None:
    """Refuse what would otherwise fail, or do something else than asked, after training."""
    limit = script_args.max_train_examples
    if limit is not None and limit < 1:  # a slice [:-1] would drop the last example
        raise SystemExit(f"error: --max_train_examples must be a positive integer, got {limit}")
    results = script_args.lm_eval_results
    if results and not Path(results).is_file():  # read for the model card, after training
        raise MissingInput(f"--lm_eval_results {results}: no such file")


def parse_arguments(
    parser: TrlParser, args: list[str] | None = None
) -> tuple[SciNERArguments, SFTConfig, ModelConfig]:
    """TRL's parsing, with `--push-to-hub ORG/NAME` and bad arguments refused before anything
    is loaded."""
    args = translate_push_flag(sys.argv[1:] if args is None else list(args))
    check_config_file(args)
    script_args, training_args, model_args = parser.parse_args_and_config(args)
    check_arguments(script_args)
    return script_args, training_args, model_args


def make_parser() -> TrlParser:
    """TRL's parser of our arguments, SFTConfig and ModelConfig, with the study's defaults."""
    from trl import ModelConfig, SFTConfig, TrlParser

    parser = TrlParser((SciNERArguments, SFTConfig, ModelConfig))
    # bf16 where the hardware has it; TRL's default (always bf16) refuses to run on a CPU.
    parser.set_defaults(**STUDY_TRAINING_DEFAULTS, **STUDY_LORA_DEFAULTS, bf16=bf16_available())
    return parser


def short_help(description: str) -> str:
    """`--help`: our arguments and the study's defaults, without importing TRL."""
    from transformers import HfArgumentParser

    defaults = {**STUDY_TRAINING_DEFAULTS, **STUDY_LORA_DEFAULTS, "bf16": "where CUDA has it"}
    defaults["output_dir"] = "runs/sft/<base>-<dataset>"
    parser = HfArgumentParser(
        SciNERArguments,
        prog="python -m training.sft",
        description=description,
        epilog="Every option of TRL's SFTConfig and ModelConfig is accepted too (--config YAML, "
        "--help-all lists them). The study's defaults, where they differ from TRL's: "
        + ", ".join(f"--{name} {cli_value(value)}" for name, value in defaults.items())
        + ".",
    )
    return parser.format_help()


def cli_value(value) -> str:
    return " ".join(value) if isinstance(value, list) else str(value)
