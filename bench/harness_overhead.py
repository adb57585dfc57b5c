"""Prompt tokens per sentence and lm-eval harness overhead, per dataset and prompt format.

For each (dataset, format) it renders the first N test sentences' queries, counts their prompt
tokens with the model's tokenizer, then generates the same queries twice, side by side in one
process: through lm-eval (`simple_evaluate`, hf backend, the sciner task) and by calling the
same model's `generate` directly with the same greedy settings and stop sequences. The ratio
of the two wall times is the harness overhead (1.0 = none). Both sides generate greedily, so
their outputs should be the same strings: the table counts how many are.

    python bench/harness_overhead.py --sentences 4 --datasets scierc wlpc --out bench/results

`--max-gen-toks N` caps the generation budget of both sides (the tasks' budgets are sized for
the longest gold answer, and a model that never stops spends all of it). `--tokens-only`
prints the prompt tokens per sentence and generates nothing.

Defaults use the embedded SmolLM2-135M-Instruct on the CPU (`python -m sciner_tasks.models
path smollm2`); pass --model for another local folder.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

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
    model_path: Path, datasets: list[str], formats: list[str], sentences: int, cap: int | None
) -> list[dict]:
    import lm_eval
    import torch
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    model.eval()
    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=1)
    # lm-eval indexes its task folders once per run; timed apart, not charged to every task.
    started = time.perf_counter()
    task_manager = TaskManager()
    print(json.dumps({"task_index_s": round(time.perf_counter() - started, 2)}))
    # Warm-up, so that neither side pays for first-call initialisation.
    direct_generate(model, tokenizer, ["Hello"], (), 8)
    rows = []
    for dataset in datasets:
        for format_name in formats:
            docs, prompts, tokens = first_sentences(tokenizer, dataset, format_name, sentences)
            chat = FORMATS[format_name].chat
            budget = min(max_gen_toks(dataset, format_name), cap or 1 << 30)
            task = task_name(dataset, "0shot", format_name)
            started = time.perf_counter()
            evaluated = lm_eval.simple_evaluate(
                model=lm,
                tasks=[task],
                task_manager=task_manager,
                limit=len(docs),
                apply_chat_template=chat,
                gen_kwargs=f"max_gen_toks={budget}",
                bootstrap_iters=0,
                log_samples=True,
            )
            harness_s = time.perf_counter() - started
            started = time.perf_counter()
            direct = direct_generate(model, tokenizer, prompts, FORMATS[format_name].stop, budget)
            direct_s = time.perf_counter() - started
            by_doc = {s["doc_id"]: s["resps"][0][0] for s in evaluated["samples"][task]}
            harness = [by_doc[i] for i in range(len(docs))]
            rows.append(
                {
                    "dataset": dataset,
                    "format": format_name,
                    "sentences": len({d["sentence_id"] for d in docs}),
                    "queries": len(docs),
                    "max_gen_toks": budget,
                    "identical_outputs": sum(a == b for a, b in zip(harness, direct, strict=True)),
                    "prompt_tokens_per_sentence": tokens,
                    "harness_s": round(harness_s, 2),
                    "direct_s": round(direct_s, 2),
                    "overhead_ratio": round(harness_s / direct_s, 3),
                }
            )
            print(json.dumps(rows[-1]))
    return rows


def markdown(rows: list[dict]) -> str:
    lines = [
        "| dataset | format | queries/sentence | prompt tokens/sentence | max_gen_toks "
        "| same outputs | lm-eval s | direct s | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['format']} | {r['queries'] / r['sentences']:.1f} | "
            f"{r['prompt_tokens_per_sentence']:.0f} | {r['max_gen_toks']} | "
            f"{r['identical_outputs']}/{r['queries']} | {r['harness_s']} | {r['direct_s']} | "
            f"{r['overhead_ratio']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="local model folder (default: SmolLM2)")
    parser.add_argument("--datasets", nargs="+", default=["scierc", "stem_ecr", "measeval", "wlpc"])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS))
    parser.add_argument("--sentences", type=int, default=4)
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
    rows = run(model_path, args.datasets, args.formats, args.sentences, args.max_gen_toks)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "harness_overhead.json").write_text(json.dumps(rows, indent=2) + "\n")
    table = markdown(rows)
    (args.out / "harness_overhead.md").write_text(table + "\n")
    print(table)
    print(f"model: {model_path} ({MODELS['smollm2'].hub_id} unless --model)")


if __name__ == "__main__":
    main()
