"""python -m training.span_baseline --encoder DIR --dataset scierc [TrainingArguments ...]"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from transformers import HfArgumentParser

from sciner_tasks.data import DataError, load_spec

from .arguments import SpanBaselineArguments
from .train import train

# Counts below 1 would slice from the end ([:-1] drops the last sentence) or do nothing.
POSITIVE = (
    "num_train_epochs",
    "per_device_train_batch_size",
    "per_device_eval_batch_size",
    "max_length",
    "max_span_width",
    "limit_train",
    "limit_eval",
    "threads",
)


def argument_problem(args: SpanBaselineArguments) -> str | None:
    """What is wrong with the arguments, in one line; None if nothing."""
    if not Path(args.encoder).is_dir():
        return (
            f"--encoder: {args.encoder!r} is not a folder: pass a local encoder folder "
            "(hf download ORG/NAME --local-dir DIR)"
        )
    try:
        load_spec(args.dataset)
    except FileNotFoundError as err:
        return str(err)
    for name in POSITIVE:
        value = getattr(args, name)
        if value is not None and value <= 0:
            return f"--{name}: must be positive, got {value}"
    if args.max_steps == 0 or args.max_steps < -1:
        return f"--max_steps: must be positive (or -1: all epochs), got {args.max_steps}"
    return None


def parse_args(argv: Sequence[str] | None = None) -> SpanBaselineArguments:
    parser = HfArgumentParser(
        SpanBaselineArguments,
        prog="python -m training.span_baseline",
        description="Span-based NER baseline (PURE entity model style). Defaults are the "
        "study's: 15 epochs, batch 32, max length 128, lr 1e-5; any TrainingArguments flag "
        "applies.",
    )
    try:
        (args,) = parser.parse_args_into_dataclasses(argv)
    except ValueError as err:  # TrainingArguments' own checks
        parser.error(str(err))
    problem = argument_problem(args)
    if problem:
        parser.error(problem)
    return args


def main(argv: Sequence[str] | None = None) -> Path:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return train(parse_args(argv))


if __name__ == "__main__":
    try:
        main()
    except (DataError, OSError) as err:  # bad data or an unreadable encoder: one line
        sys.exit(f"error: {err}")
