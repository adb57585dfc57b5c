"""The leaderboard never loses data on bad input: Markdown cells are escaped, out-of-range
metrics are reported and left empty, a flood of invalid lines is listed capped but counted
exactly, CLI failures are one `error:` line, and runs that differ only in their 1-shot
demonstration sampler or seed are kept apart."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from test_leaderboard import metrics

from leaderboard import export
from leaderboard.__main__ import main
from leaderboard.collect import collect
from leaderboard.problems import InputWarning
from leaderboard.site import build_site
from leaderboard.tables import OURS
from sciner_tasks.data import load_split

REPO = Path(__file__).resolve().parents[1]
UNINER = "Universal-NER/UniNER-7B-type"
INVALID_LINES = 20_000
MAX_LISTED = 50  # more problems than this for one file is a flood, whatever the exact cap

# ------------------------------------------------------------------ synthetic lm-eval output


def results(args: dict, tasks: dict[str, dict], date: float) -> dict:
    return {
        "results": tasks,
        "n-samples": {task: {"original": 551, "effective": 551} for task in tasks},
        "config": {"model": "hf", "model_args": args},
        "model_name": args["pretrained"],
        "date": date,
    }


def write_run(folder: Path, stamp: str, data: dict, samples: dict | None = None) -> Path:
    """results_<stamp>.json and, per task, samples_<task>_<stamp>.jsonl of the given lines."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"results_{stamp}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    for task, records in (samples or {}).items():
        lines = "".join(json.dumps(r) + "\n" for r in records)
        (folder / f"samples_{task}_{stamp}.jsonl").write_text(lines, encoding="utf-8")
    return path


def logged(item: dict) -> dict:
    """An lm-eval --log_samples line: our item under each metric's name."""
    return {"doc_id": 0, "resps": [["..."]], "f1": item}


SENTENCE = load_split("scierc", "test")[0]
ITEM = {
    "sentence_id": SENTENCE.id,
    "text": SENTENCE.text,
    "entities": [
        {"start": e.start, "end": e.end, "type": e.type, "text": e.text} for e in SENTENCE.entities
    ],
    "predictions": [],
    "failed": False,
}


