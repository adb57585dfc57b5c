"""`--resume`: the newest checkpoint Trainer finished saving.

Trainer would take the newest checkpoint folder, complete or not, and fail on one a kill left
half-written.
"""

from __future__ import annotations

import json
from pathlib import Path

from accelerate.utils.constants import FSDP_MODEL_NAME
from transformers.trainer import TRAINER_STATE_NAME
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
from transformers.utils import (
    ADAPTER_SAFE_WEIGHTS_NAME,
    ADAPTER_WEIGHTS_NAME,
    SAFE_WEIGHTS_INDEX_NAME,
    SAFE_WEIGHTS_NAME,
    WEIGHTS_INDEX_NAME,
    WEIGHTS_NAME,
)

# The files Trainer resumes a model or an adapter from (Trainer._load_from_checkpoint).
WEIGHTS_FILES = (
    ADAPTER_SAFE_WEIGHTS_NAME,
    ADAPTER_WEIGHTS_NAME,
    SAFE_WEIGHTS_NAME,
    SAFE_WEIGHTS_INDEX_NAME,
    WEIGHTS_NAME,
    WEIGHTS_INDEX_NAME,
)


def is_complete(checkpoint: Path) -> bool:
    """Trainer saves a checkpoint's weights first and its trainer_state.json last: a kill during
    the save leaves the state missing or cut short (or the folder empty)."""
    try:
        json.loads((checkpoint / TRAINER_STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    # A sharded FSDP checkpoint (recipes/accelerate/fsdp_lora.yaml) is a folder of shards.
    sharded = any(checkpoint.glob(f"{FSDP_MODEL_NAME}_*"))
    return sharded or any((checkpoint / name).is_file() for name in WEIGHTS_FILES)


def checkpoints_newest_first(output_dir: str) -> list[Path]:
    prefix = f"{PREFIX_CHECKPOINT_DIR}-"
    found = [
        path
        for path in Path(output_dir).glob(f"{prefix}*")
        if path.is_dir() and path.name.removeprefix(prefix).isdigit()
    ]
    return sorted(found, key=lambda path: int(path.name.removeprefix(prefix)), reverse=True)


def resume_checkpoint(output_dir: str) -> str:
    """The newest complete checkpoint, or one `error:` line when there is none."""
    for checkpoint in checkpoints_newest_first(output_dir):
        if is_complete(checkpoint):
            print(f"note: resuming from {checkpoint.name}")
            return str(checkpoint)
        print(f"note: skipping incomplete {checkpoint.name} (its save did not finish)")
    raise SystemExit(
        f"error: --resume true but {output_dir} has no complete checkpoint to resume from; "
        "drop --resume to train from the start"
    )
