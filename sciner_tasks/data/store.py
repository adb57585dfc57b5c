"""Processed datasets on disk: the folder layout, reading and (atomic) writing, and where a
named dataset's folder is (`locate`; loading by name is in loading.py).

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
import re
import shutil
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .registry import SPLITS, DatasetSpec
from .schema import DataError, Sentence, decode_utf8
from .stats import dataset_stats, overlap

PACKAGE_DIR = Path(__file__).parent / "processed"


def data_home() -> Path:
    """Where datasets that cannot ship (CoNLL-2003) or were downloaded are cached."""
    return Path(os.environ.get("SCINER_DATA_HOME", Path.home() / ".cache" / "sciner" / "datasets"))


def write_dataset(
    directory: Path, spec: DatasetSpec, splits: dict[str, list[Sentence]], log: Counter
) -> None:
    """Write a dataset as a whole: into a temporary folder beside `directory`, then renamed
    over it. A failure leaves the previous dataset as it was, and a dataset written with
    fewer splits than before keeps none of the old ones."""
    if directory.exists() and not (directory / "dataset.json").is_file():
        if not directory.is_dir() or any(directory.iterdir()):
            raise DataError(
                f"{directory} exists and is not a sciner dataset (no dataset.json); it is left "
                "untouched: choose another --out or --name"
            )
    foreign = foreign_files(directory)
    if foreign:
        raise DataError(
            f"{directory} holds files sciner did not write ({', '.join(foreign)}), which "
            "replacing the dataset would delete; it is left untouched: move them, or choose "
            "another --out or --name"
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        description = dataclasses.asdict(spec)
        description["conversion"] = dict(sorted(log.items()))
        description["overlap"] = overlap(dataset_stats(splits))
        (staging / "dataset.json").write_text(
            json.dumps(description, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        for split, sentences in splits.items():
            write_split(staging / f"{split}.jsonl.gz", sentences)
        staging.chmod(0o755)  # mkdtemp's 0o700 would hide a shared data home from others
        replace_directory(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def foreign_files(directory: Path) -> list[str]:
    """The entries of a dataset folder that are not a dataset's (dataset.json, the splits)."""
    if not directory.is_dir():
        return []
    ours = {"dataset.json", *(f"{split}.jsonl.gz" for split in SPLITS)}
    return sorted(entry.name for entry in directory.iterdir() if entry.name not in ours)


def replace_directory(new: Path, directory: Path) -> None:
    """Rename `new` to `directory`, moving an existing `directory` aside first (a rename
    cannot replace a non-empty folder) and deleting it only once the new one is in place."""
    if not directory.exists():
        new.rename(directory)
        return
    previous = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old.", dir=directory.parent))
    directory.rename(previous / directory.name)
    try:
        new.rename(directory)
    except OSError:
        (previous / directory.name).rename(directory)
        raise
    finally:
        if directory.exists():
            shutil.rmtree(previous, ignore_errors=True)


def write_split(path: Path, sentences: Iterable[Sentence]) -> None:
    payload = "".join(s.to_json() + "\n" for s in sentences).encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    path.write_bytes(buffer.getvalue())


def read_bytes(path: Path) -> bytes:
    """A file's bytes, decompressed if it is a .gz; a corrupt archive is a DataError."""
    data = path.read_bytes()
    if path.suffix != ".gz":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path}: not a readable gzip file ({err})") from err


# A \u escape of a surrogate: JSON allows a lone one, which is no text (no UTF-8 file holds it).
LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def encodable(record: object) -> bool:
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_jsonl(path: Path) -> list[Sentence]:
    """Sentence records from a .jsonl or .jsonl.gz file, each one validated."""
    sentences = []
    for number, line in enumerate(decode_utf8(read_bytes(path), path).split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{where}: not valid JSON ({err.msg})") from err
        except RecursionError:
            raise DataError(f"{where}: JSON nested too deeply") from None
        except ValueError as err:  # an integer past Python's digit limit
            raise DataError(f"{where}: {err}") from None
        if LONE_SURROGATE_ESCAPE.search(line) and not encodable(record):
            raise DataError(
                f"{where}: a string holds a lone surrogate escape (\\ud800-\\udfff without its "
                "pair), which is no character"
            )
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
        description.pop("overlap", None)  # derived from the splits, not part of the spec
        description["dropped_types"] = tuple(description.get("dropped_types", ()))
        return DatasetSpec(**description), conversion
    except (OSError, json.JSONDecodeError, TypeError, ValueError) as err:
        raise DataError(f"{path}: not a sciner dataset description ({err})") from err


def locate(name_or_path: str) -> Path | None:
    """The directory of a dataset: the package's copy, then the data home, then a path."""
    candidates = [PACKAGE_DIR / name_or_path, data_home() / name_or_path, Path(name_or_path)]
    return next((c for c in candidates if (c / "dataset.json").is_file()), None)
