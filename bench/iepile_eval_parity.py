"""Our IEPile `upstream_f1` against IEPile's own scorer, on every task's own gold targets.

For each dataset this script writes the iepile task's documents, each answered with its own
gold target, in the shape IEPile's ie2instruction/eval_func.py reads (the fields of
convert_func.py `get_test_data`: id = SHA-256 of the text, source, the instruction JSON, the
de-duplicated gold as `label`; plus the generation as `output`), runs eval_func.py from a
checkout you give it (with a Python that has its imports, rouge-chinese and jieba), and sets
its P/R/F1 and instance count beside ours. Nothing of IEPile is stored in sciner.

    git clone https://github.com/zjunlp/IEPile /tmp/IEPile
    python -m venv /tmp/iepile-venv && /tmp/iepile-venv/bin/pip install rouge-chinese jieba
    python bench/iepile_eval_parity.py --iepile /tmp/IEPile --python /tmp/iepile-venv/bin/python \
        --out bench/results
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

from sciner_tasks.data import DATASETS, load_spec
from sciner_tasks.data.store import locate
from sciner_tasks.formats.iepile import instruction
from sciner_tasks.harness import process_results, upstream_counts
from sciner_tasks.prompting import build_docs


def eval_func_records(dataset: str) -> tuple[list[dict], dict]:
    """The eval_func.py input lines for the 0-shot iepile task answered with its targets, and
    our upstream counts for the same answers."""
    types = load_spec(dataset).types_for("iepile")
    docs = build_docs(dataset, "iepile", "0shot")
    records = []
    for doc in docs:
        pairs = dict.fromkeys((e["text"], types[e["type"]]) for e in doc["entities"])
        records.append(
            {
                "id": hashlib.sha256(doc["text"].encode("utf-8")).hexdigest(),
                "task": "NER",
                "source": dataset,
                "instruction": instruction(doc["text"], doc["query_types"], types),
                "label": json.dumps(
                    [{"entity": e, "entity_type": t} for e, t in pairs], ensure_ascii=False
                ),
                "output": doc["target"],
            }
        )
    counts = upstream_counts(process_results(d, [d["target"]])["upstream_f1"] for d in docs)
    ours = {
        "sentences": len({d["sentence_id"] for d in docs}),
        "instances": len({d["text"] for d in docs}),
        "tp": counts.tp,
        "predicted": counts.tp + counts.fp,
        "gold": counts.tp + counts.fn,
        "upstream_f1": round(100 * counts.f1, 4),
    }
    return records, ours


def run_eval_func(iepile: Path, python: str, records: list[dict], folder: Path) -> dict:
    """eval_func.py's printed result ({'total': {...}}, a Python literal) for these records."""
    path = folder / "output.json"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    printed = subprocess.run(
        [python, "eval_func.py", "--path1", str(path), "--task", "NER", "--language", "en"],
        cwd=iepile / "ie2instruction",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[-1]
    total = ast.literal_eval(printed)["total"]
    return {"instances": total["总样本数"], "errors": total["错误数"]} | {
        key: total[key] for key in ("P", "R", "F1")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iepile", type=Path, required=True, help="a zjunlp/IEPile checkout")
    parser.add_argument("--python", default="python", help="a Python with rouge-chinese, jieba")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args(argv)
    commit = subprocess.run(
        ["git", "-C", str(args.iepile), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    rows = {}
    for dataset in [name for name in DATASETS if locate(name)]:
        records, ours = eval_func_records(dataset)
        with tempfile.TemporaryDirectory() as folder:
            theirs = run_eval_func(args.iepile, args.python, records, Path(folder))
        rows[dataset] = {"sciner": ours, "eval_func": theirs}
        print(dataset, ours, theirs)
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"iepile_commit": commit or None, "datasets": rows}
    out = args.out / "iepile_eval_parity.json"
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
