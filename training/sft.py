"""LoRA supervised fine-tuning of any registered base on a sciner dataset, with TRL.

    python -m training.sft --base uniner --dataset scierc                 # the study's setup
    python -m training.sft --config training/recipes/smollm2_scierc_cpu.yaml   # CPU demo
    accelerate launch -m training.sft --base llama3.1-8b --dataset wlpc --push-to-hub ORG/NAME

Arguments are parsed the TRL way (TrlParser: SFT arguments, model/LoRA arguments and ours; any
of them may come from a YAML `--config`). Defaults are the study's: LoRA rank 16, alpha 32,
dropout 0.05, learning rate 5e-5, 10 epochs, batch size 2, prompts up to 400 and answers up
to 512 tokens. Training examples are the lm-eval documents of the dataset's train split
(sciner_tasks.harness.build_docs), so a training prompt is the evaluation prompt by
construction; the loss is on the completion only.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from trl import ModelConfig, SFTConfig, SFTTrainer, TrlParser, get_peft_config

from sciner_tasks.data import DatasetSpec, load_spec
from sciner_tasks.formats import get_format
from sciner_tasks.harness import build_docs
from sciner_tasks.models import MODELS, ModelSpec, local_path

from .card import model_card


@dataclass
class SciNERArguments:
    base: str = field(
        default="smollm2",
        metadata={"help": f"registry short name ({', '.join(MODELS)}), local path or Hub id"},
    )
    dataset: str = field(default="scierc", metadata={"help": "sciner dataset or directory"})
    format: str | None = field(
        default=None, metadata={"help": "prompt format (default: the base's, else general)"}
    )
    max_source_length: int = field(default=400, metadata={"help": "prompt tokens (study)"})
    max_target_length: int = field(default=512, metadata={"help": "answer tokens (study)"})
    max_train_examples: int | None = field(
        default=None, metadata={"help": "first N training examples only (demos, tests)"}
    )
    resume: bool = field(default=False, metadata={"help": "continue from the last checkpoint"})
    lm_eval_results: str | None = field(
        default=None, metadata={"help": "lm-eval results_*.json to show in the model card"}
    )


def bf16_available() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


@dataclass
class StudySFTConfig(SFTConfig):
    """SFTConfig with the study's defaults."""

    output_dir: str | None = None
    learning_rate: float = 5e-5
    num_train_epochs: float = 10
    per_device_train_batch_size: int = 2
    logging_steps: float = 10
    save_strategy: str = "epoch"
    # Padding-free batches (sequences concatenated, attention kept apart by position ids):
    # no compute on padding. Turned off for models whose code is not transformers' own.
    padding_free: bool = True
    # bf16 where the hardware has it; TRL's default (always bf16) refuses to run on a CPU.
    bf16: bool | None = bf16_available()


@dataclass
class StudyModelConfig(ModelConfig):
    """ModelConfig with the study's LoRA."""

    use_peft: bool = True
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_target_modules: list[str] | None = field(default_factory=lambda: ["all-linear"])


@dataclass(frozen=True)
class Base:
    """What to load for a `--base`: weights, an adapter to merge first, the prompt format."""

    path: str
    adapter: str | None
    format: str
    trust_remote_code: bool
    # The Hub id `path` stands for (the card's base_model); for the embedded SmolLM2 that is
    # the model whose 4-bit GGUF `path` holds. None for a local folder.
    hub_id: str | None


def resolve_base(base: str, format_name: str | None, trust_remote_code: bool) -> Base:
    spec: ModelSpec | None = MODELS.get(base)
    if spec is None:
        if not (Path(base).exists() or base.count("/") == 1):
            raise SystemExit(
                f"error: unknown base {base!r}: not a registered model ({', '.join(MODELS)}), "
                "a local folder or a Hub id (ORG/NAME)"
            )
        hub_id = None if Path(base).exists() else base
        return Base(base, None, format_name or "general", trust_remote_code, hub_id)
    if spec.trust_remote_code and not trust_remote_code:
        raise SystemExit(
            f"error: {spec.name} ({spec.hub_id}) runs code from the Hub; pass "
            "--trust_remote_code true if you trust it"
        )
    format_name = format_name or spec.format
    if spec.lora_base:  # IEPile: a LoRA on a chat model, merged before our own LoRA
        return Base(spec.lora_base, spec.hub_id, format_name, trust_remote_code, spec.lora_base)
    path = str(local_path(base)) if base == "smollm2" else spec.hub_id
    return Base(path, None, format_name, trust_remote_code, spec.hub_id)


def sft_examples(dataset: str, format_name: str, split: str, limit: int | None = None):
    """Prompt-completion examples: the lm-eval documents of `split` and their gold answers.
    Chat formats become conversations, so TRL applies the chat template exactly as lm-eval's
    --apply_chat_template does (one user turn, then the generation prompt)."""
    chat = get_format(format_name).chat
    examples = []
    for doc in build_docs(dataset, format_name, "0shot", split=split)[:limit]:
        if chat:
            examples.append(
                {
                    "prompt": [{"role": "user", "content": doc["prompt"]}],
                    "completion": [{"role": "assistant", "content": doc["target"]}],
                }
            )
        else:
            examples.append({"prompt": doc["prompt"], "completion": doc["target"]})
    return examples


def load_model(base: Base, model_args: ModelConfig):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        base.path,
        dtype=model_args.dtype if model_args.dtype not in (None, "auto") else "auto",
        trust_remote_code=base.trust_remote_code,
        attn_implementation=model_args.attn_implementation,
    )
    if base.adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, base.adapter).merge_and_unload()
    return model


