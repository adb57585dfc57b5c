"""The span classifier (PURE's entity model): encoder + width embedding + two-layer MLP, the
collator that flattens a batch's candidate spans, and saving / loading the trained model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from .features import Features

WIDTH_DIM = 150  # PURE's width embedding size
HIDDEN_DIM = 150  # PURE's MLP hidden size
HEAD_DROPOUT = 0.2  # PURE's MLP dropout
HEAD_FILE = "span_head.pt"
SENTENCE_INDEX = "sentence_index"  # per span: its sentence's position in the split


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

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        starts: torch.Tensor,
        ends: torch.Tensor,
        widths: torch.Tensor,
        labels: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Logits over labels for every span of the batch (in `collate` order) and, given the
        labels, the mean cross-entropy over those spans."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.head(self.dropout(hidden), starts, ends, widths)
        if labels is None:
            return {"logits": logits}
        # Summed, then divided: a batch without a candidate span costs 0 instead of NaN.
        loss = functional.cross_entropy(logits, labels, reduction="sum") / max(1, labels.numel())
        return {"loss": loss, "logits": logits}


def dataset_items(features: Sequence[Features]) -> list[dict[str, Any]]:
    """A split as the Trainer's dataset: dicts (its length-grouping sampler reads `input_ids`)
    that carry their position, so predictions go back to their sentence in any batch order."""
    return [asdict(f) | {SENTENCE_INDEX: i} for i, f in enumerate(features)]


def collate(items: Sequence[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad subword ids and flatten the batch's spans into one index per (sentence, position),
    so the span head is a single gather over the flattened hidden states."""
    length = max(len(item["input_ids"]) for item in items)
    input_ids = torch.full((len(items), length), pad_id, dtype=torch.long)
    attention = torch.zeros((len(items), length), dtype=torch.long)
    starts, ends, widths, labels, sentences = [], [], [], [], []
    for b, item in enumerate(items):
        input_ids[b, : len(item["input_ids"])] = torch.tensor(item["input_ids"])
        attention[b, : len(item["input_ids"])] = 1
        starts += [b * length + s for s in item["starts"]]
        ends += [b * length + e for e in item["ends"]]
        widths += [j - i for i, j in item["spans"]]
        labels += item["labels"]
        sentences += [item[SENTENCE_INDEX]] * len(item["spans"])
    return {
        "input_ids": input_ids,
        "attention_mask": attention,
        "starts": torch.tensor(starts, dtype=torch.long),
        "ends": torch.tensor(ends, dtype=torch.long),
        "widths": torch.tensor(widths, dtype=torch.long),
        "labels": torch.tensor(labels, dtype=torch.long),
        SENTENCE_INDEX: torch.tensor(sentences, dtype=torch.long),
    }


def save_span_model(model: SpanModel, tokenizer: Any, directory: Path, max_length: int) -> None:
    """The encoder and tokenizer (`save_pretrained`) and `span_head.pt`: the head's weights
    with everything needed to rebuild it."""
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
