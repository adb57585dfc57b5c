"""`python -m leaderboard compare`: the paired tests on runs with a known answer, the refusal of
runs that did not see the same sentences, and the CLI on result folders in lm-eval's layout."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from leaderboard.__main__ import main
from leaderboard.collect import collect
from leaderboard.pairing import paired_p_value
from leaderboard.problems import InputWarning
from leaderboard.significance import paired_bootstrap, randomisation_test
from leaderboard.site import build_site
from leaderboard.tables import OURS
from sciner_tasks.names import METRICS

TASK = "sciner_scierc_0shot"
SENTENCES = 60
RIGHT, WRONG = (1, 0, 0), (0, 1, 1)  # tp, fp, fn of a sentence with one gold entity


def counts(rows) -> np.ndarray:
    return np.array(rows, dtype=np.int64)


# ------------------------------------------------------------------ the tests on counts


def test_identical_runs_give_difference_0_and_p_1():
    runs = np.random.default_rng(0).integers(0, 5, size=(SENTENCES, 3))
    assert paired_bootstrap(runs, runs.copy()) == (0.0, (0.0, 0.0), 1.0)
    assert randomisation_test(runs, runs.copy()) == 1.0


def test_a_run_better_on_every_sentence_is_significant():
    a, b = counts([WRONG] * SENTENCES), counts([RIGHT] * SENTENCES)
    bootstrap = paired_bootstrap(a, b)
    assert bootstrap.difference == 1.0 and bootstrap.interval == (1.0, 1.0)
    assert bootstrap.p_value < 0.01 and randomisation_test(a, b) < 0.01
    # The same runs the other way round: the difference changes sign, the p-values do not.
    reverse = paired_bootstrap(b, a)
    assert reverse.difference == -1.0 and reverse.p_value == bootstrap.p_value
    assert randomisation_test(b, a) == randomisation_test(a, b)


# B is right on K sentences where A is wrong; both are right on the rest. Exactly:
# * randomisation: swapping j of the K makes the difference (K - 2j) / n, as extreme as the
#   observed K / n only for j = 0 or K, so p = 2 / 2**K;
# * bootstrap: a resample's difference is (K-sentences drawn) / n, on the other side of 0 (at
#   0) only when none is drawn, with probability (1 - K / n)**n; p = 2 (1 - K / n)**n.
K = 3


def one_sided_runs() -> tuple[np.ndarray, np.ndarray]:
    a = counts([WRONG] * K + [RIGHT] * (SENTENCES - K))
    return a, counts([RIGHT] * SENTENCES)


def test_randomisation_p_is_the_exact_permutation_p():
    p = randomisation_test(*one_sided_runs())
    # Monte Carlo: 10,000 shuffles estimate 1/4 with a standard error of 0.0043.
    assert p == pytest.approx(2 / 2**K, abs=0.02)


def test_bootstrap_p_and_interval_are_the_known_ones():
    bootstrap = paired_bootstrap(*one_sided_runs())
    assert bootstrap.difference == pytest.approx(K / SENTENCES)
    assert bootstrap.p_value == pytest.approx(2 * (1 - K / SENTENCES) ** SENTENCES, abs=0.015)
    # K-sentences drawn ~ Binomial(60, 0.05): 2.5% quantile 0, 97.5% quantile 7.
    assert bootstrap.interval == pytest.approx((0.0, 7 / SENTENCES))


def test_tests_are_seeded():
    a, b = one_sided_runs()
    assert paired_bootstrap(a, b, seed=7) == paired_bootstrap(a, b, seed=7)
    assert randomisation_test(a, b, seed=7) == randomisation_test(a, b, seed=7)
    assert randomisation_test(a, b, seed=7) != randomisation_test(a, b, seed=8)


def test_counts_of_different_sentences_are_refused():
    with pytest.raises(ValueError, match="same sentences"):
        paired_bootstrap(counts([RIGHT] * 3), counts([RIGHT] * 4))
    with pytest.raises(ValueError, match="same sentences"):
        randomisation_test(counts([]).reshape(0, 3), counts([]).reshape(0, 3))


# ------------------------------------------------------------------ runs in lm-eval's layout


def item(index: int, right: bool, gold_type: str = "Task") -> dict:
    """Sentence `index`, with one gold entity, as our lm-eval task logs it."""
    name = f"method{index}"
    text = f"We study {name} here."
    start = text.index(name)
    return {
        "sentence_id": f"test-{index}",
        "text": text,
        "entities": [{"start": start, "end": start + len(name), "type": gold_type, "text": name}],
        "predictions": [[gold_type, name if right else "nothing"]],
        "failed": False,
    }


def write_run(
    out: Path,
    model: str,
    items: list[dict],
    stamp: str = "2026-01-01T00-00-00.1",
    f1: float = 0.5,
    f1_stderr: float = 0.05,
):
    """lm-eval's --output_path OUT --log_samples files: OUT/<model>/results_<stamp>.json and
    samples_<task>_<stamp>.jsonl, our item logged under each metric's name."""
    folder = out / model.replace("/", "__")
    folder.mkdir(parents=True, exist_ok=True)
    # compare reads only the samples; the metrics are there so the results file is complete
    # (the leaderboard ranks runs by their F1).
    metrics = {f"{m},none": 0.5 for m in METRICS} | {"f1,none": f1, "f1_stderr,none": f1_stderr}
    results = {
        "results": {TASK: {"alias": TASK, **metrics}},
        "n-samples": {TASK: {"original": len(items), "effective": len(items)}},
        "config": {"model": "hf", "model_args": {"pretrained": model}},
        "model_name": model,
        "date": 1.0,
    }
    path = folder / f"results_{stamp}.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    lines = [json.dumps({"doc_id": i, "f1": it, "precision": it}) for i, it in enumerate(items)]
    (folder / f"samples_{TASK}_{stamp}.jsonl").write_text("\n".join(lines) + "\n")
    return path


