"""Training throughput of padding-free batches against plain padded batches, same data.

Prepares `training.sft` with the same examples, seed and steps, once with
`--padding_free true` and once with `--padding_free false`, and trains both in this process,
the sides alternated over --repeats rounds (bench/timing.py). It reports training tokens per
second (TRL's `num_tokens`: tokens that are not padding; the median, min and max of the
rounds), the per-step losses side by side (they should agree: padding-free batching changes
the batch layout, not what is computed), and the ceiling of the speed-up: the positions the
padded batches hold over the tokens in them (what padding-free saves at most, if a step's cost
were proportional to its positions).

    python bench/sft_padding_free.py --steps 6 --batch-size 8 --repeats 3
    python bench/sft_padding_free.py --base /path/to/model   # on a GPU: bf16, as TRL trains there
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from timing import summary

from training.arguments import make_parser, parse_arguments
from training.sft import prepare


def train(padding_free: bool, steps: int, batch_size: int, dataset: str, base: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        args = parse_arguments(
            make_parser(),
            [
                "--base",
                base,
                "--dataset",
                dataset,
                "--output_dir",
                out,
                "--max_steps",
                str(steps),
                "--per_device_train_batch_size",
                str(batch_size),
                "--max_train_examples",
                str(steps * batch_size),
                "--save_strategy",
                "no",
                "--logging_steps",
                "1",
                "--seed",
                "0",
                "--padding_free",
                str(padding_free).lower(),
            ],
        )
        run = prepare(*args)
        output = run.trainer.train()
        positions = batch_positions(run.trainer, steps)
    history = run.trainer.state.log_history
    losses = [entry["loss"] for entry in history if "loss" in entry]
    tokens = max(entry.get("num_tokens", 0) for entry in history)
    seconds = output.metrics["train_runtime"]
    return {
        "padding_free": padding_free,
        "train_s": round(seconds, 1),
        "tokens": int(tokens),
        "positions": positions,
        "tokens_per_s": round(tokens / seconds, 1),
        "losses": losses,
    }


def batch_positions(trainer, steps: int) -> int:
    """The positions (tokens and padding) of the first `steps` batches the trainer makes."""
    batches = iter(trainer.get_train_dataloader())
    return sum(next(batches)["input_ids"].numel() for _ in range(steps))


def device_name() -> str:
    import torch

    return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--dataset", default="scierc")
    parser.add_argument("--base", default="smollm2", help="registry name or local folder")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    # Warm-up (discarded): the first run in a process pays for kernel and allocator set-up.
    train(True, 2, args.batch_size, args.dataset, args.base)
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for round_index in range(args.repeats):  # padded first in even rounds, last in odd ones
        for padding_free in (False, True) if round_index % 2 == 0 else (True, False):
            runs[padding_free].append(
                train(padding_free, args.steps, args.batch_size, args.dataset, args.base)
            )
    padded, free = runs[False][0], runs[True][0]
    gap = max(abs(a - b) for a, b in zip(padded["losses"], free["losses"], strict=True))
    speed = {side: [r["tokens_per_s"] for r in runs[side]] for side in runs}
    report = {
        "base": args.base,
        "device": device_name(),
        "dataset": args.dataset,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "padded_tokens_per_s": summary(speed[False], 1),
        "padding_free_tokens_per_s": summary(speed[True], 1),
        "speedup_tokens_per_s": round(
            statistics.median(speed[True]) / statistics.median(speed[False]), 3
        ),
        "ceiling_positions_over_tokens": round(padded["positions"] / padded["tokens"], 3),
        "max_abs_loss_difference": round(gap, 4),
        "padded": runs[False],
        "padding_free": runs[True],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "cpu" if report["device"] == "cpu" else "cuda"
    path = args.out / f"sft_padding_free_{suffix}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k not in ("padded", "padding_free")}))
    print("losses padded:      ", [round(x, 3) for x in padded["losses"]])
    print("losses padding-free:", [round(x, 3) for x in free["losses"]])


if __name__ == "__main__":
    main()