def supports_padding_free(model) -> bool:
    """transformers' own decoder models build their attention masks from position ids, which
    is what padding-free batches rely on; Hub code (trust_remote_code) may not."""
    return type(model).__module__.startswith("transformers.models.")


def over_length(examples, tokenizer, key: str, limit: int, chat: bool) -> int:
    """How many examples have a prompt (or answer) longer than the study's limit."""

    def length(value) -> int:
        if chat:
            return len(
                tokenizer.apply_chat_template(
                    value, tokenize=True, add_generation_prompt=key == "prompt"
                )
            )
        return len(tokenizer(value, add_special_tokens=False)["input_ids"])

    return sum(length(e[key]) > limit for e in examples)


def translate_push_flag(argv: list[str]) -> list[str]:
    """`--push-to-hub ORG/NAME` (our CLI) is TRL's `--push_to_hub --hub_model_id ORG/NAME`."""
    out = []
    items = iter(argv)
    for item in items:
        if item == "--push-to-hub":
            out += ["--push_to_hub", "true", "--hub_model_id", next(items, "")]
        elif item.startswith("--push-to-hub="):
            out += ["--push_to_hub", "true", "--hub_model_id", item.split("=", 1)[1]]
        else:
            out.append(item)
    return out


@dataclass
class Run:
    """A prepared training run (what `main` trains and saves; benchmarks reuse it)."""

    trainer: SFTTrainer
    ours: SciNERArguments
    model_args: ModelConfig
    base: Base
    spec: DatasetSpec
    n_train: int
    push_repo: str | None


def prepare(argv: list[str]) -> Run:
    parser = TrlParser((SciNERArguments, StudySFTConfig, StudyModelConfig))
    ours, sft_args, model_args = parser.parse_args_and_config(translate_push_flag(argv))
    base = resolve_base(ours.base, ours.format, sft_args.trust_remote_code)
    prompt_format = get_format(base.format)
    spec = load_spec(ours.dataset)
    sft_args.output_dir = sft_args.output_dir or f"runs/sft/{Path(ours.base).name}-{spec.name}"
    sft_args.max_length = ours.max_source_length + ours.max_target_length
    # We push ourselves (main process only, with our model card), not the Trainer.
    push_repo = sft_args.hub_model_id if sft_args.push_to_hub else None
    sft_args.push_to_hub = False

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base.path, trust_remote_code=base.trust_remote_code)
    if prompt_format.chat and not tokenizer.chat_template:
        raise SystemExit(
            f"error: the {prompt_format.name} format needs a chat template and {base.path} has "
            "none; pick a raw-template format (--format uniner, iepile, yayi) or a chat model"
        )
    train = sft_examples(ours.dataset, base.format, "train", ours.max_train_examples)
    dev = sft_examples(ours.dataset, base.format, "dev", ours.max_train_examples)
    import datasets

    model = load_model(base, model_args)
    if sft_args.padding_free and not supports_padding_free(model):
        print(f"note: {type(model).__name__} is not a transformers model: padded batches")
        sft_args.padding_free = False
    if sft_args.padding_free:
        # TRL cannot cut sequences in padding-free batches without packing, and packing would
        # change how many examples a step sees: sequences are kept whole (counted below).
        sft_args.max_length = None
    for key, limit in (("prompt", ours.max_source_length), ("completion", ours.max_target_length)):
        longer = over_length(train, tokenizer, key, limit, prompt_format.chat)
        if longer:
            action = (
                f"cut at {sft_args.max_length} tokens in all"
                if sft_args.max_length
                else ("kept whole (padding-free)")
            )
            print(f"note: {longer} of {len(train)} training {key}s exceed {limit} tokens; {action}")
    trainer = SFTTrainer(
        model=model,
        args=sft_args,
        train_dataset=datasets.Dataset.from_list(train),
        eval_dataset=datasets.Dataset.from_list(dev) if sft_args.eval_strategy != "no" else None,
        processing_class=tokenizer,
        peft_config=get_peft_config(model_args),
    )
    return Run(trainer, ours, model_args, base, spec, len(train), push_repo)


def finish(run: Run) -> None:
    """Save the adapter, tokenizer and model card; push them when asked (main process)."""
    trainer, args = run.trainer, run.trainer.args
    trainer.save_model(args.output_dir)
    if not trainer.accelerator.is_main_process:
        return
    trainer.processing_class.save_pretrained(args.output_dir)
    results_file = run.ours.lm_eval_results
    card = model_card(
        base=run.ours.base if run.ours.base in MODELS else run.base.path,
        base_path=run.base.path,
        base_hub_id=run.base.hub_id,
        merged_adapter=run.base.adapter,
        dataset=run.spec,
        format_name=run.base.format,
        n_train=run.n_train,
        sft_args=args,
        model_args=run.model_args,
        lm_eval_results=json.loads(Path(results_file).read_text()) if results_file else None,
        repo_id=run.push_repo,
    )
    (Path(args.output_dir) / "README.md").write_text(card, encoding="utf-8")
    if run.push_repo:
        from huggingface_hub import HfApi

        api = HfApi(token=args.hub_token)
        api.create_repo(run.push_repo, private=args.hub_private_repo, exist_ok=True)
        api.upload_folder(
            repo_id=run.push_repo, folder_path=args.output_dir, ignore_patterns=["checkpoint-*"]
        )


def main(argv: list[str] | None = None) -> int:
    run = prepare(sys.argv[1:] if argv is None else argv)
    run.trainer.train(resume_from_checkpoint=True if run.ours.resume else None)
    finish(run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
