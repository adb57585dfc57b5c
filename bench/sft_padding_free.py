"""Training throughput of padding-free batches against plain padded batches, same data.

Prepares `training.sft` twice with the same examples, seed and steps, once with
`--padding_free true` and once with `--padding_free false`, trains both in this process, and
reports training tokens per second (TRL's `num_tokens`: tokens that are not padding) and the
per-step losses side by side. The losses should agree: padding-free batching changes the
batch layout, not what is computed.

    python bench/sft_padding_free.py --steps 20 --batch-size 8
    python bench/sft_padding_free.py --base /path/to/model   # on a GPU: bf16, as TRL trains there
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from training.sft import make_parser, prepare


def train(padding_free: bool, steps: int, batch_size: int, dataset: str, base: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        args = make_parser().parse_args_and_config(
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
            ]
        )
        run = prepare(*args)
        output = run.trainer.train()
    history = run.trainer.state.log_history
    losses = [entry["loss"] for entry in history if "loss" in entry]
    tokens = max(entry.get("num_tokens", 0) for entry in history)
    seconds = output.metrics["train_runtime"]
    return {
        "padding_free": padding_free,
        "train_s": round(seconds, 1),
        "tokens": int(tokens),
        "tokens_per_s": round(tokens / seconds, 1),
        "losses": losses,
    }


def device_name() -> str:
    import torch

    return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--dataset", default="scierc")
    parser.add_argument("--base", default="smollm2", help="registry name or local folder")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    # Warm-up (discarded): the first run in a process pays for kernel and allocator set-up.
    train(True, 2, args.batch_size, args.dataset, args.base)
    padded = train(False, args.steps, args.batch_size, args.dataset, args.base)
    free = train(True, args.steps, args.batch_size, args.dataset, args.base)
    gap = max(abs(a - b) for a, b in zip(padded["losses"], free["losses"], strict=True))
    summary = {
        "base": args.base,
        "device": device_name(),
        "dataset": args.dataset,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "padded": padded,
        "padding_free": free,
        "speedup_tokens_per_s": round(free["tokens_per_s"] / padded["tokens_per_s"], 2),
        "max_abs_loss_difference": round(gap, 4),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "cpu" if summary["device"] == "cpu" else "cuda"
    (args.out / f"sft_padding_free_{suffix}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k not in ("padded", "padding_free")}))
    print("losses padded:      ", [round(x, 3) for x in padded["losses"]])
    print("losses padding-free:", [round(x, 3) for x in free["losses"]])


if __name__ == "__main__":
    main()
