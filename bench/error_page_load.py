"""The error page of a WLPC-sized run in headless Chromium: its size, and how long it takes
to open, to filter and to turn a page.

The run: WLPC's test split (2,861 sentences), each sentence given predictions made from its
gold by seeded perturbations (`scorer_throughput.perturbed_predictions`: every error class),
plus strings that are not in the sentence (hallucinations, some empty), written as lm-eval
output (results and samples files) and built into a site by `python -m leaderboard build`.
tests/test_leaderboard_error_pages.py builds the same page (`wlpc_run_items`, `build_page`).

Measured in fresh pages, the median of `--repeats`:
* load: navigation start to the first page of sentences painted (the page's
  `errors-rendered` performance mark, set after the next frame), and the wall time of `goto`
  until a sentence is there;
* filter: choosing an error class until the new first page is painted;
* next page: the same for the "next" button.

    python bench/error_page_load.py --out bench/results
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scorer_throughput import wlpc_items

from leaderboard.__main__ import main as leaderboard
from sciner_tasks.harness import AGGREGATIONS

ROOT = Path(__file__).resolve().parents[1]
TASK = "sciner_wlpc_0shot"
MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
HALLUCINATIONS = ("anti-foam reagent", "centrifuge the plasmid", "quantum pipette", "")
SEED = 13


def write_run(folder: Path, task: str, items: list[dict]) -> Path:
    """`items` (lm-eval process_results items of `task`) as the output of one lm-eval run
    with --log_samples: results_<stamp>.json, whose metrics are the task's aggregations of
    the items (so the leaderboard re-scores them without a warning), and its samples file."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = "2026-01-01T00-00-00.000000"
    metrics = {f"{name},none": aggregate(list(items)) for name, aggregate in AGGREGATIONS.items()}
    results = {
        "results": {task: {"alias": task, **metrics}},
        "n-samples": {task: {"original": len(items), "effective": len(items)}},
        "config": {"model": "hf", "model_args": {"pretrained": MODEL}},
        "model_name": MODEL,
        "date": 1.0,
    }
    path = folder / f"results_{stamp}.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    lines = (json.dumps({"doc_id": k, "f1": item}) for k, item in enumerate(items))
    (folder / f"samples_{task}_{stamp}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wlpc_run_items(seed: int = SEED) -> list[dict]:
    """WLPC's test sentences with perturbed predictions, one in ten given a hallucination."""
    items = wlpc_items(1, seed)
    rng = random.Random(seed)
    for item in items:
        if rng.random() < 0.1:
            item["predictions"].append(
                [rng.choice(item["predictions"] or [["Reagent"]])[0], rng.choice(HALLUCINATIONS)]
            )
    return items


def build_page(folder: Path, items: list[dict]) -> Path:
    """The site of a WLPC run of `items`, built under `folder`; returns its one error page."""
    site = folder / "site"
    write_run(folder / "results", TASK, items)
    if leaderboard(["build", str(folder / "results"), "--out", str(site)]) != 0:
        raise SystemExit("the leaderboard build failed")
    (page,) = (site / "errors").glob("*.html")
    return page


# Until the change is painted: a task queued from the next animation frame runs after it.
PAINTED = "await new Promise(done => requestAnimationFrame(() => setTimeout(done)));"
FILTER = f"""async () => {{
  const start = performance.now();
  const select = document.getElementById("class");
  select.value = "wrong_boundary";
  select.dispatchEvent(new Event("change"));
  {PAINTED}
  return performance.now() - start;
}}"""
NEXT = f"""async () => {{
  const start = performance.now();
  document.getElementById("next").click();
  {PAINTED}
  return performance.now() - start;
}}"""
MARKED = "() => performance.getEntriesByName('errors-rendered').length > 0"
RENDERED = "() => performance.getEntriesByName('errors-rendered')[0].startTime"


def measure(browser, page_path: Path) -> dict:
    """One fresh page: milliseconds to load, filter and turn a page, and sentences drawn."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    start = time.perf_counter()
    page.goto(page_path.as_uri(), wait_until="load")
    page.wait_for_selector(".sentence")
    page.wait_for_function(MARKED)
    figures = {
        "goto_wall_ms": 1000 * (time.perf_counter() - start),
        "load_ms": page.evaluate(RENDERED),
        "sentences_in_dom": page.locator(".sentence").count(),
        "filter_ms": page.evaluate(FILTER),
        "next_page_ms": page.evaluate(NEXT),
    }
    page.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, help="folder for error_page_load.json")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import CHROMIUM, CHROMIUM_ARGS  # the tests' browser, launched as they do

    items = wlpc_run_items()
    with tempfile.TemporaryDirectory() as folder:
        page_path = build_page(Path(folder), items)
        size = page_path.stat().st_size
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            runs = [measure(browser, page_path) for _ in range(args.repeats)]
            version = browser.version
            browser.close()
    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(
        f"WLPC test, {len(items):,} sentences: error page {size:,} bytes; median of {args.repeats}"
    )
    for key, label in (
        ("load_ms", "load (navigation start to first page painted)"),
        ("goto_wall_ms", "goto until a sentence is there (wall)"),
        ("filter_ms", "filter by an error class"),
        ("next_page_ms", "next page"),
    ):
        print(f"  {label:45} {medians[key]:8.1f} ms")
    print(f"  sentences in the DOM: {medians['sentences_in_dom']:.0f}")
    summary = {
        "data": {"dataset": "wlpc test", "sentences": len(items), "seed": SEED},
        "page_bytes": size,
        "repeats": args.repeats,
        "median": {k: round(v, 1) for k, v in medians.items()},
        "runs": [{k: round(v, 1) for k, v in run.items()} for run in runs],
        "machine": {
            "python": platform.python_version(),
            "processor": platform.machine(),
            "chromium": version,
        },
    }
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "error_page_load.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
