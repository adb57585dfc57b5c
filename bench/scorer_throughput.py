"""Scorer throughput, old against new, side by side in one process on the same data.

The data: WLPC's test split (2,861 sentences, 12,974 gold entities), each sentence given
predictions made from its gold by seeded perturbations (kept, retyped, cut or widened by a
token, dropped, repeated, plus spurious spans of the sentence), as lm-eval's process_results
items of the general format. `--copies K` repeats the corpus K times under new sentence ids.

Measured with old and new alternated, `--repeats` rounds, as medians with min and max:
* the aggregation pass: every metric of a general-format task, as lm-eval calls them (one
  call per metric, each with its own list of the same item objects). Old: each metric
  regroups and re-scores every sentence, f1_stderr once more for its bootstrap. New:
  `sciner_tasks.harness.AGGREGATIONS` (one tally per pass, vectorised bootstrap).
* the primary metric alone (`f1`), the bootstrap alone, and the error classes (the
  leaderboard's breakdown: old `aggregate(sentence_scores(...))`, new `score_corpus`).
* one sentence with 2,000 gold entities and 2,000 predictions, all of one type (the quadratic
  case of the old matching).
* what a run pays (new only): `process_results` on every document of the WLPC general task,
  then every aggregation.

Old is the scorer module at `--old-rev` (default d8ef8fc, the last commit before the linear
scorer), loaded from git; it needs only the standard library. Every result of the two is
asserted identical (the bootstrap's too: the new one draws the same resamples).

    python bench/scorer_throughput.py --out bench/results
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import summary

from sciner_tasks.data.loading import load_split
from sciner_tasks.harness import AGGREGATIONS, process_results
from sciner_tasks.names import METRICS, UNSEEN_METRICS
from sciner_tasks.prompting import build_docs
from sciner_tasks.scoring import group_by_sentence, score_corpus

ROOT = Path(__file__).resolve().parents[1]
# The metrics the old scorer had: f1_unseen and its error came later (task version 2.2), so
# the old-new comparison leaves them out; `what_a_run_pays` times them all.
OLD_METRICS = tuple(m for m in METRICS if m not in UNSEEN_METRICS)


def load_old_scorer(revision: str):
    """sciner_tasks/scoring.py at `revision`, imported as a module of its own."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:sciner_tasks/scoring.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_scoring.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_scoring", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_scoring"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def perturbed_predictions(sentence, types: list[str], rng: random.Random) -> list[list[str]]:
    """Predictions made from a sentence's gold by the usual kinds of model error."""
    tokens, text = sentence.tokens, sentence.text
    predictions = []
    for entity in sentence.entities:
        roll = rng.random()
        if roll < 0.55:
            predictions.append([entity.type, entity.text])
        elif roll < 0.65:
            predictions.append([rng.choice(types), entity.text])
        elif roll < 0.75:
            words = entity.text.split()
            cut = " ".join(words[1:] or words[:1]) if len(words) > 1 else entity.text[:-1]
            predictions.append([entity.type, cut])
        elif roll < 0.8:
            following = text[entity.end :].split()
            predictions.append(
                [entity.type, f"{entity.text} {following[0]}".strip() if following else entity.text]
            )
        elif roll < 0.9:
            continue  # missed
        else:
            predictions += [[entity.type, entity.text]] * 2  # repeated
    for _ in range(rng.randint(0, 2)):  # spurious spans of the sentence
        if tokens:
            start = rng.randrange(len(tokens))
            span = " ".join(tokens[start : start + rng.randint(1, 3)])
            predictions.append([rng.choice(types), span])
    return predictions


def wlpc_items(copies: int, seed: int) -> list[dict]:
    sentences = load_split("wlpc", "test")
    types = sorted({e.type for s in sentences for e in s.entities})
    rng = random.Random(seed)
    items = []
    for copy in range(copies):
        for sentence in sentences:
            items.append(
                {
                    "sentence_id": f"{sentence.id}#{copy}",
                    "text": sentence.text,
                    "entities": [dataclasses.asdict(e) for e in sentence.entities],
                    "predictions": perturbed_predictions(sentence, types, rng),
                    "failed": rng.random() < 0.03,
                }
            )
    return items


def crowded_sentence(entities: int, seed: int) -> dict:
    """One sentence of `entities` one-word gold entities of a single type, with as many
    predictions: half correct, the others two-word spans overlapping gold (wrong boundaries)."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(entities)]
    text = " ".join(words)
    gold, start = [], 0
    for word in words:
        gold.append({"start": start, "end": start + len(word), "type": "T", "text": word})
        start += len(word) + 1
    predictions = [
        ["T", words[i]] if rng.random() < 0.5 else ["T", f"{words[i - 1]} {words[i]}"]
        for i in range(entities)
    ]
    return {
        "sentence_id": "crowded",
        "text": text,
        "entities": gold,
        "predictions": predictions,
        "failed": False,
    }


def timed(run, items: list[dict]) -> tuple[float, object]:
    """Seconds of one run of `run(copy of items)`, and its result. Each run gets new item
    objects (made before the clock starts), so no run reuses the previous run's tally."""
    copies = [dict(item) for item in items]
    start = time.perf_counter()
    result = run(copies)
    return time.perf_counter() - start, result


