"""The `sciner` block of an adapter's model card: the dataset, prompt format and in-domain
lm-eval tasks it was trained for. `training.card` writes it; the leaderboard reads it here,
without huggingface_hub (a card's metadata is the YAML between its first two `---` lines)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

SCINER_KEY = "sciner"  # the metadata key of the block: {dataset, format, tasks}
# The YAML front matter of a card, as huggingface_hub's repocard finds it.
FRONT_MATTER = re.compile(r"^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))")


def card_training(folder: str | Path) -> dict[str, Any]:
    """The `sciner` metadata of the model card in an adapter folder: {} when there is no card,
    the card cannot be read, or it has no such block (an adapter sciner did not train)."""
    readme = Path(folder) / "README.md"
    try:
        match = FRONT_MATTER.match(readme.read_text(encoding="utf-8"))
        metadata = yaml.safe_load(match.group(2)) if match else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return {}
    block = metadata.get(SCINER_KEY) if isinstance(metadata, dict) else None
    return block if isinstance(block, dict) else {}
