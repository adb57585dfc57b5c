"""The base model `training.sft` fine-tunes: what a `--base` names, and loading it.

A registered short name brings its weights, prompt format and, for IEPile, a LoRA to merge
first; a local folder or Hub id gets the general format unless `--format` says otherwise. A
Hub base that cannot be fetched ends the run in one `error:` line saying what to do, instead
of transformers' retries and chained tracebacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sciner_tasks.data.schema import first_line
from sciner_tasks.formats import FORMATS
from sciner_tasks.models import MODELS, ModelSpec, local_path
from sciner_tasks.names import GENERAL_FORMAT


@dataclass(frozen=True)
class Base:
    """What to load for a `--base`: weights, an adapter to merge first, the prompt format."""

    path: str
    adapter: str | None
    format_name: str
    trust_remote_code: bool
    # The Hub id `path` stands for (the card's base_model); for the embedded SmolLM2 that is
    # the model whose 4-bit GGUF `path` holds. None for a local folder.
    hub_id: str | None
    # The Hub is unreachable and the base is in the local cache (probe_hub).
    local_files_only: bool = False


def check_format(name: str) -> None:
    if name not in FORMATS:
        raise SystemExit(f"error: unknown --format {name!r}; pick one of {', '.join(FORMATS)}")


def resolve_base(base: str, format_name: str | None, trust_remote_code: bool) -> Base:
    spec: ModelSpec | None = MODELS.get(base)
    if spec is None:
        if not (Path(base).exists() or base.count("/") == 1):
            raise SystemExit(
                f"error: unknown base {base!r}: not a registered model ({', '.join(MODELS)}), "
                "a local folder or a Hub id (ORG/NAME)"
            )
        hub_id = None if Path(base).exists() else base
        format_name = format_name or GENERAL_FORMAT
        check_format(format_name)
        return Base(base, None, format_name, trust_remote_code, hub_id)
    if spec.api:
        raise SystemExit(
            f"error: {spec.name} ({spec.hub_id}) is served only through its provider's API; "
            "its weights cannot be fine-tuned here: pick a local model"
        )
    if spec.trust_remote_code and not trust_remote_code:
        raise SystemExit(
            f"error: {spec.name} ({spec.hub_id}) runs code from the Hub; pass "
            "--trust_remote_code true if you trust it"
        )
    format_name = format_name or spec.format_name
    check_format(format_name)
    if spec.lora_base:  # IEPile: a LoRA on a chat model, merged before our own LoRA
        return Base(spec.lora_base, spec.hub_id, format_name, trust_remote_code, spec.lora_base)
    path = str(local_path(base)) if base == "smollm2" else spec.hub_id
    return Base(path, None, format_name, trust_remote_code, spec.hub_id)


def hub_failure(base: Base, error: BaseException, registered: bool) -> SystemExit:
    """The one line that ends a run whose Hub base cannot be fetched, saying what to do."""
    reason = first_line(error).rstrip(".")
    # A registered name also brings its format (and adapter): keep the name, bring the cache.
    remedy = (
        "copy its Hugging Face cache (HF_HOME) here"
        if registered
        else ("pass its local folder as --base")
    )
    return SystemExit(
        f"error: cannot load base {base.path!r} from the Hub: {reason}; download it on a "
        f"machine with network (hf download {base.path}) and {remedy}"
    )


def probe_hub(base: Base, registered: bool) -> Base:
    """Ask the Hub once for each repository of a base before loading it. Without a network,
    transformers retries for about 50 s and ends in chained tracebacks; this fails at once,
    or loads the copy already in the local cache."""
    repos = [(base.path, "config.json"), (base.adapter, "adapter_config.json")]
    remote = [(r, f) for r, f in repos if r and not Path(r).exists()]
    if not remote:
        return base
    from huggingface_hub import HfApi, try_to_load_from_cache

    for repo, _ in remote:
        try:
            HfApi().model_info(repo, timeout=10)
        # huggingface_hub's transport errors are not OSErrors and differ across its versions.
        except Exception as err:
            if not all(isinstance(try_to_load_from_cache(r, f), str) for r, f in remote):
                raise hub_failure(base, err, registered) from None
            reason = first_line(err).rstrip(".")
            print(f"note: {repo} is not reachable ({reason}); loading the cached copy")
            return replace(base, local_files_only=True)
    return base


@contextmanager
def hub_errors_explained(base: Base, registered: bool) -> Iterator[None]:
    """A Hub base that fails while loading (access, a file missing from the repo) ends in one
    line too, instead of transformers' chained tracebacks."""
    try:
        yield
    except OSError as err:
        if Path(base.path).exists():
            raise
        raise hub_failure(base, err, registered) from None


def load_tokenizer(base: Base):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(
        base.path, trust_remote_code=base.trust_remote_code, local_files_only=base.local_files_only
    )


def load_model(base: Base, model_args):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        base.path,
        dtype=model_args.dtype if model_args.dtype not in (None, "auto") else "auto",
        trust_remote_code=base.trust_remote_code,
        attn_implementation=model_args.attn_implementation,
        local_files_only=base.local_files_only,
    )
    if base.adapter:
        from peft import PeftModel

        adapter = PeftModel.from_pretrained(
            model, base.adapter, local_files_only=base.local_files_only
        )
        model = adapter.merge_and_unload()
    return model


def supports_padding_free(model) -> bool:
    """transformers' own decoder models build their attention masks from position ids, which
    is what padding-free batches rely on; Hub code (trust_remote_code) may not."""
    return type(model).__module__.startswith("transformers.models.")
