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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

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
from trl import ModelConfig, SFTConfig, SFTTrainer, TrlParser, get_peft_config

from sciner_tasks.data import DatasetSpec, load_spec
from sciner_tasks.formats import FORMATS, get_format
from sciner_tasks.harness import build_docs
from sciner_tasks.models import MODELS, ModelSpec, local_path

from .card import model_card


class MissingInput(FileNotFoundError):
    """A file or dataset named by an argument is not there (the command line says so in one
    `error:` line; callers of `main` get a FileNotFoundError)."""


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
        format_name = format_name or "general"
        check_format(format_name)
        return Base(base, None, format_name, trust_remote_code, hub_id)
    if spec.trust_remote_code and not trust_remote_code:
        raise SystemExit(
            f"error: {spec.name} ({spec.hub_id}) runs code from the Hub; pass "
            "--trust_remote_code true if you trust it"
        )
    format_name = format_name or spec.format
    check_format(format_name)
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


def hub_failure(base: Base, reason: str, registered: bool) -> SystemExit:
    """The one line that ends a run whose Hub base cannot be fetched, saying what to do."""
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


def first_line(err: BaseException) -> str:
    return (str(err).splitlines() or [type(err).__name__])[0].rstrip(".")


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
                raise hub_failure(base, first_line(err), registered) from None
            print(f"note: {repo} is not reachable ({first_line(err)}); loading the cached copy")
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
        raise hub_failure(base, first_line(err), registered) from None


def load_tokenizer(base: Base):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(
        base.path, trust_remote_code=base.trust_remote_code, local_files_only=base.local_files_only
    )


def load_model(base: Base, model_args: ModelConfig):
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
    return any((checkpoint / name).is_file() for name in WEIGHTS_FILES)


def checkpoints_newest_first(output_dir: str) -> list[Path]:
    prefix = f"{PREFIX_CHECKPOINT_DIR}-"
    found = [
        path
        for path in Path(output_dir).glob(f"{prefix}*")
        if path.is_dir() and path.name.removeprefix(prefix).isdigit()
    ]
    return sorted(found, key=lambda path: int(path.name.removeprefix(prefix)), reverse=True)


def resume_checkpoint(output_dir: str) -> str:
    """The newest complete checkpoint. Trainer would take the newest folder, complete or not,
    and fail on a half-written one."""
    for checkpoint in checkpoints_newest_first(output_dir):
        if is_complete(checkpoint):
            print(f"note: resuming from {checkpoint.name}")
            return str(checkpoint)
        print(f"note: skipping incomplete {checkpoint.name} (its save did not finish)")
    raise SystemExit(
        f"error: --resume true but {output_dir} has no complete checkpoint to resume from; "
        "drop --resume to train from the start"
    )


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


def check_config_file(argv: list[str]) -> None:
    """TrlParser opens `--config PATH` as it is; a missing file would end in a traceback."""
    if "--config" in argv[:-1]:
        path = argv[argv.index("--config") + 1]
        if not Path(path).is_file():
            raise MissingInput(
                f"--config {path}: no such file; pass a YAML recipe such as "
                "training/recipes/smollm2_scierc_cpu.yaml"
            )


def check_arguments(ours: SciNERArguments) -> None:
    """Refuse what would otherwise fail, or do something else than asked, after training."""
    limit = ours.max_train_examples
    if limit is not None and limit < 1:  # a slice [:-1] would drop the last example
        raise SystemExit(f"error: --max_train_examples must be a positive integer, got {limit}")
    results = ours.lm_eval_results
    if results and not Path(results).is_file():  # read for the model card, after training
        raise MissingInput(f"--lm_eval_results {results}: no such file")


def dataset_spec(name: str) -> DatasetSpec:
    try:
        return load_spec(name)
    except FileNotFoundError as err:
        raise MissingInput(str(err)) from None


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
    hub_token: str | None  # for our push only: kept out of the saved Trainer arguments
    resume_from: str | None


def prepare(argv: list[str]) -> Run:
    check_config_file(argv)
    parser = TrlParser((SciNERArguments, StudySFTConfig, StudyModelConfig))
    ours, sft_args, model_args = parser.parse_args_and_config(translate_push_flag(argv))
    check_arguments(ours)
    base = resolve_base(ours.base, ours.format, sft_args.trust_remote_code)
    prompt_format = get_format(base.format)
    spec = dataset_spec(ours.dataset)
    sft_args.output_dir = sft_args.output_dir or f"runs/sft/{Path(ours.base).name}-{spec.name}"
    resume_from = resume_checkpoint(sft_args.output_dir) if ours.resume else None
    sft_args.max_length = ours.max_source_length + ours.max_target_length
    # We push ourselves (main process only, with our model card), not the Trainer.
    push_repo = sft_args.hub_model_id if sft_args.push_to_hub else None
    sft_args.push_to_hub = False
    # Trainer pickles its arguments into training_args.bin in the output folder (which we push)
    # and in every checkpoint: the token must not be among them.
    hub_token, sft_args.hub_token = sft_args.hub_token, None

    base = probe_hub(base, registered=ours.base in MODELS)
    with hub_errors_explained(base, registered=ours.base in MODELS):
        tokenizer = load_tokenizer(base)
    if prompt_format.chat and not tokenizer.chat_template:
        raise SystemExit(
            f"error: the {prompt_format.name} format needs a chat template and {base.path} has "
            "none; pick a raw-template format (--format uniner, iepile, yayi) or a chat model"
        )
    train = sft_examples(ours.dataset, base.format, "train", ours.max_train_examples)
    dev = sft_examples(ours.dataset, base.format, "dev", ours.max_train_examples)
    import datasets

    with hub_errors_explained(base, registered=ours.base in MODELS):
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
    return Run(trainer, ours, model_args, base, spec, len(train), push_repo, hub_token, resume_from)


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

        api = HfApi(token=run.hub_token)
        api.create_repo(run.push_repo, private=args.hub_private_repo, exist_ok=True)
        api.upload_folder(
            repo_id=run.push_repo, folder_path=args.output_dir, ignore_patterns=["checkpoint-*"]
        )


def main(argv: list[str] | None = None) -> int:
    run = prepare(sys.argv[1:] if argv is None else argv)
    run.trainer.train(resume_from_checkpoint=run.resume_from)
    finish(run)
    return 0


def command_line() -> int:
    """`python -m training.sft`: a missing input ends in one `error:` line, not a traceback
    (every other refusal is a SystemExit with its `error:` line already)."""
    try:
        return main()
    except MissingInput as err:
        raise SystemExit(f"error: {err}") from None


if __name__ == "__main__":
    raise SystemExit(command_line())
