"""Which model a run evaluated, named as the study names it where the study has it.

A run names its model by what lm-eval loaded: a Hub id or a local folder (`pretrained=`), and
possibly a LoRA adapter (`peft=` for the hf backend, `lora_local_path=` for vLLM). Both are
matched against the model registry (`sciner_tasks.models.MODELS`): a Hub id matches itself, a
folder matches when its name is the Hub id's last part (how `huggingface-cli download` and our
own SmolLM2 folder name them), case-insensitively. An adapter that is a registered model (the
IEPile LoRAs) is that model; any other adapter is a fine-tune of the base (an SFT run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from sciner_tasks.models import MODELS
from sciner_tasks.names import GENERAL_FORMAT

from .reference import reported_families

# Registry short name -> the study's model name (its tables' row labels), from the registry.
# Registered models the study did not evaluate (baichuan2-13b, smollm2) keep their Hub name.
STUDY_NAMES = {name: spec.study_name for name, spec in MODELS.items() if spec.study_name}

# The study's BERT-base row is a span classifier like training.span_baseline; our baseline is
# that row only when its encoder is a BERT-base checkpoint.
BASELINE_STUDY_NAME = "BERT-base"
SPAN_FORMAT = "span"  # prompt-format slot of span-baseline runs (they have no prompt)


@dataclass(frozen=True)
class Identity:
    label: str  # row label: the study's name, or the Hub / folder name
    study_model: str | None  # the study's row this run is comparable with
    family: str
    adapter: str | None  # a fine-tuned adapter (SFT run), None for a released model


def last_part(name: str) -> str:
    return PurePosixPath(name.rstrip("/")).name or name


def registry_name(name: str) -> str | None:
    """The registry short name whose Hub id is `name`, or whose last part names its folder."""
    wanted = name.rstrip("/").lower()
    for spec in MODELS.values():
        hub = spec.hub_id.lower()
        if wanted == hub or last_part(wanted) == last_part(hub):
            return spec.name
    return None


def identify(
    pretrained: str,
    adapter: str | None,
    format_name: str,
    demonstrations: str | None = None,
    decoding: str | None = None,
) -> Identity:
    """The identity of an lm-eval run. A run is comparable with the study's row only in the
    prompt format the study used for that model (its own), with the default demonstrations and
    the tasks' own decoding; other formats, demonstrations drawn otherwise ("1-shot kNN") and
    decoding overrides (lm-eval --gen_kwargs, "decoding temperature=0.7") get a labelled row."""
    registered_adapter = registry_name(adapter) if adapter else None
    registry = registered_adapter or registry_name(pretrained)
    sft_adapter = None if registered_adapter else adapter
    if registry is None:
        label, study = last_part(pretrained), None
    else:
        label = STUDY_NAMES.get(registry) or last_part(MODELS[registry].hub_id)
        study = STUDY_NAMES.get(registry)
    native = MODELS[registry].format_name if registry else GENERAL_FORMAT
    if format_name != native:
        label, study = f"{label} [{format_name} prompt]", None
    if demonstrations:
        label, study = f"{label} [{demonstrations}]", None
    if decoding:
        label, study = f"{label} [decoding {decoding}]", None
    return Identity(label, study, reported_families().get(study or "", ""), sft_adapter)


def baseline_identity(encoder: str) -> Identity:
    """The span baseline with this encoder (the name its results file gives it)."""
    name = last_part(encoder)
    if "bert-base" in name.lower():
        return Identity(BASELINE_STUDY_NAME, BASELINE_STUDY_NAME, "plm", None)
    return Identity(f"span baseline ({name})", None, "plm", None)
