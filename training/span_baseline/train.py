"""Training with `transformers.Trainer`: length-grouped batches, linear warm-up and decay,
seeding, evaluation on dev every epoch and the best epoch kept are the Trainer's; what is ours
is the optimizer's two learning rates and the scoring of predictions per sentence."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModel, AutoTokenizer, EvalPrediction, Trainer, set_seed

from sciner_tasks.data import Sentence, load_spec, load_split
from sciner_tasks.data.schema import first_line

from .arguments import SpanBaselineArguments
from .evaluation import Evaluation, decode, score_predictions
from .features import NO_ENTITY, Coverage, Features, featurize_all
from .model import SENTENCE_INDEX, SpanModel, collate, dataset_items, save_span_model
from .results import coverage_record, open_tracker, write_results

log = logging.getLogger("span_baseline")


@dataclass(frozen=True)
class Split:
    sentences: list[Sentence]
    features: list[Features]
    coverage: Coverage


def log_coverage(split: str, coverage: Coverage) -> None:
    log.info(
        "%s: %d sentences (%d truncated at max length), %d candidate spans (%.1f / sentence), "
        "%d gold entities, unreachable %d (%.2f%%): beyond width %d, truncated %d, "
        "no subword %d, unaligned %d, label collision %d",
        split,
        coverage.sentences,
        coverage.truncated_sentences,
        coverage.spans,
        coverage.spans / max(1, coverage.sentences),
        coverage.gold,
        coverage.unreachable,
        100 * coverage.unreachable / max(1, coverage.gold),
        coverage.beyond_width,
        coverage.truncated,
        coverage.no_subword,
        coverage.unaligned,
        coverage.label_collision,
    )


def load_splits(
    args: SpanBaselineArguments, tokenizer: Any, label_ids: dict[str, int]
) -> dict[str, Split]:
    """Load and tokenise every split once; training and evaluation index into these."""
    limits = {"train": args.limit_train, "dev": args.limit_eval, "test": args.limit_eval}
    splits = {}
    for name, limit in limits.items():
        sentences = load_split(args.dataset, name)[:limit]
        features, coverage = featurize_all(
            sentences, tokenizer, label_ids, args.max_length, args.max_span_width
        )
        log_coverage(name, coverage)
        splits[name] = Split(sentences, features, coverage)
    return splits


def load_tokenizer(encoder: str) -> Any:
    try:
        tokenizer = AutoTokenizer.from_pretrained(encoder)
    except (OSError, ValueError) as err:  # a folder without a (fast) tokenizer
        reason = first_line(err)
        raise SystemExit(f"error: {encoder}: no encoder tokenizer here ({reason})") from None
    if not tokenizer.is_fast:
        raise SystemExit(f"error: {encoder}: a fast tokenizer (offset mappings) is needed")
    return tokenizer


class SpanTrainer(Trainer):
    """A Trainer whose batches also carry each span's sentence index, as a label so that
    evaluation hands it back with the predictions; the model never sees it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_names = ["labels", SENTENCE_INDEX]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        model_inputs = {k: v for k, v in inputs.items() if k != SENTENCE_INDEX}
        return super().compute_loss(model, model_inputs, return_outputs, num_items_in_batch)


def span_optimizer(model: SpanModel, args: SpanBaselineArguments) -> torch.optim.Optimizer:
    """The Trainer's AdamW, with the encoder at --learning_rate and the randomly initialised
    head at --head_lr; the Trainer's scheduler scales both groups alike."""
    return torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": args.learning_rate},
            {"params": model.head.parameters(), "lr": args.head_lr},
        ],
        betas=(args.adam_beta1, args.adam_beta2),
        eps=args.adam_epsilon,
        weight_decay=args.weight_decay,
    )


def predicted_labels(logits: torch.Tensor, labels: Any) -> torch.Tensor:
    """Only the argmax is kept across evaluation batches (`labels`: the Trainer's signature)."""
    return logits.argmax(-1)


