"""sciner datasets: one record schema, converters for the upstream releases, shipped splits.

from sciner_tasks.data import load_split, DATASETS
sentences = load_split("scierc", "test")   # list[Sentence], offline
"""

from .loading import DatasetUnavailable, load_spec, load_split
from .registry import DATASETS, SPLITS, DatasetSpec
from .schema import DataError, Entity, Sentence, features

__all__ = [
    "DATASETS",
    "SPLITS",
    "DataError",
    "DatasetUnavailable",
    "DatasetSpec",
    "Entity",
    "Sentence",
    "features",
    "load_spec",
    "load_split",
]
