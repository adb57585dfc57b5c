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


# ------------------------------------------------------------------ whose checkpoints these are

# Written into --output_dir when a run starts; `--resume` continues only the run it describes.
RUN_RECORD = "sciner_run.json"
# The training arguments that change what an adapter learns (beside the base, the data and
# the LoRA): a checkpoint of a run that differed in any of them is another run's.
TRAINING_SETTINGS = (
    "learning_rate",
    "num_train_epochs",
    "max_steps",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "lr_scheduler_type",
    "warmup_ratio",
    "warmup_steps",
    "weight_decay",
    "seed",
    "max_length",
)
LORA_SETTINGS = ("lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "use_peft")


def run_record(base, dataset: str, script_args, training_args, model_args) -> dict:
    """What defines a training run (`base` a base_model.Base): a resumed checkpoint must come
    from the same."""
    record = {"base": base.path, "base_adapter": base.adapter, "format": base.format_name}
    record["dataset"] = dataset
    record["max_train_examples"] = script_args.max_train_examples
    record |= {name: getattr(training_args, name, None) for name in TRAINING_SETTINGS}
    record |= {name: getattr(model_args, name, None) for name in LORA_SETTINGS}
    return json.loads(json.dumps(record, default=str))  # as it reads back from the file


def check_same_run(output_dir: str, record: dict) -> None:
    """One `error:` line unless `output_dir`'s checkpoints were written by this run."""
    path = Path(output_dir) / RUN_RECORD
    try:
        written = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SystemExit(
            f"error: --resume true but {path} is missing or unreadable: nothing says which run "
            "wrote the checkpoints in it; drop --resume, or choose another --output_dir"
        ) from None
    differing = [
        f"{key} {written.get(key)!r} -> {value!r}"
        for key, value in record.items()
        if written.get(key) != value
    ]
    if differing:
        raise SystemExit(
            f"error: --resume true but the checkpoints in {output_dir} are another run's "
            f"({'; '.join(differing)}); drop --resume, or choose another --output_dir"
        )


def write_run_record(output_dir: str, record: dict) -> None:
    """The record of this run, before training: a folder that cannot take it (under a file,
    not writable) ends in one `error:` line before any step is paid for."""
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    try:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        (Path(output_dir) / RUN_RECORD).write_text(text, encoding="utf-8")
    except OSError as err:
        raise SystemExit(
            f"error: cannot write to --output_dir {output_dir}: {err.strerror or err}"
        ) from None