def collect_warned(folders) -> tuple:
    """The collection and the InputWarnings it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        collection = collect(folders)
    return collection, [w for w in caught if issubclass(w.category, InputWarning)]


def markdown_rows(markdown: str) -> list[list[str]]:
    """Every table block of the Markdown as its header followed by its rows, each split into
    cells on the pipes a Markdown renderer splits on (unescaped ones)."""
    tables, block = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            block.append(re.split(r"(?<!\\)\|", line)[1:-1])
        elif block:
            tables.append(block)
            block = []
    return tables


# ------------------------------------------------------------------ 1: Markdown escaping


def test_markdown_cells_are_escaped(tmp_path):
    out = tmp_path / "results"
    model = "org/Evil\nModel <b>bold | & co"
    task = "sciner_scierc_0shot"
    script = "<script>alert(6)</script>"
    item = ITEM | {"predictions": [[script, "Japanese text"]]}
    write_run(
        out,
        "s1",
        results({"pretrained": model}, {task: metrics(0.0)}, date=1.0),
        samples={task: [logged(item)]},
    )
    collection, _ = collect_warned([out])
    assert collection.runs[0].model == "Evil\nModel <b>bold | & co"
    markdown = export.markdown(build_site(collection, [str(out)]))
    assert script not in markdown and "<b>" not in markdown
    assert "&lt;script&gt;alert(6)&lt;/script&gt;" in markdown
    tables = markdown_rows(markdown)
    assert len(tables) == 7  # the cross-dataset table has no rows
    for header, _, *rows in tables:
        for row in rows:
            assert len(row) == len(header), row  # a newline or pipe did not split the row
    runs_table = next(t for t in tables if t[0][0].strip() == "Model" and len(t[0]) > 15)
    assert len(runs_table) == 3  # header, alignment, the one run


# ------------------------------------------------------------------ 2: out-of-range metrics


def test_out_of_range_metrics_are_reported_and_left_empty(tmp_path):
    out = tmp_path / "results"
    task = "sciner_scierc_0shot_uniner"
    block = metrics(0.5, precision=1.0, recall=0.0) | {
        "f1,none": 42.0,
        "normalised_f1,none": -0.3,
        "f1_stderr,none": -0.01,
    }
    path = write_run(out, "s1", results({"pretrained": UNINER}, {task: block}, date=1.0))
    collection, caught = collect_warned([out])
    assert [str(w.message) for w in caught] == [str(p) for p in collection.problems]
    for metric, value in (("f1", 42.0), ("normalised_f1", -0.3), ("f1_stderr", -0.01)):
        found = [
            p
            for p in collection.problems
            if p.path == path and task in p.message and f" {metric} {value} " in p.message
        ]
        assert len(found) == 1, (metric, collection.problems)
        assert not found[0].skipped  # the run is kept, that cell empty
    assert len(collection.problems) == 3  # not also reported as missing (partial results)
    (run,) = collection.runs
    assert {m: run.metrics[m] for m in ("f1", "normalised_f1", "f1_stderr")} == dict.fromkeys(
        ("f1", "normalised_f1", "f1_stderr")
    )
    assert (run.metrics["precision"], run.metrics["recall"]) == (1.0, 0.0)  # the bounds are valid
    site = build_site(collection, [str(out)])
    (ours,) = [r for r in site.study[0].rows if r.kind == OURS]
    assert ours.cells[site.study[0].headers.index("SciERC 0-shot")] is None
    # No table or run record shows the values (only the problems quote them).
    document = json.loads(export.json_text(site))
    shown = [
        str(markdown_rows(export.markdown(site))),
        json.dumps([document["tables"], document["runs"]]),
        export.csv_text(site.runs),
    ]
    for text in shown:
        assert not re.search(r"4200|\b42\.0|-30\.0|-0\.3\b|-1\.0\b|-0\.01\b", text)
    assert "0 input items skipped, 3 kept with a warning" in export.summary(site)


# ------------------------------------------------------------------ 3: a flood of bad lines


def test_a_flood_of_invalid_lines_is_capped_and_counted(tmp_path):
    out = tmp_path / "results"
    task = "sciner_scierc_0shot_uniner"
    write_run(out, "s1", results({"pretrained": UNINER}, {task: metrics(0.4)}, date=1.0))
    samples = out / f"samples_{task}_s1.jsonl"
    samples.write_text("{not json\n" * INVALID_LINES, encoding="utf-8")
    collection, caught = collect_warned([out])
    assert len(caught) == len(collection.problems) <= MAX_LISTED
    listed = [p for p in collection.problems if p.path == samples and p.line is not None]
    (rest,) = [p for p in collection.problems if "more invalid lines" in p.message]
    assert rest.path == samples and rest.skipped
    assert f"and {INVALID_LINES - len(listed)} more invalid lines" in str(rest)
    # Every skipped line is counted, and the run without a breakdown too.
    assert collection.skipped == INVALID_LINES + 1
    site = tmp_path / "site"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        assert main(["build", str(out), "--out", str(site)]) == 0
    document = json.loads((site / "leaderboard.json").read_text())
    assert document["summary"]["skipped"] == INVALID_LINES + 1
    assert sum(p["count"] for p in document["problems"] if p["skipped"]) == INVALID_LINES + 1
    assert f"{INVALID_LINES + 1} input items skipped" in (site / "index.html").read_text()
    for name in ("index.html", "leaderboard.json", "leaderboard.md"):
        assert (site / name).stat().st_size < 100_000, name


def test_a_flood_of_bad_results_entries_is_capped_and_counted(tmp_path):
    out = tmp_path / "results"
    tasks = {f"mmlu_subject_{k}": metrics(0.5) for k in range(500)}
    tasks["sciner_scierc_0shot_uniner"] = metrics(0.4)
    path = write_run(out, "s1", results({"pretrained": UNINER}, tasks, date=1.0))
    collection, caught = collect_warned([out])
    assert len(caught) == len(collection.problems) <= MAX_LISTED
    assert collection.skipped == 500 and len(collection.runs) == 1
    (rest,) = [p for p in collection.problems if "more" in p.message]
    assert rest.path == path


# ------------------------------------------------------------------ 4: CLI failures


def cli(argv: list[str], capsys) -> tuple[int, str]:
    """main's exit status and stderr; an exception escaping main fails the test."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


