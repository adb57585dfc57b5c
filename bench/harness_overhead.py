"""Prompt tokens per sentence and lm-eval harness overhead, per dataset and prompt format.

For each (dataset, format) it renders the first N test sentences' queries, counts their prompt
tokens with the model's tokenizer, then generates the same queries both ways in one process:
through lm-eval (`simple_evaluate`, hf backend, the sciner task) and by calling the same
model's `generate` directly with the same greedy settings and stop sequences, the two sides
alternated over --repeats rounds (bench/timing.py). The ratio of the two sides' median wall
times is the harness overhead per task (1.0 = none). lm-eval also indexes its task folders
once per run (`TaskManager()`): timed apart, every round, as the fixed cost of a run. Both
sides generate greedily, so their outputs should be the same strings: the table counts how
many are.

    python bench/harness_overhead.py --sentences 2 --repeats 3 --max-gen-toks 32

`--max-gen-toks N` caps the generation budget of both sides (the tasks' budgets are sized for
the longest gold answer, and a model that never stops spends all of it). `--tokens-only`
prints the prompt tokens per sentence and generates nothing.

Defaults use the embedded SmolLM2-135M-Instruct on the CPU (`python -m sciner_tasks.models
path smollm2`); pass --model for another local folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
from functools import partial
from pathlib import Path

from timing import alternate, ratio_of_medians, summary

from sciner_tasks.formats import FORMATS
from sciner_tasks.models import MODELS
from sciner_tasks.names import task_name
from sciner_tasks.prompting import build_docs, max_gen_toks
from sciner_tasks.weights import prepare_smollm2


def chat_prompt(tokenizer, doc: dict, apply_chat_template: bool) -> str:
    if not apply_chat_template:
        return doc["prompt"]
    messages = [{"role": "user", "content": doc["prompt"]}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def direct_generate(model, tokenizer, prompts: list[str], stop: tuple[str, ...], budget: int):
    """Greedy generation one prompt at a time, cut at the first stop sequence (as lm-eval)."""
    import torch

    outputs = []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            generated = model.generate(
                **ids,
                max_new_tokens=budget,
                do_sample=False,
                stop_strings=list(stop) or None,
                tokenizer=tokenizer,
                pad_token_id=tokenizer.eos_token_id,
            )
        text = tokenizer.decode(generated[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
        for s in stop:
            text = text.split(s)[0]
        outputs.append(text)
    return outputs


def harness_generate(lm, task_manager, task: str, queries: int, chat: bool, budget: int):
    """The first `queries` documents of `task` through lm-eval, their outputs in order."""
    import lm_eval

    evaluated = lm_eval.simple_evaluate(
        model=lm,
        tasks=[task],
        task_manager=task_manager,
        limit=queries,
        apply_chat_template=chat,
        gen_kwargs=f"max_gen_toks={budget}",
        bootstrap_iters=0,
        log_samples=True,
    )
    by_doc = {s["doc_id"]: s["resps"][0][0] for s in evaluated["samples"][task]}
    return [by_doc[i] for i in range(queries)]


def first_sentences(tokenizer, dataset: str, format_name: str, sentences: int):
    """The 0-shot documents of the first test sentences (lm-eval's --limit takes the first
    documents), their prompts as the model reads them, and the prompt tokens per sentence."""
    docs = build_docs(dataset, format_name, "0shot")
    keep = list(dict.fromkeys(d["sentence_id"] for d in docs))[:sentences]
    docs = [d for d in docs if d["sentence_id"] in keep]
    prompts = [chat_prompt(tokenizer, d, FORMATS[format_name].chat) for d in docs]
    tokens = sum(len(tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts)
    return docs, prompts, tokens / len(keep)


def run(
    model_path: Path,
    datasets: list[str],
    formats: list[str],
    sentences: int,
    cap: int | None,
    repeats: int,
) -> list[dict]:
    import torch
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    task_manager = TaskManager()
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    model.eval()
    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=1)
    direct_generate(model, tokenizer, ["Hello"], (), 8)  # warm-up: first-call initialisation
    rows = []
    for dataset in datasets:
        for format_name in formats:
            docs, prompts, tokens = first_sentences(tokenizer, dataset, format_name, sentences)
            budget = min(max_gen_toks(dataset, format_name), cap or 1 << 30)
            task = task_name(dataset, "0shot", format_name)

            stop, chat = FORMATS[format_name].stop, FORMATS[format_name].chat
            sides = {
                "harness": partial(
                    harness_generate, lm, task_manager, task, len(docs), chat, budget
                ),
                "direct": partial(direct_generate, model, tokenizer, prompts, stop, budget),
            }
            seconds, outputs = alternate(sides, repeats)
            same = sum(
                a == b
                for h, d in zip(outputs["harness"], outputs["direct"], strict=True)
                for a, b in zip(h, d, strict=True)
            )
            rows.append(
                {
                    "dataset": dataset,
                    "format": format_name,
                    "sentences": len({d["sentence_id"] for d in docs}),
                    "queries": len(docs),
                    "max_gen_toks": budget,
                    "identical_outputs": same,
                    "generations": len(docs) * repeats,
                    "prompt_tokens_per_sentence": tokens,
                    "harness_s": summary(seconds["harness"], 2),
                    "direct_s": summary(seconds["direct"], 2),
                    "overhead_ratio": round(
                        ratio_of_medians(seconds["harness"], seconds["direct"]), 3
                    ),
                    "sides_s": seconds,
                }
            )
            print(json.dumps({k: v for k, v in rows[-1].items() if k != "sides_s"}))
    return rows


def task_index_seconds(repeats: int) -> list[float]:
    """lm-eval's task index (`TaskManager()`, once per run), built `repeats` times."""
    from lm_eval.tasks import TaskManager

    seconds, _ = alternate({"index": TaskManager}, repeats)
    return seconds["index"]


