"""python -m leaderboard build RESULTS_DIR [...] --out SITE_DIR [--push-to-hub ORG/NAME]"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from sciner_tasks.data import DATASETS

from .collect import InputWarning, collect
from .publish import REPO_TYPES, push
from .site import build_site
from .write import write_site


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


def site_folder(value: str) -> Path:
    if Path(value).exists() and not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} exists and is not a directory")
    return Path(value)


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
    build.add_argument(
        "--adapter-dataset",
        type=adapter_dataset,
        action="append",
        default=[],
        metavar="ADAPTER=DATASET",
        help="the dataset a fine-tuned adapter (peft=/lora_local_path= path, or its last part) "
        "was trained on, where its folder has no training.sft model card with `sciner` "
        "metadata; repeatable",
    )
    build.add_argument("--push-to-hub", metavar="ORG/NAME", help="upload the site folder")
    build.add_argument("--repo-type", choices=REPO_TYPES, default="dataset")
    return parser.parse_args(argv)


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # The message names the input file and line; where in our code it was raised does not help.
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("always", InputWarning)
        warnings.showwarning = show_warning
        collection = collect(args.results, dict(args.adapter_dataset))
    site = build_site(collection, [str(p) for p in args.results])
    try:
        written = write_site(site, args.out)
    except OSError as error:
        # Found only on writing (permissions, a folder where a file goes, a full disk).
        print(f"error: cannot write the site to {args.out}: {error}", file=sys.stderr)
        return 1
    print(
        f"{len(collection.runs)} runs from {collection.results_files} results and "
        f"{collection.samples_files} samples files; {collection.skipped} input items skipped, "
        f"{collection.warned} warnings"
    )
    print("wrote " + ", ".join(str(p) for p in written))
    if args.push_to_hub:
        commit = push(args.out, args.push_to_hub, args.repo_type)
        print(f"pushed {args.out} to {args.push_to_hub}: {commit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
