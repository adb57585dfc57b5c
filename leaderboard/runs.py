"""Run records: one model evaluated on one task (`Run`), its re-scored samples
(`SampleScore`), a build's collection, and which runs are the same run (`newest_runs`) or
only share a name (`distinct_labels`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sciner_tasks.scoring import (
    Classification,
    CorpusScore,
    SentencePredictions,
)

from .problems import Problem, Problems
from .readers import RESULTS_PREFIX, SAMPLES_PREFIX

# lm-eval writes "N/A" for a standard error it has none of: not a sign of a partial file.
# Every run has these (f1_stderr may be "N/A"; the f1_unseen pair is new in task version 2.2).


@dataclass(frozen=True, eq=False)  # eq=False: an array field has no single truth value
class SampleScore:
    """A run's logged samples re-scored with sciner_tasks.scoring (per type, error classes),
    with the sentences they were scored on: the paired tests and the error pages read them."""

    path: Path
    score: CorpusScore
    ids: tuple[str, ...]  # sentence ids, in the order they first occur in the file
    logged: tuple[SentencePredictions, ...]  # the sentences of `ids`, each query's together
    classified: tuple[Classification, ...]  # each sentence's error classes (score.errors' sum)
    strict: np.ndarray  # (sentences, 3): strict tp, fp, fn of each sentence
    failed_by_sentence: Mapping[str, int]  # sentence id -> its generations that failed to parse
    generations: int
    # Ids of the sentences whose text is in the train split; None where the samples do not say
    # (runs before task version 2.2).
    seen_in_train: frozenset[str] | None = None

    @property
    def sentences(self) -> int:
        return len(self.ids)

    @property
    def failed(self) -> int:
        return sum(self.failed_by_sentence.values())


@dataclass(frozen=True)
class Run:
    """One model evaluated on one task."""

    model: str  # row label (models.Identity.label)
    study_model: str | None  # the study's row it compares with
    family: str
    task: str
    dataset: str
    setting: str  # 0shot, 1shot, sft (a fine-tuned model, 0-shot prompt) or sft_1shot
    format_name: str  # sciner_tasks.formats name, or "span" for the span baseline
    trained_on: str | None  # dataset a fine-tuned model was trained on, where known
    source: str  # what was loaded: Hub id or folder
    adapter: str | None
    metrics: Mapping[str, float | None]  # METRICS as lm-eval writes them (fractions)
    n_samples: int | None  # documents evaluated (lm-eval's "effective" count)
    n_original: int | None  # documents of the whole test split (lm-eval's "original")
    date: float
    results_path: Path
    samples: SampleScore | None = None
    revision: str | None = None  # model_args revision=, where not the default branch

    @property
    def subset(self) -> bool:
        """Whether only part of the test split was evaluated (lm-eval --limit)."""
        return None not in (self.n_samples, self.n_original) and self.n_samples < self.n_original

    @property
    def loaded(self) -> tuple[str, str | None, str | None]:
        """What was evaluated: weights, adapter, revision, exactly as given."""
        return (self.source, self.adapter, self.revision)

    @property
    def key(self) -> tuple:
        """The same run: the same weights, adapter and revision, task and setting (the label
        carries sampler, seed and decoding overrides). Of such runs only the newest stays."""
        return (self.model, self.setting, self.trained_on, self.task, self.loaded)


@dataclass(frozen=True)
class Collection:
    runs: list[Run]
    problems: list[Problem]
    results_files: int
    samples_files: int

    @property
    def skipped(self) -> int:
        """Input items left out: files, entries, lines (a summary problem counts its rest)."""
        return sum(p.count for p in self.problems if p.skipped)

    @property
    def warned(self) -> int:
        """Input items kept with a warning."""
        return sum(p.count for p in self.problems if not p.skipped)


def samples_path(run: Run) -> Path:
    stamp = run.results_path.stem.removeprefix(RESULTS_PREFIX)
    return run.results_path.with_name(f"{SAMPLES_PREFIX}{run.task}_{stamp}.jsonl")


def newest_runs(runs: Iterable[Run], problems: Problems) -> list[Run]:
    """One run per key: the newest by results date (ties: the later path), others reported."""
    kept: dict[tuple, Run] = {}
    for run in sorted(runs, key=lambda r: (r.date, str(r.results_path))):
        older = kept.get(run.key)
        if older is not None:
            problems.add(
                older.results_path,
                f"duplicate: {run.model} ({run.setting}) on {run.task} is also in the newer "
                f"{run.results_path}; this older run and its samples are skipped",
            )
        kept[run.key] = run
    runs = distinct_labels(list(kept.values()))
    return sorted(runs, key=lambda r: (r.model, r.task, r.setting))


def distinct_labels(runs: list[Run]) -> list[Run]:
    """Runs of different weights, adapters or revisions that would share rows (one label,
    setting and training set: two folders both named `merged`) get rows of their own: the
    label gains the shortest end of their paths that tells them apart ("merged
    [run1/merged]")."""
    groups: dict[tuple, set] = {}
    for run in runs:
        groups.setdefault((run.model, run.setting, run.trained_on), set()).add(run.loaded)
    suffixes: dict[tuple, dict] = {}
    for key, loaded_set in groups.items():
        if len(loaded_set) > 1:
            suffixes[key] = telling_apart(sorted(loaded_set, key=str))
    relabelled = []
    for run in runs:
        names = suffixes.get((run.model, run.setting, run.trained_on))
        if names:
            run = replace(run, model=f"{run.model} [{names[run.loaded]}]", study_model=None)
        relabelled.append(run)
    return relabelled


def telling_apart(loaded: list[tuple]) -> dict[tuple, str]:
    """Each (weights, adapter, revision) -> the parts that differ in the group, each as the
    fewest trailing path parts that make the names unique."""
    differing = [i for i in range(3) if len({item[i] for item in loaded}) > 1]

    def name(item: tuple, depth: int) -> str:
        weights, adapter, revision = (item[i] if i in differing else None for i in range(3))
        parts = [tail(weights, depth), tail(adapter, depth), f"@{revision}" if revision else ""]
        return " + ".join(p for p in parts[:2] if p) + (f" {parts[2]}" if parts[2] else "")

    depth, deepest = 1, max(len(str(p).split("/")) for item in loaded for p in item[:2] if p)
    while True:
        names = {item: name(item, depth).strip() for item in loaded}
        if len(set(names.values())) == len(loaded) or depth >= deepest:
            return names
        depth += 1


def tail(path: str | None, depth: int) -> str:
    return "/".join(path.rstrip("/").split("/")[-depth:]) if path else ""
