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


def token_lengths(examples, tokenizer, key: str, chat: bool) -> list[int]:
    """The token count of each example's prompt (or answer), as TRL will tokenise it."""

    def length(value) -> int:
        if chat:
            return len(
                tokenizer.apply_chat_template(
                    value, tokenize=True, add_generation_prompt=key == "prompt"
                )
            )
        return len(tokenizer(value, add_special_tokens=False)["input_ids"])

    return [length(e[key]) for e in examples]


def report_over_length(train, tokenizer, script_args, training_args, chat: bool) -> None:
    """Count the examples over the study's limits; refuse lengths that would cut every answer
    away. Each prompt and answer is tokenised once."""
    lengths = {key: token_lengths(train, tokenizer, key, chat) for key in ("prompt", "completion")}
    limits = (
        ("prompt", script_args.max_source_length),
        ("completion", script_args.max_target_length),
    )
    for key, limit in limits:
        longer = sum(length > limit for length in lengths[key])
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
    if cut and keeps_start and all(length >= cut for length in lengths["prompt"]):
        raise SystemExit(
            f"error: every training prompt fills the {cut} tokens of a sequence "
            "(--max_source_length + --max_target_length), so no answer token would be trained "
            "on; raise --max_target_length"
        )