def assert_one_error_line(code: int, err: str) -> None:
    assert code in (1, 2), (code, err)
    assert len([line for line in err.splitlines() if "error:" in line]) == 1, err
    assert "Traceback" not in err


@pytest.fixture
def run_folder(tmp_path) -> Path:
    out = tmp_path / "results"
    task = "sciner_scierc_0shot_uniner"
    write_run(out, "s1", results({"pretrained": UNINER}, {task: metrics(0.4)}, date=1.0))
    return out


def test_out_naming_an_existing_file_is_an_error(run_folder, tmp_path, capsys):
    file = tmp_path / "site.html"
    file.write_text("keep me")
    assert_one_error_line(*cli(["build", str(run_folder), "--out", str(file)], capsys))
    assert file.read_text() == "keep me"


def test_out_naming_an_existing_file_from_the_command_line(run_folder, tmp_path):
    """The real command: its stderr has the error line and no traceback."""
    file = tmp_path / "site.html"
    file.write_text("keep me")
    done = subprocess.run(
        [sys.executable, "-m", "leaderboard", "build", str(run_folder), "--out", str(file)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert_one_error_line(done.returncode, done.stderr)


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_results_that_are_not_a_folder_are_an_error(run_folder, tmp_path, kind, capsys):
    results_path = tmp_path / "nowhere"
    if kind == "a file":
        results_path.write_text("")
    site = tmp_path / "site"
    argv = ["build", str(run_folder), str(results_path), "--out", str(site)]
    assert_one_error_line(*cli(argv, capsys))
    assert not site.exists()  # nothing written: a typo must not overwrite a site


@pytest.mark.parametrize("where", ["below a file", "an output that is a folder"])
def test_an_unwritable_out_is_an_error(run_folder, tmp_path, where, capsys):
    blocker = tmp_path / "blocker"
    if where == "below a file":
        blocker.write_text("")
        site = blocker / "site"
    else:
        site = tmp_path / "site"
        (site / "index.html").mkdir(parents=True)  # writable by no one, root included
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        assert_one_error_line(*cli(["build", str(run_folder), "--out", str(site)], capsys))


# ------------------------------------------------------------------ 5: 1-shot sampler and seed


def with_task_metadata(data: dict, task: str, metadata: dict) -> dict:
    """The results as lm-eval writes them after `--metadata JSON`: merged into the task's
    config (configs.<task>.metadata) with the model arguments."""
    config = {"task": task, "metadata": {"version": 2.0, "pretrained": UNINER, **metadata}}
    return data | {"configs": {**data.get("configs", {}), task: config}}


def test_runs_with_decoding_overrides_are_kept_apart_and_labelled(tmp_path):
    """lm-eval --gen_kwargs replaces the tasks' greedy decoding: such a run is another setting,
    not a duplicate of the greedy one, and not comparable with the study."""
    out = tmp_path / "results"
    task = "sciner_scierc_0shot_uniner"

    def run(stamp, f1, date, gen_kwargs):
        data = results({"pretrained": UNINER}, {task: metrics(f1)}, date)
        data["config"]["gen_kwargs"] = gen_kwargs
        return write_run(out, stamp, data)

    greedy = run("s0", 0.20, 3.0, {})
    sampled = run("s1", 0.30, 1.0, {"temperature": 0.7, "do_sample": True, "until": ["\n"]})
    # lm-eval before 0.4.13 wrote the command line's string.
    as_string = run("s2", 0.25, 2.0, "max_gen_toks=64,temperature=0")
    # Shapes lm-eval never writes (hand-edited files) are shown as written, not dropped.
    no_pairs = run("s3", 0.22, 2.5, "greedy please")
    a_number = run("s4", 0.21, 2.6, 7)
    collection, _ = collect_warned([out])
    assert not collection.problems
    labels = {r.results_path: r.model for r in collection.runs}
    assert labels == {
        greedy: "UniNER-7B",
        sampled: 'UniNER-7B [decoding do_sample=true, temperature=0.7, until=["\\n"]]',
        as_string: "UniNER-7B [decoding max_gen_toks=64, temperature=0]",
        no_pairs: "UniNER-7B [decoding greedy please]",
        a_number: "UniNER-7B [decoding 7]",
    }
    assert [r.study_model for r in collection.runs if r.results_path != greedy] == [None] * 4


def test_runs_differing_in_sampler_or_seed_are_all_kept(tmp_path):
    out = tmp_path / "results"
    one_shot, zero_shot = "sciner_scierc_1shot_uniner", "sciner_scierc_0shot_uniner"

    def run(stamp, f1, date, metadata):
        data = results(
            {"pretrained": UNINER}, {one_shot: metrics(f1), zero_shot: metrics(f1)}, date
        )
        data = with_task_metadata(data, one_shot, metadata)
        return write_run(out, stamp, with_task_metadata(data, zero_shot, metadata))

    knn = run("s1", 0.30, 1.0, {"sampler": "knn"})
    seed = run("s2", 0.25, 2.0, {"seed": 7})
    # The default written out, the seed as lm-eval's key=value syntax gives it: the same run.
    explicit_default = run("s0", 0.10, 0.5, {"sampler": "random", "seed": 1234.0})
    default = run("s3", 0.20, 3.0, {})
    collection, _ = collect_warned([out])
    one_shot_runs = {r.model: r for r in collection.runs if r.task == one_shot}
    assert len(one_shot_runs) == 3
    assert one_shot_runs["UniNER-7B"].results_path == default
    knn_labels = [m for m, r in one_shot_runs.items() if r.results_path == knn]
    seed_labels = [m for m, r in one_shot_runs.items() if r.results_path == seed]
    assert len(knn_labels) == len(seed_labels) == 1
    assert "kNN" in knn_labels[0] and "7" in seed_labels[0]
    # 0-shot draws no demonstration: the sampler does not matter, the newest run is kept.
    (zero,) = [r for r in collection.runs if r.task == zero_shot]
    assert zero.results_path == default and zero.model == "UniNER-7B"
    duplicates = [(p.path, p.message) for p in collection.problems if "duplicate" in p.message]
    assert len(duplicates) == 4 and len(collection.problems) == 4
    assert {path for path, message in duplicates if zero_shot in message} == {
        knn,
        seed,
        explicit_default,
    }
    assert [path for path, message in duplicates if one_shot in message] == [explicit_default]
    # Table 1: the default sampler is compared with the study; the others are their own rows.
    table1 = build_site(collection, [str(out)]).study[0]
    column = table1.headers.index("SciERC 1-shot")
    ours = {r.cells[0]: r.cells[column] for r in table1.rows if r.kind == OURS}
    assert ours == pytest.approx({"UniNER-7B": 20.0, knn_labels[0]: 30.0, seed_labels[0]: 25.0})


def test_the_sampler_set_in_dataset_kwargs_counts_too(tmp_path):
    """lm-eval calls load_docs with the task's dataset_kwargs as well as its metadata."""
    out = tmp_path / "results"
    task = "sciner_scierc_1shot_uniner"
    default = results({"pretrained": UNINER}, {task: metrics(0.2)}, date=2.0)
    knn = default | {
        "date": 1.0,
        "configs": {task: {"task": task, "dataset_kwargs": {"sampler": "knn"}}},
    }
    write_run(out, "s1", knn)
    write_run(out, "s2", default)
    collection, _ = collect_warned([out])
    assert len(collection.runs) == 2 and not collection.problems