def markdown(rows: list[dict]) -> str:
    lines = [
        "| dataset | format | queries/sentence | prompt tokens/sentence | max_gen_toks "
        "| same outputs | lm-eval s, median [min, max] | direct s | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['format']} | {r['queries'] / r['sentences']:.1f} | "
            f"{r['prompt_tokens_per_sentence']:.0f} | {r['max_gen_toks']} | "
            f"{r['identical_outputs']}/{r['generations']} | {spread(r['harness_s'])} | "
            f"{spread(r['direct_s'])} | {r['overhead_ratio']} |"
        )
    return "\n".join(lines)


def spread(times: dict[str, float]) -> str:
    return f"{times['median']} [{times['min']}, {times['max']}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="local model folder (default: SmolLM2)")
    parser.add_argument("--datasets", nargs="+", default=["scierc", "stem_ecr", "measeval", "wlpc"])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS))
    parser.add_argument("--sentences", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-gen-toks", type=int, help="cap both sides' generation budget")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--tokens-only", action="store_true", help="count prompt tokens only")
    args = parser.parse_args()
    model_path = args.model or prepare_smollm2()
    if args.tokens_only:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model_path)
        print(f"| dataset | {' | '.join(args.formats)} |")
        for dataset in args.datasets:
            counts = [
                first_sentences(tokenizer, dataset, f, args.sentences)[2] for f in args.formats
            ]
            print(f"| {dataset} | " + " | ".join(f"{c:.0f}" for c in counts) + " |")
        return
    index = task_index_seconds(args.repeats)
    rows = run(
        model_path, args.datasets, args.formats, args.sentences, args.max_gen_toks, args.repeats
    )
    harness = sum(statistics.median(r["sides_s"]["harness"]) for r in rows)
    direct = sum(statistics.median(r["sides_s"]["direct"]) for r in rows)
    report = {
        "model": str(model_path),
        "sentences": args.sentences,
        "repeats": args.repeats,
        "max_gen_toks_cap": args.max_gen_toks,
        "task_index_s": summary(index, 2),
        "harness_s_sum_of_medians": round(harness, 2),
        "direct_s_sum_of_medians": round(direct, 2),
        "overhead_ratio_all_cells": round(harness / direct, 3),
        "identical_outputs": f"{sum(r['identical_outputs'] for r in rows)} of "
        f"{sum(r['generations'] for r in rows)}",
        "cells": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "harness_overhead.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(rows)
    (args.out / "harness_overhead.md").write_text(table + "\n")
    print(table)
    print(json.dumps({k: v for k, v in report.items() if k != "cells"}))
    print(f"model: {model_path} ({MODELS['smollm2'].hub_id} unless --model)")


if __name__ == "__main__":
    main()
