"""What building a task's documents costs: the 1-shot samplers and the per-process split cache.

Three comparisons, each on whole splits, the sides alternated (bench/timing.py: A B, then
B A, ...) with --repeats rounds, reported as median, min and max seconds:

1. The samplers alone for a dataset's test split: kNN (`knn_demonstrations`), random
   (`random_demonstrations`) and the plain kNN definition (postings, a full sort per test
   sentence: the sampler before it was vectorised). The vectorised sampler's choices are
   checked equal to the plain one's, every sentence.
2. What a 1-shot task pays: the documents of `sciner_<dataset>_1shot` (`build_docs`) with
   kNN against random demonstrations, the splits already read (the cache of 3).
3. The documents of every task of a dataset (each prompt format x regime, as a group run
   builds them in one process) with the split cache (`loading.read_split`) and with every
   split read from disk again, as before the cache; the documents are checked equal.

    python bench/document_building.py --dataset wlpc --repeats 3 --out bench/results
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from sciner_tasks.data import load_split, loading
from sciner_tasks.demonstrations import knn_demonstrations, random_demonstrations
from sciner_tasks.formats import FORMATS
from sciner_tasks.names import REGIMES
from sciner_tasks.prompting import build_docs

# The plain kNN definition the tests hold the sampler to (postings and a full sort per test
# sentence: the sampler as it was before it was vectorised).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_demonstrations import plain_knn  # noqa: E402
from timing import alternate, summary  # noqa: E402


def all_task_docs(dataset: str) -> list[list[dict]]:
    return [build_docs(dataset, f, r) for f in FORMATS for r in REGIMES]


def uncached(dataset: str) -> list[list[dict]]:
    """Every task's documents with each split read from disk on every load."""
    loading.read_split.cache_clear()
    real = loading.read_split
    loading.read_split = real.__wrapped__
    try:
        return all_task_docs(dataset)
    finally:
        loading.read_split = real


def cached(dataset: str) -> list[list[dict]]:
    """Every task's documents in a fresh process's way: the cache empty at the start."""
    loading.read_split.cache_clear()
    return all_task_docs(dataset)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="wlpc")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    test, train = load_split(args.dataset, "test"), load_split(args.dataset, "train")

    seconds, outputs = alternate(
        {
            "knn": lambda: knn_demonstrations(test, train, 1),
            "random": lambda: random_demonstrations(test, train, 1, 1234),
            "plain_knn": lambda: plain_knn(test, train, 1),
        },
        args.repeats,
    )
    same = sum(a == b for a, b in zip(outputs["knn"][-1], outputs["plain_knn"][-1], strict=True))
    samplers = {name: summary(values) for name, values in seconds.items()}
    ratio = statistics.median(seconds["knn"]) / statistics.median(seconds["random"])
    speedup = statistics.median(seconds["plain_knn"]) / statistics.median(seconds["knn"])

    build_docs(args.dataset, "general", "1shot")  # the splits read once
    task_seconds, _ = alternate(
        {
            "knn": lambda: build_docs(args.dataset, "general", "1shot", sampler="knn"),
            "random": lambda: build_docs(args.dataset, "general", "1shot", sampler="random"),
        },
        args.repeats,
    )

    cache_seconds, cache_outputs = alternate(
        {"cached": lambda: cached(args.dataset), "uncached": lambda: uncached(args.dataset)},
        args.repeats,
    )
    tasks = len(FORMATS) * len(REGIMES)
    report = {
        "dataset": args.dataset,
        "test_sentences": len(test),
        "train_sentences": len(train),
        "repeats": args.repeats,
        "samplers_seconds": samplers,
        "knn_over_random": round(ratio, 2),
        "plain_knn_over_knn": round(speedup, 1),
        "knn_equal_to_plain": f"{same} of {len(test)}",
        "task_documents_seconds": {name: summary(v) for name, v in task_seconds.items()},
        "task_knn_over_random": round(
            statistics.median(task_seconds["knn"]) / statistics.median(task_seconds["random"]), 2
        ),
        "tasks_built": tasks,
        "documents_seconds": {name: summary(v) for name, v in cache_seconds.items()},
        "uncached_over_cached": round(
            statistics.median(cache_seconds["uncached"])
            / statistics.median(cache_seconds["cached"]),
            2,
        ),
        "documents_equal": cache_outputs["cached"][-1] == cache_outputs["uncached"][-1],
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"document_building_{args.dataset}.json"
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if same == len(test) and report["documents_equal"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