def score(
    prediction: EvalPrediction,
    split: Split,
    labels: list[str],
    with_stderr: bool,
    train: Sequence[Sentence] = (),
) -> Evaluation:
    _, sentence_index = prediction.label_ids
    chosen = decode(
        prediction.predictions.tolist(), sentence_index.tolist(), split.features, labels
    )
    return score_predictions(split.sentences, chosen, with_stderr, train)


def dev_metrics(prediction: EvalPrediction, split: Split, labels: list[str]) -> dict[str, float]:
    """Trainer's compute_metrics on dev; `f1` picks the epoch kept."""
    evaluation = score(prediction, split, labels, with_stderr=False)
    return {
        "f1": evaluation.score.f1,
        "precision": evaluation.score.precision,
        "recall": evaluation.score.recall,
        "normalised_f1": evaluation.score.normalised_f1,
        "span_f1": evaluation.span.f1,
    }


def selected_epoch(trainer: Trainer) -> float | None:
    """The epoch of the checkpoint load_best_model_at_end loaded (None: no evaluation ran)."""
    best = trainer.state.best_global_step
    evaluations = (e for e in trainer.state.log_history if "eval_f1" in e)
    return next((e["epoch"] for e in evaluations if e["step"] == best), None)


def log_test(test: Evaluation) -> None:
    score = test.score
    log.info(
        "test: strict F1 %.4f (P %.4f R %.4f, stderr %.4f), normalised F1 %.4f, span F1 %.4f",
        score.f1,
        score.precision,
        score.recall,
        test.f1_stderr,
        score.normalised_f1,
        test.span.f1,
    )
    for label, counts in score.per_type.items():
        log.info(
            "  %-22s F1 %.4f  P %.4f  R %.4f  (tp %d fp %d fn %d)",
            label,
            counts.f1,
            counts.precision,
            counts.recall,
            counts.tp,
            counts.fp,
            counts.fn,
        )


def train(args: SpanBaselineArguments) -> Path:
    """Train, keep the best dev epoch, score it on test, save; the results file's path."""
    tracker = open_tracker(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    labels = [NO_ENTITY, *load_spec(args.dataset).types]
    tokenizer = load_tokenizer(args.encoder)
    splits = load_splits(args, tokenizer, {t: k for k, t in enumerate(labels)})

    set_seed(args.seed)  # before the head's random initial weights
    model = SpanModel(AutoModel.from_pretrained(args.encoder), labels, args.max_span_width)
    trainer = SpanTrainer(
        model=model,
        args=args,
        data_collator=partial(collate, pad_id=tokenizer.pad_token_id or 0),
        train_dataset=dataset_items(splits["train"].features),
        eval_dataset=dataset_items(splits["dev"].features),
        processing_class=tokenizer,
        compute_metrics=partial(dev_metrics, split=splits["dev"], labels=labels),
        preprocess_logits_for_metrics=predicted_labels,
        optimizers=(span_optimizer(model, args), None),
    )
    log.info("labels %s; encoder lr %g, head lr %g", labels[1:], args.learning_rate, args.head_lr)
    trainer.train()
    epoch = selected_epoch(trainer)
    log.info("selected epoch %s (dev strict F1 %s)", epoch, trainer.state.best_metric)

    trainer.compute_metrics = None  # test is scored here, with its samples and the bootstrap
    prediction = trainer.predict(dataset_items(splits["test"].features))
    test = score(prediction, splits["test"], labels, True, splits["train"].sentences)
    log_test(test)

    save_span_model(model, tokenizer, Path(args.output_dir) / "model", args.max_length)
    extra = {
        "selected_epoch": epoch,
        "best_dev_f1": trainer.state.best_metric,
        "test": test.score.to_dict() | {"span": test.span.to_dict()},
        "per_type_f1": {t: c.f1 for t, c in test.score.per_type.items()},
        "coverage": coverage_record({name: split.coverage for name, split in splits.items()}),
        "log_history": trainer.state.log_history,
    }
    path = write_results(
        tracker, args, test, extra, n_original=len(load_split(args.dataset, "test"))
    )
    log.info("wrote %s and the model to %s", path, Path(args.output_dir) / "model")
    return path
