"""Our uniner CrossNER documents against UniNER's own CrossNER test data, query by query.

universal-ner ships its evaluation data for CrossNER (src/eval/test_data/CrossNER_*.json: one
conversation per (sentence, type), the gold answer as the last turn). For every such query this
script finds sciner's document (same sentence, same type) and compares the whole prompt (the
conversation rendered as src/utils.py preprocess_instance renders it: the `ie_as_qa`
template, ADD_COLON_TWO) and the gold answer string. It reads the upstream files from a
checkout you give it; nothing of them is stored in sciner.

    git clone https://github.com/universal-ner/universal-ner /tmp/universal-ner
    python bench/uniner_crossner_parity.py --uniner /tmp/universal-ner --out bench/results
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections import Counter
from pathlib import Path

from sciner_tasks.formats.uniner import SYSTEM
from sciner_tasks.prompting import build_docs

FILES = {
    "crossner_ai": "CrossNER_AI.json",
    "crossner_literature": "CrossNER_literature.json",
    "crossner_music": "CrossNER_music.json",
    "crossner_politics": "CrossNER_politics.json",
    "crossner_science": "CrossNER_science.json",
}


def upstream_prompt(conversation: list[dict]) -> str:
    """ie_as_qa with the last (assistant) message left for the model."""
    roles, seps = ("USER", "ASSISTANT"), (" ", "</s>")
    out = SYSTEM + " "
    for index, turn in enumerate(conversation[:-1]):
        out += f"{roles[index % 2]}: {turn['value']}{seps[index % 2]}"
    return out + "ASSISTANT:"


def group_by_sentence(examples: list[dict]) -> list[list[dict]]:
    """Consecutive queries about the same text, a new group when a question repeats."""
    groups: list[list[dict]] = []
    for example in examples:
        text, question = (example["conversations"][i]["value"] for i in (0, 2))
        last = groups[-1] if groups else None
        if (
            last
            and last[0]["conversations"][0]["value"] == text
            and all(e["conversations"][2]["value"] != question for e in last)
        ):
            last.append(example)
        else:
            groups.append([example])
    return groups


def compare(dataset: str, examples: list[dict]) -> dict:
    docs = build_docs(dataset, "uniner", "0shot")
    sentences: dict[str, dict[str, dict]] = {}
    for doc in docs:
        sentences.setdefault(doc["sentence_id"], {})[doc["prompt"]] = doc
    ours = list(sentences.values())
    counts: Counter = Counter()
    mismatches = []
    position = 0
    for group in group_by_sentence(examples):
        prompts = [upstream_prompt(e["conversations"]) for e in group]
        # Walk our sentences in order to the one asked (UniNER's data skips a few).
        start = position
        while position < len(ours) and prompts[0] not in ours[position]:
            position += 1
        if position == len(ours):
            counts["upstream sentences not found"] += 1
            position = start
            continue
        counts["our sentences skipped by upstream"] += position - start
        mine = ours[position]
        position += 1
        counts["sentences"] += 1
        for example, prompt in zip(group, prompts, strict=True):
            counts["queries"] += 1
            doc = mine.get(prompt)
            if doc is None:
                counts["prompt differs"] += 1
                continue
            counts["prompt equal"] += 1
            gold = example["conversations"][-1]["value"]
            if " " + gold == doc["target"]:
                counts["gold answer equal"] += 1
            else:
                counts["gold answer differs"] += 1
                mismatches.append(
                    {"id": example["id"], "upstream": gold, "sciner": doc["target"][1:]}
                )
    counts["our sentences skipped by upstream"] += len(ours) - position
    asked = {d["query_types"][0] for d in docs}
    return {
        "counts": dict(counts),
        "types_asked_by_sciner": sorted(asked),
        "mismatches": mismatches,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uniner", type=Path, required=True, help="a universal-ner checkout")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    data = args.uniner / "src" / "eval" / "test_data"
    commit = subprocess.run(
        ["git", "-C", str(args.uniner), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    report = {"universal-ner": commit or "unknown", "datasets": {}}
    for dataset, name in FILES.items():
        examples = json.loads((data / name).read_text(encoding="utf-8"))
        result = compare(dataset, examples)
        report["datasets"][dataset] = result
        print(dataset, result["counts"])
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "uniner_crossner_parity.json"
        path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
