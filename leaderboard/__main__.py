"""python -m leaderboard build RESULTS_DIR [...] --out SITE_DIR [--push-to-hub ORG/NAME]
python -m leaderboard compare RESULTS_A RESULTS_B [--iterations N] [--seed S] [--json PATH]"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from sciner_tasks.data import DATASETS

from .collect import collect
from .compare import compare, figures, table, write_json
from .links import ERRORS_DIR
from .problems import InputWarning, Problems
from .publish import REPO_TYPES, push
from .readers import RESULTS_PREFIX
from .significance import ITERATIONS, SEED
from .site import build_site
from .write import NotASite, write_site


def adapter_dataset(value: str) -> tuple[str, str]:
    adapter, _, dataset = value.rpartition("=")
    if not adapter or dataset not in DATASETS:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected ADAPTER=DATASET with DATASET one of {', '.join(DATASETS)}"
        )
    return adapter, dataset


def results_folder(value: str) -> Path:
    # A mistyped folder would otherwise build, and write over SITE_DIR, an empty leaderboard.
    if not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is not a directory")
    return Path(value)


def results_input(value: str) -> Path:
    path = Path(value)
    if path.is_dir() or (path.is_file() and path.name.startswith(RESULTS_PREFIX)):
        return path
    raise argparse.ArgumentTypeError(
        f"{value!r} is neither a directory nor a {RESULTS_PREFIX}*.json file"
    )


def count(minimum: int):
    """An argparse type: an integer >= minimum."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < minimum:
            raise argparse.ArgumentTypeError(f"{value!r}: expected an integer >= {minimum}")
        return number

    return parse


def json_file(value: str) -> Path:
    if Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is a directory")
    return Path(value)


def site_folder(value: str) -> Path:
    if Path(value).exists() and not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} exists and is not a directory")
    return Path(value)


# The same option in both commands: compare reads runs as build does.
ADAPTER_DATASET = dict(
    type=adapter_dataset,
    action="append",
    default=[],
    metavar="ADAPTER=DATASET",
    help="the dataset a fine-tuned adapter (peft=/lora_local_path= path, or its last part) "
    "was trained on, where its folder has no training.sft model card with `sciner` "
    "metadata; repeatable",
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m leaderboard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser(
        "build",
        help="results folders -> leaderboard site",
        description="Read lm-eval (and span baseline) results_*.json and samples_*.jsonl "
        "under the folders and write index.html, leaderboard.md/.csv/.json and the figures.",
    )
    build.add_argument(
        "results", nargs="+", type=results_folder, help="folders searched recursively"
    )
    build.add_argument("--out", required=True, type=site_folder, help="site folder to write")
    build.add_argument("--adapter-dataset", **ADAPTER_DATASET)
    build.add_argument("--push-to-hub", metavar="ORG/NAME", help="upload the site folder")
    build.add_argument("--repo-type", choices=REPO_TYPES, default="dataset")
    compare_ = commands.add_parser(
        "compare",
        help="is the difference between two runs real?",
        description="Per task of both runs: F1 of each from the logged samples, B - A with a "
        "95% paired bootstrap interval, and paired bootstrap and approximate randomisation "
        "p-values (sentence level). Tasks whose runs saw different sentences are refused.",
    )
    for name in ("results_a", "results_b"):
        compare_.add_argument(
            name,
            type=results_input,
            metavar=name.upper(),
            help="a results_*.json or a folder searched recursively, with its samples_*.jsonl",
        )
    compare_.add_argument(
        "--iterations",
        type=count(1),
        default=ITERATIONS,
        help="bootstrap resamples and randomisation shuffles (default %(default)s)",
    )
    compare_.add_argument(
        "--seed", type=count(0), default=SEED, help="of both tests (default %(default)s)"
    )
    compare_.add_argument("--adapter-dataset", **ADAPTER_DATASET)
    compare_.add_argument("--json", type=json_file, metavar="PATH", help="also write the figures")
    return parser.parse_args(argv)


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # The message names the input file and line; where in our code it was raised does not help.
    print(f"warning: {message}", file=sys.stderr)


@contextmanager
def input_warnings():
    """Every InputWarning shown, each as one `warning:` line."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", InputWarning)
        warnings.showwarning = show_warning
        yield


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return build(args) if args.command == "build" else compare_runs(args)


def build(args: argparse.Namespace) -> int:
    with input_warnings():
        collection = collect(args.results, dict(args.adapter_dataset))
    site = build_site(collection, [str(p) for p in args.results])
    try:
        written = write_site(site, args.out)
    except NotASite as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        # Found only on writing (permissions, a folder where a file goes, a full disk).
        print(f"error: cannot write the site to {args.out}: {error}", file=sys.stderr)
        return 1
    print(
        f"{len(collection.runs)} runs from {collection.results_files} results and "
        f"{collection.samples_files} samples files; {collection.skipped} input items skipped, "
        f"{collection.warned} warnings"
    )
    pages = [p for p in written if p.parent.name == ERRORS_DIR]
    files = [str(p) for p in written if p not in pages]
    if pages:  # one per run: listing them would bury the rest
        files.append(f"{len(pages)} error page{'s' * (len(pages) > 1)} in {pages[0].parent}")
    print("wrote " + ", ".join(files))
    if args.push_to_hub:
        commit = push(args.out, args.push_to_hub, args.repo_type)
        print(f"pushed {args.out} to {args.push_to_hub}: {commit}")
    return 0


def compare_runs(args: argparse.Namespace) -> int:
    with input_warnings():
        report = compare(
            args.results_a,
            args.results_b,
            args.iterations,
            args.seed,
            dict(args.adapter_dataset),
            Problems(),
        )
    for side, path, models in (
        ("A", args.results_a, {c.run_a for c in report.comparisons}),
        ("B", args.results_b, {c.run_b for c in report.comparisons}),
    ):
        print(f"{side}: {path}" + "".join(f"\n   {run}" for run in sorted(models)))
    if report.comparisons:
        print(table(report.comparisons))
        print(
            f"F1 from the logged samples (percent); {args.iterations} paired resamples and "
            f"shuffles of the sentences, seed {args.seed}"
        )
    for side, tasks in (("A", report.only_a), ("B", report.only_b)):
        if tasks:
            print(f"not compared, only in {side}: {', '.join(tasks)}")
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    if args.json:
        settings = {
            "a": str(args.results_a),
            "b": str(args.results_b),
            "iterations": args.iterations,
            "seed": args.seed,
        }
        try:
            write_json(args.json, figures(report, settings))
        except OSError as error:
            print(f"error: cannot write {args.json}: {error}", file=sys.stderr)
            return 1
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
