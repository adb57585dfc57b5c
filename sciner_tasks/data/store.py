"""Processed datasets on disk, and finding a dataset by name or path.

A dataset directory holds `dataset.json` (its description and what conversion did) and one
`<split>.jsonl.gz` per split, one sentence record per line. The built-in sets ship this way
inside the package; user corpora converted with `python -m sciner_tasks.data convert` get the
same layout, so everything that reads a built-in set reads them too.

Files are written deterministically (sorted keys, gzip without a timestamp or file name) so a
rebuild from the same raw release is byte-identical.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .registry import DATASETS, SPLITS, DatasetSpec
from .schema import DataError, Sentence

PACKAGE_DIR = Path(__file__).parent / "processed"
CONLL2003_HUB_ID = "eriktks/conll2003"


def data_home() -> Path:
    """Where datasets that cannot ship (CoNLL-2003) or were downloaded are cached."""
    return Path(os.environ.get("SCINER_DATA_HOME", Path.home() / ".cache" / "sciner" / "datasets"))


def write_dataset(
    directory: Path, spec: DatasetSpec, splits: dict[str, list[Sentence]], log: Counter
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    description = dataclasses.asdict(spec)
    description["conversion"] = dict(sorted(log.items()))
    (directory / "dataset.json").write_text(
        json.dumps(description, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    for split, sentences in splits.items():
        write_split(directory / f"{split}.jsonl.gz", sentences)


def write_split(path: Path, sentences: Iterable[Sentence]) -> None:
    payload = "".join(s.to_json() + "\n" for s in sentences).encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    path.write_bytes(buffer.getvalue())


def read_jsonl(path: Path) -> list[Sentence]:
    """Sentence records from a .jsonl or .jsonl.gz file, each one validated."""
    opener = gzip.open if path.suffix == ".gz" else open
    sentences = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{where}: not valid JSON ({err.msg})") from err
            if not isinstance(record, dict):
                raise DataError(f"{where}: expected a JSON object, got {type(record).__name__}")
            sentences.append(Sentence.from_dict(record, where))
    return sentences


def read_description(directory: Path) -> tuple[DatasetSpec, dict[str, int]]:
    """The spec and conversion counts stored in `directory/dataset.json`."""
    path = directory / "dataset.json"
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
        conversion = description.pop("conversion", {})
        description["dropped_types"] = tuple(description.get("dropped_types", ()))
        return DatasetSpec(**description), conversion
    except (OSError, json.JSONDecodeError, TypeError) as err:
        raise DataError(f"{path}: not a sciner dataset description ({err})") from err


def locate(name_or_path: str) -> Path | None:
    """The directory of a dataset: the package's copy, then the data home, then a path."""
    candidates = [PACKAGE_DIR / name_or_path, data_home() / name_or_path, Path(name_or_path)]
    return next((c for c in candidates if (c / "dataset.json").is_file()), None)


def load_split(name_or_path: str, split: str) -> list[Sentence]:
    """The sentences of one split of a built-in dataset (by name) or a converted corpus."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    directory = locate(name_or_path)
    if directory is None and name_or_path == "conll2003":
        directory = fetch_conll2003()
    if directory is None:
        known = ", ".join(DATASETS)
        raise FileNotFoundError(
            f"no dataset {name_or_path!r}: not a built-in ({known}), not in {data_home()} and "
            "not a directory with a dataset.json"
        )
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
        raise FileNotFoundError(f"no dataset {name_or_path!r} (see load_split)")
    return read_description(directory)[0]


def fetch_conll2003() -> Path:
    """CoNLL-2003 from the Hub copy most users already use, converted and cached once.

    Reuters' terms forbid redistributing the text, so sciner never ships it; users who have
    the original files build it with `python -m sciner_tasks.data build --raw DIR` instead.
    """
    import datasets

    from .converters import conll2003_from_hub

    hub = datasets.load_dataset(CONLL2003_HUB_ID, revision="refs/convert/parquet")
    splits, log = conll2003_from_hub(hub)
    directory = data_home() / "conll2003"
    write_dataset(directory, DATASETS["conll2003"], splits, log)
    return directory
