"""The lm-eval side of sciner: documents, prompts, per-document results and corpus metrics.

Every generated task YAML (sciner_tasks/tasks/) points at these functions through the
task folder's `utils.py`. One lm-eval document is one generation request (a `Query`): the
general and YAYI formats ask once per sentence, UniNER once per (sentence, type) and IEPile
once per chunk of types. Documents carry their sentence's id and gold entities, and the
aggregations regroup the requests by sentence before scoring, so every metric is the exact
corpus micro score over sentences whatever the format.

Tasks of a format whose family has its own scorer (UniNER, IEPile) also report
`upstream_f1`: that scorer's figure, from each generation read the family's way
(`PromptFormat.upstream`); the logged samples carry its gold and predictions, and
`upstream_counts` turns them into P/R/F1.
"""

from __future__ import annotations

import difflib
import functools
import operator
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .data import DatasetSpec, DatasetUnavailable, load_spec
from .formats import PromptFormat, Query, get_format
from .names import METRICS, UPSTREAM_METRICS
from .prompting import DEFAULT_SAMPLER, DEFAULT_SEED, SAMPLERS, build_docs
from .scoring import (
    Counts,
    SentencePredictions,
    Tally,
    bootstrap_f1_stderr,
    count_matches,
    group_by_sentence,
    tally,
)


class MetadataError(ValueError):
    """A --metadata key or value sciner cannot use; the message names the key."""


# What sciner reads from --metadata, and what each key accepts.
METADATA_KEYS = {"sampler": "|".join(SAMPLERS), "seed": "integer"}
METADATA_HELP = "sciner reads: " + ", ".join(f"{k} ({v})" for k, v in METADATA_KEYS.items())
# How close (difflib ratio) an unknown key must be to a sciner key to count as a misspelling;
# no constructor argument of lm-eval's model backends comes this close.
MISSPELLING_CUTOFF = 0.75


def nearest_metadata_key(key: str) -> str | None:
    """The sciner key that `key` looks like a misspelling of, if any."""
    matches = difflib.get_close_matches(key.lower(), METADATA_KEYS, n=1, cutoff=MISSPELLING_CUTOFF)
    return matches[0] if matches else None


def check_unknown_keys(keys: Iterable[str]) -> None:
    """Refuse the keys that look meant for sciner: those in its `sciner` namespace and near
    misses of its keys. The rest pass, since lm-eval merges --metadata with the model
    arguments and its own keys before sciner sees them."""
    for key in keys:
        nearest = nearest_metadata_key(key)
        if nearest or key.lower().startswith("sciner"):
            hint = f" did you mean {nearest!r}?" if nearest else ""
            raise MetadataError(f"unknown --metadata key {key!r};{hint} {METADATA_HELP}")


def metadata_sampler(value: Any) -> str:
    if value not in SAMPLERS:
        raise MetadataError(
            f"--metadata sampler must be one of {METADATA_KEYS['sampler']}, got {value!r}"
        )
    return value