def old_pass(old, items: list[dict]) -> dict:
    """The old aggregations, one call per metric as lm-eval makes them."""

    def corpus():
        return old.aggregate(old.sentence_scores(list(items)))

    results = {
        "f1": corpus().f1,
        "f1_stderr": old.bootstrap_f1_stderr([s.strict for s in old.sentence_scores(list(items))]),
        "precision": corpus().precision,
        "recall": corpus().recall,
        "normalised_f1": corpus().normalised_f1,
        "hallucination_rate": corpus().hallucination_rate,
        "parse_failure_rate": sum(bool(i["failed"]) for i in items) / len(items),
    }
    assert list(results) == list(OLD_METRICS)
    return results


def new_pass(items: list[dict]) -> dict:
    return {name: AGGREGATIONS[name](list(items)) for name in OLD_METRICS}


def plain(result):
    """A result as plain values: the old and new modules have their own dataclasses."""
    return dataclasses.asdict(result) if dataclasses.is_dataclass(result) else result


def compare(name: str, items: list[dict], old_run, new_run, repeats: int, report: dict) -> None:
    """Old and new alternated, `repeats` rounds; medians with min and max."""
    predicted = sum(len(item["predictions"]) for item in items)
    seconds: dict[str, list[float]] = {"old": [], "new": []}
    results = {}
    for _ in range(repeats):
        for side, run in (("old", old_run), ("new", new_run)):
            elapsed, results[side] = timed(run, items)
            seconds[side].append(elapsed)
    old_result, new_result = results["old"], results["new"]
    assert plain(old_result) == plain(new_result), f"{name}: old {old_result} != new {new_result}"
    old_s, new_s = (statistics.median(seconds[side]) for side in ("old", "new"))
    report[name] = {
        "old_s": summary(seconds["old"], 5),
        "new_s": summary(seconds["new"], 5),
        "speedup": round(old_s / new_s, 1),
        "old_entities_per_s": round(predicted / old_s),
        "new_entities_per_s": round(predicted / new_s),
    }
    print(
        f"{name:22} old {old_s:9.4f} s  new {new_s:8.4f} s  x{old_s / new_s:7.1f}  "
        f"new {predicted / new_s:12,.0f} predicted entities/s (medians of {repeats})"
    )


def what_a_run_pays(repeats: int, report: dict) -> None:
    """What a WLPC general-format task pays to score: lm-eval's `process_results` on every
    document (its target as the output: every answer parsed), then every metric's
    aggregation, as lm-eval calls them."""
    docs = build_docs("wlpc", "general", "0shot")
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        per_metric = [process_results(doc, [doc["target"]]) for doc in docs]
        for name, aggregation in AGGREGATIONS.items():
            aggregation([result[name] for result in per_metric])
        seconds.append(time.perf_counter() - start)
    entities = sum(len(doc["entities"]) for doc in docs)
    report["process_results and aggregation"] = {
        "documents": len(docs),
        "gold_entities": entities,
        "seconds": summary(seconds, 5),
        "entities_per_s": round(entities / statistics.median(seconds)),
    }
    print(
        f"process_results + aggregation: {statistics.median(seconds):.3f} s for {len(docs)} "
        f"documents, {entities / statistics.median(seconds):,.0f} gold entities/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--crowded", type=int, default=2000, help="entities of the crowded sentence"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--old-rev", default="d8ef8fc")
    parser.add_argument("--out", type=Path, help="folder for scorer_throughput.json")
    args = parser.parse_args(argv)

    old = load_old_scorer(args.old_rev)
    items = wlpc_items(args.copies, args.seed)
    predicted = sum(len(i["predictions"]) for i in items)
    gold = sum(len(i["entities"]) for i in items)
    print(
        f"WLPC test x{args.copies}: {len(items):,} sentences, {gold:,} gold and "
        f"{predicted:,} predicted entities; old and new alternated, {args.repeats} rounds"
    )

    report: dict = {}
    compare("aggregation pass", items, lambda i: old_pass(old, i), new_pass, args.repeats, report)
    compare(
        "f1 alone",
        items,
        lambda i: old.aggregate(old.sentence_scores(i)).f1,
        AGGREGATIONS["f1"],
        args.repeats,
        report,
    )
    compare(
        "bootstrap (f1_stderr)",
        items,
        lambda i: old.bootstrap_f1_stderr([s.strict for s in old.sentence_scores(i)]),
        AGGREGATIONS["f1_stderr"],
        args.repeats,
        report,
    )
    # The leaderboard's breakdown: every count, per type and error class.
    compare(
        "leaderboard breakdown",
        items,
        lambda i: old.aggregate(old.sentence_scores(i)).to_dict(),
        lambda i: score_corpus(group_by_sentence(i)).to_dict(),
        args.repeats,
        report,
    )
    compare(
        f"{args.crowded} x {args.crowded} sentence",
        [crowded_sentence(args.crowded, args.seed)],
        lambda i: old.aggregate(old.sentence_scores(i)).to_dict(),
        lambda i: score_corpus(group_by_sentence(i)).to_dict(),
        args.repeats,
        report,
    )

    what_a_run_pays(args.repeats, report)

    summary = {
        "data": {
            "dataset": "wlpc test",
            "copies": args.copies,
            "sentences": len(items),
            "gold_entities": gold,
            "predicted_entities": predicted,
            "seed": args.seed,
        },
        "old_revision": args.old_rev,
        "repeats": args.repeats,
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "results": report,
    }
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "scorer_throughput.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
