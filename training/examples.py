"""Training examples: the lm-eval documents of a split as prompt-completion pairs, and how
many of them a length limit would cut."""

from __future__ import annotations

from sciner_tasks.formats import get_format
from sciner_tasks.prompting import build_docs


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


def report_over_length(train, tokenizer, script_args, training_args, chat: bool) -> None:
    limits = (
        ("prompt", script_args.max_source_length),
        ("completion", script_args.max_target_length),
    )
    for key, limit in limits:
        longer = over_length(train, tokenizer, key, limit, chat)
        if longer:
            action = (
                f"cut at {training_args.max_length} tokens in all"
                if training_args.max_length
                else ("kept whole (padding-free)")
            )
            print(f"note: {longer} of {len(train)} training {key}s exceed {limit} tokens; {action}")
    # Sequences are cut at their end unless --truncation_mode keep_end keeps the answer.
    cut = training_args.max_length
    keeps_start = getattr(training_args, "truncation_mode", "keep_start") != "keep_end"
    if cut and keeps_start and over_length(train, tokenizer, "prompt", cut - 1, chat) == len(train):
        raise SystemExit(
            f"error: every training prompt fills the {cut} tokens of a sequence "
            "(--max_source_length + --max_target_length), so no answer token would be trained "
            "on; raise --max_target_length"
        )
