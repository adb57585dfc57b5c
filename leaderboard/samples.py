"""Logged samples: each line read as the scorer's item (`sample_item`), a file re-scored
exactly as the lm-eval metrics score it (`score_samples`), and a run given its samples."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from sciner_tasks.scoring import (
    classify_predictions,
    group_by_sentence,
    sum_errors,
    tally,
)

from .problems import PartProblems, Problems
from .readers import parse_json, read_lines

# lm-eval writes "N/A" for a standard error it has none of: not a sign of a partial file.
# Every run has these (f1_stderr may be "N/A"; the f1_unseen pair is new in task version 2.2).
from .runs import Run, SampleScore, samples_path


def sample_item(record: Any) -> dict[str, Any]:
    """The scorer's view of one samples line; ValueError says what is wrong with it.

    lm-eval logs our item under each metric's name (we read "f1"); the span baseline writes the
    item itself."""
    item = record.get("f1") if isinstance(record, dict) and "sentence_id" not in record else record
    if not isinstance(item, dict):
        raise ValueError(
            "not a sample record (no item with sentence_id, text, entities, predictions)"
        )
    missing = [k for k in ("sentence_id", "text", "entities", "predictions") if k not in item]
    if missing:
        raise ValueError(f"sample item lacks {', '.join(missing)}")
    entities, predictions = item["entities"], item["predictions"]
    if not isinstance(item["text"], str):
        raise ValueError("sample item's text is not a string")
    if not isinstance(entities, list) or not all(is_entity(e) for e in entities):
        raise ValueError("sample item's entities are not {start, end, type, text} records")
    if not isinstance(predictions, list) or not all(is_pair(p) for p in predictions):
        raise ValueError("sample item's predictions are not [type, text] pairs")
    asked = item.get("query_types")
    if asked is not None and not (
        isinstance(asked, list) and all(isinstance(t, str) for t in asked)
    ):
        raise ValueError("sample item's query_types is not a list of type names")
    scored = {} if asked is None else {"query_types": asked}
    return {
        "sentence_id": str(item["sentence_id"]),
        "text": item["text"],
        "entities": entities,
        "predictions": [tuple(p) for p in predictions],
        "failed": bool(item.get("failed", False)),
        # Task version 2.2 on: whether the sentence's text is in the train split.
        "seen_in_train": item.get("seen_in_train"),
        # Task version 2.3 on: the types its query asked (scoring.group_by_sentence).
        **scored,
    }


def is_entity(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and all(isinstance(value.get(k), int) for k in ("start", "end"))
        and all(isinstance(value.get(k), str) for k in ("type", "text"))
    )


def is_pair(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
    )


def read_samples(path: Path, problems: Problems) -> list[dict[str, Any]]:
    """The valid items of a samples file; each bad line is reported (capped) and skipped."""
    lines = read_lines(path, problems)
    items = []
    with PartProblems(problems, path, "invalid lines") as line_problems:
        for number_, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                items.append(sample_item(parse_json(line)))
            except json.JSONDecodeError as error:
                line_problems.add(f"invalid JSON ({error.msg}); line skipped", line=number_)
            except ValueError as error:
                line_problems.add(f"{error}; line skipped", line=number_)
    return items


def score_samples(path: Path, items: list[dict[str, Any]]) -> SampleScore:
    # Per-query items regrouped by sentence, exactly as the lm-eval metrics do.
    sentences = group_by_sentence(items)
    counts = tally(sentences)
    # Classified once: the error-class table sums these, the error pages mark them.
    classified = tuple(classify_predictions(*sentence) for sentence in sentences)
    return SampleScore(
        path,
        counts.score(sum_errors(classified)),
        # group_by_sentence keeps sentences in the order their ids first occur, as dict keys do
        ids=tuple(dict.fromkeys(item["sentence_id"] for item in items)),
        logged=tuple(sentences),
        classified=classified,
        strict=counts.strict,
        failed_by_sentence=Counter(item["sentence_id"] for item in items if item["failed"]),
        generations=len(items),
        seen_in_train=None
        if any(not isinstance(item["seen_in_train"], bool) for item in items)
        else frozenset(item["sentence_id"] for item in items if item["seen_in_train"]),
    )


def with_samples(run: Run, problems: Problems) -> Run:
    """The run with its logged samples scored; a re-scored F1 that disagrees with the results
    file (samples of another run, edited files) is reported."""
    path = samples_path(run)
    before = len(problems)
    items = read_samples(path, problems)
    if not items:
        problems.add(path, "no usable sample lines; no breakdown for this run")
        return run
    scored = score_samples(path, items)
    reported = run.metrics["f1"]
    complete = len(problems) == before
    if complete and reported is not None and abs(scored.score.f1 - reported) > 1e-9:
        problems.add(
            path,
            f"re-scored F1 {scored.score.f1:.4f} differs from F1 {reported:.4f} "
            f"in {run.results_path}",
            skipped=False,
        )
    return replace(run, samples=scored)
