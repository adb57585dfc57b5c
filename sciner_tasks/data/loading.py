"""Finding a dataset by name or path and loading it: the package's copy, the data home, a
converted corpus's folder, or (CoNLL-2003 only) the Hub copy, converted once and cached."""

from __future__ import annotations

from pathlib import Path

from .converters import conll2003_from_hub
from .registry import CONLL2003_HUB_ID, DATASETS, SPLITS, DatasetSpec
from .schema import Sentence
from .store import data_home, locate, read_description, read_jsonl, write_dataset


def load_split(name_or_path: str, split: str) -> list[Sentence]:
    """The sentences of one split of a built-in dataset (by name) or a converted corpus."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    directory = locate(name_or_path)
    if directory is None and name_or_path == "conll2003":
        directory = fetch_conll2003()
    if directory is None:
        raise no_dataset(name_or_path)
    path = directory / f"{split}.jsonl.gz"
    if not path.exists():
        raise FileNotFoundError(f"{directory} has no {split} split ({path.name} is missing)")
    return read_jsonl(path)


def load_spec(name_or_path: str) -> DatasetSpec:
    """A dataset's description: the registry for built-ins, dataset.json for converted data."""
    if name_or_path in DATASETS:
        return DATASETS[name_or_path]
    directory = locate(name_or_path)
    if directory is None:
        raise no_dataset(name_or_path)
    return read_description(directory)[0]


def no_dataset(name_or_path: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"no dataset {name_or_path!r}: not a built-in ({', '.join(DATASETS)}), not in "
        f"{data_home()} and not a folder with a dataset.json (python -m sciner_tasks.data "
        "convert makes one from your corpus)"
    )


def fetch_conll2003() -> Path:
    """CoNLL-2003 from the Hub copy most users already use, converted and cached once.

    Reuters' terms forbid redistributing the text, so sciner never ships it; users who have
    the original files build it with `python -m sciner_tasks.data build --raw DIR` instead.
    """
    import datasets

    hub = datasets.load_dataset(CONLL2003_HUB_ID, revision="refs/convert/parquet")
    splits, log = conll2003_from_hub(hub)
    directory = data_home() / "conll2003"
    write_dataset(directory, DATASETS["conll2003"], splits, log)
    return directory
