"""The averages table: per model and setting, the unweighted mean F1 over the scientific sets and
over the general-domain sets, with its standard error; a mean only for a row with every set of
the group on its full test split; the study's means from its reported per-set F1; the table in
the Markdown, the JSON, the CSV and the page."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_leaderboard import UNINER, quietly, results, rows, write_run, zoo, zoo_site

from leaderboard import export
from leaderboard.__main__ import main
from leaderboard.collect import collect
from leaderboard.reference import load_reported
from leaderboard.site import build_site
from leaderboard.tables import DIFFERENCE, OURS, REPORTED
from sciner_tasks.names import GENERAL_DOMAIN, SCIENTIFIC

__all__ = ["zoo", "zoo_site"]  # fixtures of test_leaderboard, used here too

FULL, SUBSET = (551, 551), (2, 551)
SCI, GEN = "Scientific mean F1", "General-domain mean F1"
# UniNER 0-shot on the four scientific sets: mean 25, SE sqrt(2² + 1² + 2² + 4²) / 4 = 1.25.
UNINER_F1 = {"scierc": 0.40, "stem_ecr": 0.20, "measeval": 0.10, "wlpc": 0.30}
UNINER_STDERR = {"scierc": 0.02, "stem_ecr": 0.01, "measeval": 0.02, "wlpc": 0.04}


def metrics(f1: float, stderr: float | None = 0.01) -> dict:
    """A task's metrics as lm-eval writes them; stderr None: lm-eval's "N/A"."""
    values = {
        "f1": f1,
        "f1_stderr": "N/A" if stderr is None else stderr,
        "precision": f1,
        "recall": f1,
        "normalised_f1": f1,
        "hallucination_rate": 0.0,
        "parse_failure_rate": 0.0,
    }
    return {f"{k},none": v for k, v in values.items()}


def write(out: Path, stamp: str, args: dict, tasks: dict[str, dict], n=FULL) -> None:
    write_run(out / stamp, stamp, results(args, tasks, date=float(len(stamp)), n=n))


@pytest.fixture(scope="module")
def averages_results(tmp_path_factory) -> Path:
    """Runs with known F1: UniNER 0-shot on every scientific set and five of the six general
    ones; a model of ours on every scientific set 1-shot, one of them on a subset only, and on
    every general set 0-shot, one without a standard error."""
    out = tmp_path_factory.mktemp("averages") / "results"
    uniner = {"pretrained": UNINER}
    write(
        out,
        "uniner-sci",
        uniner,
        {f"sciner_{d}_0shot_uniner": metrics(UNINER_F1[d], UNINER_STDERR[d]) for d in SCIENTIFIC},
    )
    write(
        out,
        "uniner-gen",
        uniner,
        {f"sciner_{d}_0shot_uniner": metrics(0.5) for d in GENERAL_DOMAIN[:-1]},
    )
    mine = {"pretrained": "org/my-model"}
    write(out, "mine-full", mine, {f"sciner_{d}_1shot": metrics(0.3) for d in SCIENTIFIC[:-1]})
    write(out, "mine-subset", mine, {f"sciner_{SCIENTIFIC[-1]}_1shot": metrics(0.9)}, n=SUBSET)
    general = {f"sciner_{d}_0shot": metrics(0.1 * (k + 1)) for k, d in enumerate(GENERAL_DOMAIN)}
    general[f"sciner_{GENERAL_DOMAIN[0]}_0shot"] = metrics(0.1, stderr=None)
    write(out, "mine-gen", mine, general)
    return out


@pytest.fixture(scope="module")
def averages(averages_results):
    return build_site(quietly(collect, [averages_results]), [str(averages_results)]).averages


def row(table, model: str, setting: str, kind: str = OURS) -> dict:
    (found,) = [r for r in rows(table, model, kind) if r["Setting"] == setting]
    return found


def test_known_f1s_give_the_known_mean_and_standard_error(averages):
    uniner = row(averages, "UniNER-7B", "0-shot")
    assert uniner[SCI] == pytest.approx(25.0)
    assert uniner["Scientific SE"] == pytest.approx(1.25)
    assert uniner["Scientific sets"] == "4/4"
    mine = row(averages, "my-model", "0-shot")
    assert mine[GEN] == pytest.approx(35.0)  # (10 + 20 + ... + 60) / 6, each set once
    assert mine["General-domain SE"] is None  # one set has no standard error


def test_a_row_missing_a_set_gets_no_mean(averages):
    uniner = row(averages, "UniNER-7B", "0-shot")
    assert uniner[GEN] is None and uniner["General-domain SE"] is None
    assert uniner["General-domain sets"] == "5/6"


def test_a_subset_run_does_not_count(averages):
    mine = row(averages, "my-model", "1-shot")
    assert mine[SCI] is None and mine["Scientific SE"] is None
    assert mine["Scientific sets"] == "3/4 (+1 subset)"


def test_a_cross_dataset_fine_tune_does_not_count_as_sft(zoo_site):
    # The zoo's UniNER adapter was trained on SciERC and also evaluated on STEM-ECR and
    # MeasEval: only its SciERC run is an SFT cell of Table 2.
    assert row(zoo_site.averages, "UniNER-7B", "SFT")["Scientific sets"] == "1/4"


def reported_mean(table: str, model: str, columns: list[str]) -> float:
    (reported,) = [r for r in load_reported(table) if r.model == model]
    return sum(reported.values[c] for c in columns) / len(columns)


def test_the_studys_means_are_those_of_its_reported_f1(averages):
    cases = [
        ("0-shot", SCI, "table1", [f"{d}_0shot" for d in SCIENTIFIC]),
        ("1-shot", SCI, "table1", [f"{d}_1shot" for d in SCIENTIFIC]),
        ("SFT", SCI, "table2", [f"{d}_sft" for d in SCIENTIFIC]),
        ("0-shot", GEN, "table3", list(GENERAL_DOMAIN)),
    ]
    for setting, mean, table, columns in cases:
        for reported in load_reported(table):
            if all(c in reported.values for c in columns):
                got = row(averages, reported.model, setting, REPORTED)[mean]
                assert got == pytest.approx(reported_mean(table, reported.model, columns))
    # By hand: GPT-4 0-shot; Llama2 70B's 0-shot SciERC is Table 1's 18.12, not Table 2's
    # 15.12; BERT-base has only SFT, and the study no standard errors.
    gpt4 = row(averages, "GPT-4", "0-shot", REPORTED)
    assert gpt4[SCI] == pytest.approx(30.3925) and gpt4[GEN] == pytest.approx(380.39 / 6)
    assert gpt4["Scientific SE"] is None
    assert row(averages, "Llama2 70B", "0-shot", REPORTED)[SCI] == pytest.approx(14.80)
    assert row(averages, "BERT-base", "SFT", REPORTED)[SCI] == pytest.approx(56.4825)
    assert [r["Setting"] for r in rows(averages, "BERT-base", REPORTED)] == ["SFT"]
    # Where the study has no set of a group, the mean is empty and says so.
    gpt4_1shot = row(averages, "GPT-4", "1-shot", REPORTED)
    assert gpt4_1shot[GEN] is None and gpt4_1shot["General-domain sets"] == "0/6"


def test_our_row_follows_the_reported_one_with_the_difference_of_means(averages):
    reported = row(averages, "UniNER-7B", "0-shot", REPORTED)
    difference = row(averages, "UniNER-7B", "0-shot", DIFFERENCE)
    assert difference[SCI] == pytest.approx(25.0 - reported[SCI])
    assert difference[GEN] is None and difference["Scientific SE"] is None
    kinds = [(r.cells[0], r.cells[3], r.kind) for r in averages.rows]
    at = kinds.index(("UniNER-7B", "0-shot", REPORTED))
    assert kinds[at + 1 : at + 3] == [
        ("UniNER-7B", "0-shot", OURS),
        ("UniNER-7B", "0-shot", DIFFERENCE),
    ]
    # A model the study lacks comes last, without reported or difference rows.
    assert kinds[-2:] == [("my-model", "0-shot", OURS), ("my-model", "1-shot", OURS)]


def test_the_table_is_in_the_markdown_json_csv_and_page(averages_results, tmp_path):
    site = tmp_path / "site"
    assert quietly(main, ["build", str(averages_results), "--out", str(site)]) == 0
    markdown = (site / "leaderboard.md").read_text(encoding="utf-8")
    assert "## Averages: mean F1" in markdown
    assert "| UniNER-7B | s-llm | ours | 0-shot | 25.00 | 1.25 | 4/4 | – | – | 5/6 |" in markdown
    assert "| my-model | – | ours | 1-shot | – | – | 3/4 (+1 subset) |" in markdown
    document = json.loads((site / "leaderboard.json").read_text(encoding="utf-8"))
    (table,) = [t for t in document["tables"] if t["key"] == "averages"]
    assert [25.0, 1.25, "4/4"] in [r["cells"][4:7] for r in table["rows"]]
    built = build_site(quietly(collect, [averages_results]), [])
    lines = csv.DictReader(io.StringIO(export.csv_text(built.averages)))
    uniner = [r for r in lines if r["Model"] == "UniNER-7B" and r["Source"] == OURS]
    assert uniner[0][SCI] == "25.0" and uniner[0][GEN] == ""
    page = (site / "index.html").read_text(encoding="utf-8")
    assert 'data-key="averages"' in page and page.index('id="averages"') < page.index(
        'id="figure1"'
    )
    assert '<td class="num" data-value="25.0">25.00</td>' in page