def run_items(right: list[bool]) -> list[dict]:
    return [item(i, r) for i, r in enumerate(right)]


# A right on the first half, B on the first two thirds: B is better on 10 sentences.
A_RIGHT = [i < SENTENCES // 2 for i in range(SENTENCES)]
B_RIGHT = [i < 2 * SENTENCES // 3 for i in range(SENTENCES)]


@pytest.fixture
def runs(tmp_path) -> tuple[Path, Path]:
    a = tmp_path / "a"
    b = tmp_path / "b"
    write_run(a, "org/model-a", run_items(A_RIGHT))
    write_run(b, "org/model-b", run_items(B_RIGHT))
    return a, b


def compare(capsys, *argv) -> tuple[int, str, str]:
    code = main(["compare", *map(str, argv)])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def test_cli_compares_two_result_folders(runs, tmp_path, capsys):
    figures = tmp_path / "figures.json"
    code, out, err = compare(capsys, *runs, "--json", figures)
    assert code == 0 and err == ""
    (line,) = [line for line in out.splitlines() if line.startswith(TASK)]
    # F1: 30/60 and 40/60 sentences right, one gold and one prediction each.
    assert line.split()[:5] == [TASK, "60", "50.00", "66.67", "+16.67"]
    assert "   model-a (0shot)" in out and "   model-b (0shot)" in out
    document = json.loads(figures.read_text())
    (task,) = document["tasks"]
    expected = paired_bootstrap(
        counts([RIGHT if r else WRONG for r in A_RIGHT]),
        counts([RIGHT if r else WRONG for r in B_RIGHT]),
    )
    assert task["difference"] == pytest.approx(1 / 6) == expected.difference
    assert task["interval"] == list(expected.interval)
    assert task["p_bootstrap"] == expected.p_value < 0.01
    assert task["p_randomisation"] < 0.01
    assert (task["f1_a"], task["f1_b"], task["sentences"]) == (0.5, pytest.approx(2 / 3), 60)
    assert document["refused"] == [] and document["seed"] == 1234


def test_cli_aligns_sentences_by_id_and_reads_results_files(runs, tmp_path, capsys):
    a, b = runs
    compare(capsys, a, b, "--json", tmp_path / "in_order.json")
    # B's samples logged in another order, and given as its results file, not a folder.
    reversed_b = write_run(tmp_path / "reversed", "org/model-b", run_items(B_RIGHT)[::-1])
    code, _, _ = compare(capsys, a, reversed_b, "--json", tmp_path / "reversed.json")
    in_order, reversed_ = (
        json.loads((tmp_path / f"{name}.json").read_text())["tasks"]
        for name in ("in_order", "reversed")
    )
    assert code == 0 and in_order == reversed_


def test_identical_runs_through_the_cli(runs, capsys, tmp_path):
    figures = tmp_path / "figures.json"
    code, out, _ = compare(capsys, runs[0], runs[0], "--json", figures)
    (task,) = json.loads(figures.read_text())["tasks"]
    assert code == 0 and task["difference"] == 0.0
    assert task["p_bootstrap"] == task["p_randomisation"] == 1.0


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


def test_a_limited_run_is_refused(runs, tmp_path, capsys):
    limited = tmp_path / "limited"
    write_run(limited, "org/model-b", run_items(B_RIGHT)[:40])
    code, out, err = compare(capsys, runs[0], limited)
    assert code == 1 and not [line for line in out.splitlines() if line.startswith(TASK)]
    assert errors(err) == [
        f"error: task {TASK}: the runs saw different sentences (60 in A, 40 in B; 20 only in A "
        "('test-40', 'test-41', 'test-42', ...)): was one run limited (--limit) or on another "
        "data version?"
    ]


def test_different_sentence_ids_are_refused(runs, tmp_path, capsys):
    renamed = [item | {"sentence_id": f"dev-{i}"} for i, item in enumerate(run_items(B_RIGHT))]
    write_run(tmp_path / "renamed", "org/model-b", renamed)
    code, _, err = compare(capsys, runs[0], tmp_path / "renamed")
    (error,) = errors(err)
    assert code == 1 and "60 only in A ('test-0'" in error and "60 only in B ('dev-0'" in error


def test_the_same_ids_with_other_gold_are_refused(runs, tmp_path, capsys):
    relabelled = run_items(B_RIGHT)
    relabelled[5] = item(5, True, gold_type="Method")
    write_run(tmp_path / "relabelled", "org/model-b", relabelled)
    code, _, err = compare(capsys, runs[0], tmp_path / "relabelled")
    assert code == 1 and errors(err) == [
        f"error: task {TASK}: the gold entities differ on 1 of 60 sentences ('test-5'): the "
        "runs used different data versions"
    ]


def test_runs_without_samples_or_with_several_models_are_refused(runs, tmp_path, capsys):
    a, b = runs
    (samples,) = b.rglob("samples_*.jsonl")
    samples.unlink()
    code, _, err = compare(capsys, a, b)
    assert code == 1 and "B has no logged samples" in errors(err)[0]
    write_run(a, "org/model-c", run_items(B_RIGHT), stamp="2026-01-01T00-00-00.2")
    code, _, err = compare(capsys, a, runs[0] / "org__model-a")
    assert code == 1 and "A holds 2 runs of it" in errors(err)[0]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["missing", "."], "is neither a directory nor a results_*.json file"),
        ([".", ".", "--iterations", "0"], "expected an integer >= 1"),
        ([".", ".", "--seed", "x"], "expected an integer >= 0"),
    ],
)
def test_cli_rejects_bad_arguments(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["compare", *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


# ------------------------------------------------------------------ the leaderboard's marks


def f1_of(right: list[bool]) -> float:
    return sum(right) / len(right)  # one gold entity and one prediction per sentence


def study_cell(out: Path, model: str):
    """Our row of `model` in Table 1 and the index of its SciERC 0-shot cell."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        collection = collect([out])
    table1 = build_site(collection, [str(out)]).study[0]
    (row,) = [r for r in table1.rows if r.kind == OURS and r.cells[0] == model]
    return row, table1.headers.index("SciERC 0-shot")


def write_ranked(out: Path, rights: dict[str, list[bool]]) -> None:
    for k, (model, right) in enumerate(rights.items()):
        write_run(out, model, run_items(right), f"2026-01-0{k + 1}T00-00-00.1", f1=f1_of(right))


def test_the_best_run_of_a_column_is_marked_when_it_beats_the_second(tmp_path, capsys):
    worst = [i < 10 for i in range(SENTENCES)]
    write_ranked(tmp_path, {"org/a": A_RIGHT, "org/b": B_RIGHT, "org/worst": worst})
    best, column = study_cell(tmp_path, "b")
    # B beats A, the second, on 10 sentences and loses on none: p = 2 / 2**10.
    assert set(best.best) == {column}
    p_value = paired_p_value(*(study_run(tmp_path, m) for m in ("a", "b")))
    assert p_value == randomisation_test(
        counts([RIGHT if r else WRONG for r in A_RIGHT]),
        counts([RIGHT if r else WRONG for r in B_RIGHT]),
    )
    assert p_value < 0.01
    assert best.best[column].startswith(
        f"significantly best of our runs: beats a (F1 50.00) at p = {p_value:.4f}"
    )
    for other in ("a", "worst"):
        assert study_cell(tmp_path, other)[0].best == {}
    site = tmp_path / "site"
    assert main(["build", str(tmp_path), "--out", str(site)]) == 0
    capsys.readouterr()
    page = (site / "index.html").read_text()
    # Tables 1 and 2 both have the SciERC 0-shot column.
    assert page.count('class="best-mark"') == 2
    # 66.67 +- 1.96 x 5.00; the brackets escaped, Markdown syntax otherwise.
    assert "| 66.67 \\[56.87, 76.47\\] ★ |" in (site / "leaderboard.md").read_text()
    document = json.loads((site / "leaderboard.json").read_text())
    marked = [(t["key"], r) for t in document["tables"] for r in t["rows"] if r.get("best")]
    assert [(key, r["cells"][0]) for key, r in marked] == [("table1", "b"), ("table2", "b")]
    assert list(marked[0][1]["best"]) == [str(column)]


def study_run(out: Path, model: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        (run,) = [r for r in collect([out]).runs if r.model == model]
    return run


@pytest.mark.parametrize(
    "second",
    [
        # One sentence better: far from significant.
        [i < 2 * SENTENCES // 3 - 1 for i in range(SENTENCES)],
        # The same F1 (a tie): no best to mark.
        B_RIGHT[::-1],
    ],
)
def test_no_mark_without_a_significant_lead(tmp_path, second):
    write_ranked(tmp_path, {"org/b": B_RIGHT, "org/second": second})
    assert study_cell(tmp_path, "b")[0].best == {}


def test_no_mark_when_best_and_second_cannot_be_paired(tmp_path):
    # The second saw 40 of the 60 sentences (--limit): B's lead over A is significant on the
    # full set (the test above), but these two runs have no common test set.
    limited = tmp_path / "limited"
    write_ranked(limited, {"org/b": B_RIGHT, "org/second": A_RIGHT[:40]})
    assert paired_p_value(study_run(limited, "second"), study_run(limited, "b")) is None
    assert study_cell(limited, "b")[0].best == {}
    # The second logged no samples: its results file alone has no sentences.
    unlogged = tmp_path / "unlogged"
    write_ranked(unlogged, {"org/b": B_RIGHT, "org/second": A_RIGHT})
    for samples in (unlogged / "org__second").glob("samples_*.jsonl"):
        samples.unlink()
    assert study_cell(unlogged, "b")[0].best == {}


@pytest.mark.parametrize(
    ("f1", "stderr", "interval"),
    [(0.5, 0.05, (40.2, 59.8)), (0.02, 0.05, (0.0, 11.8)), (0.99, 0.01, (97.04, 100.0))],
)
def test_our_f1_cells_carry_their_95_percent_interval(tmp_path, f1, stderr, interval):
    write_run(tmp_path, "org/b", run_items(B_RIGHT), f1=f1, f1_stderr=stderr)
    row, column = study_cell(tmp_path, "b")
    assert row.cells[column] == pytest.approx(100 * f1)
    assert row.intervals[column] == pytest.approx(interval, abs=0.01)
    assert [i for i, bounds in enumerate(row.intervals) if bounds] == [column]
    # The all-runs table's F1 cell has it too.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        runs = build_site(collect([tmp_path]), [str(tmp_path)]).runs
    (run,) = runs.rows
    f1_cell = runs.headers.index("F1")
    assert [i for i, bounds in enumerate(run.intervals) if bounds] == [f1_cell]
    assert run.intervals[f1_cell] == pytest.approx(interval, abs=0.01)
