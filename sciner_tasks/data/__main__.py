"""`python -m sciner_tasks.data {stats,build,convert,push}`: the datasets command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from .converters import convert
from .registry import DATASETS, SPLITS
from .schema import DataError, first_line
from .stats import dataset_stats, format_table
from .store import PACKAGE_DIR, data_home, locate, read_description, read_jsonl, write_dataset
from .user_corpus import USER_FORMATS, convert_user


def cmd_stats(args: argparse.Namespace) -> int:
    for name in args.datasets or list(DATASETS):
        directory = locate(name)
        if directory is None:
            print(
                f"{name}: not available here. CoNLL-2003 is not shipped (Reuters licence): "
                "build it from your copy with `python -m sciner_tasks.data build --raw DIR "
                "--datasets conll2003`, or load it once from the Hub with "
                "sciner_tasks.data.load_split('conll2003', 'test').\n"
            )
            continue
        spec, conversion = read_description(directory)
        splits = {
            split: read_jsonl(directory / f"{split}.jsonl.gz")
            for split in SPLITS
            if (directory / f"{split}.jsonl.gz").exists()
        }
        print(format_table(spec, dataset_stats(splits), conversion) + "\n")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    names = args.datasets or list(DATASETS)
    for name in tqdm(names, desc="converting", unit="dataset"):
        spec = DATASETS[name]
        splits, log = convert(spec, args.raw)
        # Data that may not be redistributed goes to the user's data home, never the package.
        out = args.out or (PACKAGE_DIR if spec.shipped else data_home())
        write_dataset(out / name, spec, splits, log)
        counts = "/".join(str(len(splits[s])) for s in SPLITS)
        tqdm.write(f"{name}: {counts} sentences -> {out / name}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    split_paths = {}
    for item in args.split:
        split, sep, path = item.partition("=")
        if not sep:
            raise SystemExit(f"--split expects SPLIT=PATH, got {item!r}")
        if split in split_paths:
            raise DataError(f"--split {split} is given twice ({split_paths[split]} and {path})")
        split_paths[split] = Path(path)
    spec, splits, log = convert_user(
        args.name,
        args.format,
        split_paths,
        types=args.types.split(",") if args.types else None,
        scheme=args.scheme,
        sentence_split=args.sentence_split,
        keep_sentences_without_entities=not args.drop_sentences_without_entities,
        license_=args.license,
        domain=args.domain,
    )
    write_dataset(args.out / args.name, spec, splits, log)
    for split, counts in dataset_stats(splits).items():
        shared = "" if counts.in_train is None else f", {counts.in_train} with a text in train"
        print(
            f"{args.name} {split}: {counts.sentences} sentences, {counts.distinct_texts} distinct "
            f"texts ({counts.repeats} repeats){shared}"
        )
    directory = str(args.out / args.name)
    print(f"written to {directory}; load it with load_split({directory!r}, SPLIT)")
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from .hub import push

    names = args.datasets or [name for name, spec in DATASETS.items() if spec.shipped]
    try:
        push(names, args.repo, private=args.private)
    except (DataError, ValueError, OSError):
        raise
    # huggingface_hub's and its HTTP client's transport errors share no base class.
    except Exception as err:
        print(f"error: cannot push to {args.repo}: {first_line(err)}", file=sys.stderr)
        return 1
    print(f"pushed {', '.join(names)} to https://huggingface.co/datasets/{args.repo}")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m sciner_tasks.data", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)

    stats = commands.add_parser("stats", help="sentences and entities per split and type")
    stats.add_argument("--datasets", nargs="+", help="names or dataset directories")
    stats.set_defaults(run=cmd_stats)

    build = commands.add_parser("build", help="convert the upstream releases")
    build.add_argument("--raw", type=Path, required=True, help="folder of the raw releases")
    build.add_argument("--datasets", nargs="+", choices=list(DATASETS))
    build.add_argument(
        "--out",
        type=Path,
        help="default: the package (shipped sets) or $SCINER_DATA_HOME (CoNLL-2003)",
    )
    build.set_defaults(run=cmd_build)

    user = commands.add_parser("convert", help="convert your own corpus")
    user.add_argument("--format", choices=USER_FORMATS, required=True)
    user.add_argument("--name", required=True)
    user.add_argument(
        "--split",
        action="append",
        required=True,
        metavar="SPLIT=PATH",
        help="brat folder, CoNLL file or JSONL file of one split; repeatable",
    )
    user.add_argument("--out", type=Path, default=data_home())
    user.add_argument(
        "--types",
        help="comma-separated labels to keep (default: all found); entities of other labels "
        "are dropped and counted in dataset.json",
    )
    user.add_argument("--scheme", choices=("iob1", "iob2"), default="iob2", help="CoNLL tags")
    user.add_argument(
        "--sentence-split",
        choices=("lines", "pysbd"),
        default="lines",
        help="brat: one sentence per line, or pysbd sentence splitting",
    )
    user.add_argument("--drop-sentences-without-entities", action="store_true")
    user.add_argument("--license", default="unspecified (user data)")
    user.add_argument("--domain", default="", help="named by the general prompt, e.g. chemistry")
    user.set_defaults(run=cmd_convert)

    hub = commands.add_parser("push", help="publish datasets to the Hugging Face Hub")
    hub.add_argument("--repo", required=True, metavar="ORG/NAME")
    hub.add_argument("--datasets", nargs="+", help="names or dataset directories")
    hub.add_argument("--private", action="store_true")
    hub.set_defaults(run=cmd_push)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (DataError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
    except OSError as err:  # a missing, unreadable or unwritable path
        where = err.filename or ""
        print(f"error: {where}{': ' if where else ''}{err.strerror or err}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
