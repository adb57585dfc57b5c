"""Every setting of a run in one dataclass: ours plus `TrainingArguments`, with the study's
defaults set here and nowhere else. `HfArgumentParser` turns it into the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainingArguments
from transformers.trainer_utils import IntervalStrategy, SaveStrategy


def trainer_default(name: str, default: Any, *aliases: str) -> Any:
    """TrainingArguments' field `name` with our default; its help is kept, `aliases` are the
    flag names this baseline had before it used the Trainer."""
    metadata = dict(TrainingArguments.__dataclass_fields__[name].metadata)
    if aliases:
        metadata["aliases"] = list(aliases)
    return field(default=default, metadata=metadata)


@dataclass
class SpanBaselineArguments(TrainingArguments):
    """Our settings, then the TrainingArguments whose defaults are the study's or PURE's."""

    encoder: str = field(
        kw_only=True, metadata={"help": "local HF encoder folder (with a fast tokenizer)"}
    )
    dataset: str = field(default="scierc", metadata={"help": "a sciner dataset"})
    max_length: int = field(default=128, metadata={"help": "subwords per sentence, specials incl."})
    head_lr: float = field(
        default=5e-4,
        metadata={
            "help": "learning rate of the span head, which starts from random (PURE's 5e-4); "
            "--learning_rate is the encoder's"
        },
    )
    max_span_width: int = field(default=8, metadata={"help": "words per span (PURE: 8)"})
    limit_train: int | None = field(default=None, metadata={"help": "first N train sentences"})
    limit_eval: int | None = field(
        default=None, metadata={"help": "first N dev and test sentences"}
    )
    threads: int | None = field(default=None, metadata={"help": "torch threads (default: torch's)"})

    # The study's settings (15 epochs, batch 32, lr 1e-5) and PURE's warm-up (10 % of the steps).
    output_dir: str | None = field(
        default=None, metadata={"help": "default runs/span_baseline/<dataset>"}
    )
    num_train_epochs: float = trainer_default("num_train_epochs", 15, "--epochs")
    per_device_train_batch_size: int = trainer_default(
        "per_device_train_batch_size", 32, "--batch-size"
    )
    per_device_eval_batch_size: int = trainer_default(
        "per_device_eval_batch_size", 64, "--eval-batch-size"
    )
    learning_rate: float = trainer_default("learning_rate", 1e-5, "--lr")
    warmup_steps: float = trainer_default("warmup_steps", 0.1, "--warmup")
    seed: int = trainer_default("seed", 42)
    max_grad_norm: float = trainer_default("max_grad_norm", 0.0)  # no clipping, as in PURE
    # The epoch with the best strict dev F1 is kept (PURE's protocol); ties keep the earlier.
    eval_strategy: IntervalStrategy | str = trainer_default("eval_strategy", "epoch")
    save_strategy: SaveStrategy | str = trainer_default("save_strategy", "epoch")
    load_best_model_at_end: bool = trainer_default("load_best_model_at_end", True)
    metric_for_best_model: str | None = trainer_default("metric_for_best_model", "f1")
    save_total_limit: int | None = trainer_default("save_total_limit", 1)
    save_only_model: bool = trainer_default("save_only_model", True)
    # Batches of similar length: less padding, so much faster on a CPU.
    train_sampling_strategy: str = trainer_default("train_sampling_strategy", "group_by_length")
    logging_steps: float = trainer_default("logging_steps", 0.05)  # 20 loss figures a run
    # The collator reads fields the model's forward does not take (spans, sentence index).
    remove_unused_columns: bool = trainer_default("remove_unused_columns", False)

    def __post_init__(self) -> None:
        if self.output_dir is None:
            self.output_dir = str(Path("runs") / "span_baseline" / self.dataset)
        super().__post_init__()
