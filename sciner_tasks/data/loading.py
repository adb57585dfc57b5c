"""Finding a dataset by name or path and loading it: the package's copy, the data home, a
converted corpus's folder, or (CoNLL-2003 only) the Hub copy, converted once and cached."""

from __future__ import annotations

import functools
from pathlib import Path

from .converters import conll2003_from_hub
from .registry import CONLL2003_HUB_ID, DATASETS, SPLITS, DatasetSpec
from .schema import Sentence, first_line
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
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{directory} has no {split} split ({path.name} is missing)"
        ) from None
    version = (info.st_ino, info.st_mtime_ns, info.st_ctime_ns, info.st_size)
    return list(read_split(str(path.resolve()), version))


@functools.lru_cache(maxsize=32)
def read_split(path: str, version: tuple[int, ...]) -> tuple[Sentence, ...]:
    """A split file's sentences, read once per process while the file is unchanged (`version`:
    its inode, times and size; a group run builds a dataset's tasks from the same splits, and
    sentences are immutable)."""
    return tuple(read_jsonl(Path(path)))


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


class DatasetUnavailable(FileNotFoundError):
    """A dataset sciner may not ship is neither built here nor reachable on the Hub; the
    message says both ways to get it, in one line."""


def conll2003_unavailable(reason: str) -> DatasetUnavailable:
    return DatasetUnavailable(
        f"CoNLL-2003 is not in {data_home()} and {reason}. Reuters' licence forbids shipping "
        "it: build it from the original release (eng.train, eng.testa, eng.testb in "
        "DIR/conll2003/) with `python -m sciner_tasks.data build --raw DIR --datasets "
        f"conll2003`, or load it once from the Hub ({CONLL2003_HUB_ID}) online. Without it, "
        "`--tasks sciner_shipped` runs every shipped dataset."
    )


def fetch_conll2003() -> Path:
    """CoNLL-2003 from the Hub copy most users already use, converted and cached once.

    Reuters' terms forbid redistributing the text, so sciner never ships it; users who have
    the original files build it with `python -m sciner_tasks.data build --raw DIR` instead.
    Without a network it fails at once (one probe) instead of after the Hub client's retries;
    offline (HF_HUB_OFFLINE) it reads the datasets cache, or fails at once too.
    """
    import datasets

    if not datasets.config.HF_HUB_OFFLINE:
        from huggingface_hub import HfApi

        try:
            HfApi().dataset_info(CONLL2003_HUB_ID, timeout=10)
        # huggingface_hub's transport errors are not OSErrors and differ across its versions.
        except Exception as error:
            reason = f"the Hub could not be reached ({first_line(error)})"
            raise conll2003_unavailable(reason) from None
    try:
        hub = datasets.load_dataset(CONLL2003_HUB_ID, revision="refs/convert/parquet")
    except ConnectionError as error:  # datasets' own: offline and not in its cache
        raise conll2003_unavailable(f"the Hub is off ({first_line(error)})") from None
    splits, log = conll2003_from_hub(hub)
    directory = data_home() / "conll2003"
    write_dataset(directory, DATASETS["conll2003"], splits, log)
    return directory