def metadata_seed(value: Any) -> int:
    """The seed as an int. A string of digits is read as its number, and an integral float
    too: lm-eval's key=value syntax turns `seed=-1` into -1.0. Booleans and fractions are
    refused rather than silently truncated."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise MetadataError(f"--metadata seed must be an integer, got {value!r}")


def load_docs(
    sciner_dataset: str,
    sciner_format: str,
    sciner_regime: str,
    sampler: str = DEFAULT_SAMPLER,
    seed: int = DEFAULT_SEED,
    **others: Any,
):
    """`custom_dataset` of every sciner task; `--metadata '{"sampler": "knn"}'` switches the
    1-shot demonstration sampler and `seed` reseeds the random one.

    lm-eval calls it with one merged set of keyword arguments: the task's dataset_kwargs
    (sciner_dataset, sciner_format, sciner_regime) and its `metadata:` (version), the model
    arguments, --metadata (which overrides model arguments and the task's metadata), and
    lm-eval's `config_source`. Nothing tells --metadata keys from model arguments, so the
    rule is: `sampler` and `seed` are validated; any other key starting with `sciner` or
    close to a sciner key (a misspelling such as `sampeler`) is refused with a MetadataError;
    every other key (model arguments, lm-eval's) passes untouched. --metadata cannot set the
    dataset_kwargs: lm-eval raises a TypeError (multiple values for keyword argument) while
    building this call, before sciner runs."""
    import datasets

    check_unknown_keys(others)
    try:
        docs = build_docs(
            sciner_dataset,
            sciner_format,
            sciner_regime,
            metadata_sampler(sampler),
            metadata_seed(seed),
        )
    except DatasetUnavailable as error:
        # One `error:` line, not lm-eval's traceback: the user has nothing to debug, only
        # data to get (the message says how).
        raise SystemExit(f"error: {error}") from None
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


@functools.cache
def dataset_spec(dataset: str) -> DatasetSpec:
    return load_spec(dataset)


@functools.cache
def family_types(dataset: str, family: str) -> dict[str, str]:
    """`DatasetSpec.types_for`, once per (dataset, family): process_results runs per document."""
    return dataset_spec(dataset).types_for(family)


def metrics_of(prompt_format: PromptFormat) -> tuple[str, ...]:
    """The metric names of a format's tasks: METRICS, and UPSTREAM_METRICS where the family
    has a scorer of its own."""
    return METRICS + (UPSTREAM_METRICS if prompt_format.has_upstream_scorer else ())


def upstream_item(
    prompt_format: PromptFormat, spec: DatasetSpec, output: str, query: Query, doc: dict
) -> dict[str, Any] | None:
    """The generation as the family's scorer reads it, or None where that scorer never asks
    the generation's types (`DatasetSpec.upstream_unasked`; only UniNER's one-type queries
    have such types)."""
    unasked = spec.upstream_unasked.get(prompt_format.family, ())
    if set(query.types) <= set(unasked):
        return None
    gold = [(e["type"], e["text"]) for e in doc["entities"]]
    read = prompt_format.upstream(
        output, query, gold, family_types(doc["dataset"], prompt_format.family)
    )
    return {
        "instance": prompt_format.upstream_instance(doc["sentence_id"], doc["text"]),
        "gold": [list(p) for p in read.gold],
        "predictions": [[loggable(t), loggable(s)] for t, s in read.predictions],
        "failed": read.failed,
    }


def loggable(text: str) -> str:
    """`text` with each lone surrogate (a JSON answer may escape one, and the family's
    json.loads keeps it) as its escape, `\\udXXX`: lm-eval cannot write it to the UTF-8
    samples file and would lose every sample of the task. Distinct strings stay distinct,
    so the family's counts do not change."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def process_results(doc: dict[str, Any], results: Sequence[str]) -> dict[str, Any]:
    """Parse one generation with the document's format; every metric gets the same item
    (the aggregations regroup items by sentence)."""
    query = Query(doc["prompt"], tuple(doc["query_types"]))
    prompt_format = get_format(doc["format"])
    spec = dataset_spec(doc["dataset"])
    parsed = prompt_format.parse(
        results[0], query, family_types(doc["dataset"], prompt_format.family)
    )
    asked = [e for e in doc["entities"] if e["type"] in query.types]
    per_type = tally([SentencePredictions(asked, parsed.entities)]).per_type
    item = {
        "sentence_id": doc["sentence_id"],
        "text": doc["text"],
        "entities": doc["entities"],
        "query_types": list(query.types),  # what this query asked (scoring.group_by_sentence)
        "predictions": [list(p) for p in parsed.entities],
        "failed": parsed.failed,
        "seen_in_train": doc.get("seen_in_train", False),
        # Strict counts of this generation per type it asked about (or predicted), so the
        # logged samples show per-type figures without re-scoring.
        "per_type": {t: [c.tp, c.fp, c.fn] for t, c in sorted(per_type.items())},
    }
    if prompt_format.has_upstream_scorer:
        item["upstream"] = upstream_item(prompt_format, spec, results[0], query, doc)
    return dict.fromkeys(metrics_of(prompt_format), item)


# lm-eval calls each metric's aggregation with its own list of the same item objects
# (process_results gives every metric one item). The last list's tally is kept, so a task's
# sentences are scored once per aggregation pass, not once per metric.
_last_tally: tuple[list[Any], Tally] | None = None


def tally_items(items: Sequence[dict[str, Any]]) -> Tally:
    """The tally of process_results items, regrouped by sentence (scored once per pass)."""
    global _last_tally
    if _last_tally is not None:
        last_items, last = _last_tally
        if len(last_items) == len(items) and all(map(operator.is_, last_items, items)):
            return last
    items = list(items)
    _last_tally = items, tally(group_by_sentence(items))
    return _last_tally[1]


def f1(items) -> float:
    return tally_items(items).strict_counts.f1


def precision(items) -> float:
    return tally_items(items).strict_counts.precision


def recall(items) -> float:
    return tally_items(items).strict_counts.recall


def normalised_f1(items) -> float:
    return tally_items(items).normalised_counts.f1


def hallucination_rate(items) -> float:
    return tally_items(items).hallucination_rate


def upstream_counts(items: Iterable[dict[str, Any]]) -> Counts:
    """The family scorer's corpus counts: per instance (`PromptFormat.upstream_instance`: a
    sentence, or for IEPile a text), the gold of its first sentence and the predictions of all
    its generations (IEPile merges a sentence's chunks, and the copies of a repeated text),
    matched with `count_matches` (gold pairs are unique; UniNER's predictions are too, so this
    is its set matching). Generations the family never asks (item "upstream" None) are left
    out. Items come in document order, as lm-eval hands them to an aggregation."""
    instances: dict[str, tuple[str, list, list]] = {}
    for item in items:
        read = item.get("upstream")
        if read is None:
            continue
        first, gold, predictions = instances.setdefault(
            read["instance"], (item["sentence_id"], [], [])
        )
        if item["sentence_id"] == first:
            gold += [tuple(p) for p in read["gold"]]
        predictions += [tuple(p) for p in read["predictions"]]
    return sum(
        (count_matches(gold, predictions) for _, gold, predictions in instances.values()),
        Counts(),
    )


def upstream_f1(items) -> float:
    return upstream_counts(items).f1


def parse_failure_rate(items) -> float:
    items = list(items)
    return sum(bool(i["failed"]) for i in items) / len(items) if items else 0.0


def unseen_counts(items) -> np.ndarray:
    """The strict counts (tally_items(items).strict rows) of the sentences whose text is not
    in the train split, in the same order (an item that does not say counts as unseen)."""
    seen = {}
    for item in items:
        seen.setdefault(item["sentence_id"], item.get("seen_in_train", False))
    return tally_items(items).strict[~np.fromiter(seen.values(), bool, len(seen))]


def f1_unseen(items) -> float:
    """Strict micro-F1 over the sentences whose text is not in the train split (a fine-tuned
    model saw the others with their answers); f1 where no test text is in train."""
    tp, fp, fn = unseen_counts(items).sum(axis=0)
    return Counts(int(tp), int(fp), int(fn)).f1


def f1_unseen_stderr(items) -> float:
    """Bootstrap standard error of f1_unseen, resampling its sentences (as f1_stderr)."""
    return bootstrap_f1_stderr(unseen_counts(items))


def f1_stderr(items) -> float:
    """Bootstrap standard error of corpus micro-F1, resampling sentences (not queries).

    lm-eval only bootstraps its own aggregation functions, and resampling its documents
    would resample UniNER's per-type queries; reported as metric `f1_stderr`, which also
    fills lm-eval's `f1_stderr` column (see names.METRICS for why the order matters)."""
    return bootstrap_f1_stderr(tally_items(items).strict)


# Metric name (names.METRICS, in its order) -> lm-eval aggregation function.
AGGREGATIONS = dict(
    zip(
        METRICS,
        (
            f1,
            f1_stderr,
            precision,
            recall,
            normalised_f1,
            hallucination_rate,
            parse_failure_rate,
            f1_unseen,
            f1_unseen_stderr,
        ),
        strict=True,
    )
)
UPSTREAM_AGGREGATIONS = dict(zip(UPSTREAM_METRICS, (upstream_f1,), strict=True))
