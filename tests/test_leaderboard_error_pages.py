"""The leaderboard's error pages (leaderboard/error_pages.py): where marks sit, the page's data
against the error-class table, and the page in headless Chromium (filters, pagination, a
WLPC-sized run, model output shown as text)."""

from __future__ import annotations

import importlib
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import open_page, screenshot

from leaderboard.__main__ import main
from leaderboard.collect import collect
from leaderboard.error_pages import (
    PAGE_SIZE,
    find,
    predicted_location,
    render,
    repeated_mentions,
    script_json,
    segments,
    sentence_record,
    utf16_offsets,
)
from leaderboard.links import page_path
from leaderboard.run_tables import errors_table
from sciner_tasks.scoring import (
    CORRECT,
    SPURIOUS,
    WRONG_BOUNDARY,
    WRONG_TYPE,
    SentencePredictions,
    Span,
    classify_predictions,
    count_hallucinated,
)

REPO = Path(__file__).resolve().parents[1]
DEMO_ADAPTER = "smollm2-scierc-cpu=scierc"
# The committed CPU demo after its LoRA steps, as training/README.md reports it.
DEMO_ERRORS = {CORRECT: 18, WRONG_TYPE: 32, WRONG_BOUNDARY: 11, SPURIOUS: 99, "missed": 114}
DEMO_HALLUCINATED = 44  # 27.5 % of its 160 predictions
TABLE_COLUMNS = {
    CORRECT: "Correct",
    WRONG_TYPE: "Wrong type",
    WRONG_BOUNDARY: "Wrong boundary",
    SPURIOUS: "Spurious",
    "missed": "Missed",
}
XSS = "</script><img src=x onerror=alert(1)>"
# Fields of a sentence's record (error_pages.sentence_record).
TEXT, GOLD, PREDICTED, GOLD_SEGMENTS, PREDICTED_SEGMENTS = 1, 3, 4, 5, 6


def classified(sentence: SentencePredictions):
    return classify_predictions(*sentence)


def entity(text: str, string: str, type_: str, after: int = 0) -> dict:
    start = text.index(string, after)
    return {"start": start, "end": start + len(string), "type": type_, "text": string}


def embedded(html: str) -> dict:
    """The page's data, read back as the browser's JSON.parse does."""
    (data,) = re.findall(r'<script type="application/json" id="error-data">(.*?)</script>', html)
    return json.loads(data)


def class_counts(data: dict) -> Counter:
    """Marks per class as the error-class table counts them: predictions by their class,
    gold entities when missed."""
    counts: Counter = Counter()
    for sentence in data["sentences"]:
        counts.update(data["classes"][mark[1]] for mark in sentence[PREDICTED])
        counts.update(c for m in sentence[GOLD] if (c := data["classes"][m[1]]) == "missed")
    return counts


def hallucinated(data: dict) -> int:
    """Predictions listed beside their sentence (a mark of 4 fields has no offsets)."""
    return sum(len(mark) == 4 for s in data["sentences"] for mark in s[PREDICTED])


def utf16_slice(text: str, start: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def table_counts(runs, run) -> dict[str, int]:
    table = errors_table(runs)
    (row,) = [
        dict(zip(table.headers, r.cells, strict=True))
        for r in table.rows
        if r.link == page_path(run)
    ]
    return {c: row[column] for c, column in TABLE_COLUMNS.items()}


# ------------------------------------------------------------------ where marks sit

# Every class: "Spin" correct, "wash" the wrong type, "cell" a wrong boundary of "cell pellet"
# (its first occurrence, in "cells", overlaps no free gold entity), "cells" correct and its
# repeat spurious on the same span, "again" spurious in the text, "spin buffer" and "" not in
# it; "spin" missed; the second "cells" a repeated mention, scored once.
PROTOCOL = "Spin the cells , wash the cell pellet and spin the cells again ."
SENTENCE = SentencePredictions(
    gold=[
        entity(PROTOCOL, "Spin", "Action"),
        entity(PROTOCOL, "cells", "Reagent"),
        entity(PROTOCOL, "wash", "Action"),
        entity(PROTOCOL, "cell pellet", "Reagent"),
        entity(PROTOCOL, "spin", "Action"),
        entity(PROTOCOL, "cells", "Reagent", after=20),
    ],
    predictions=[
        ("Action", "Spin"),
        ("Device", "wash"),
        ("Reagent", "cell"),
        ("Reagent", "cells"),
        ("Reagent", "cells"),
        ("Modifier", "again"),
        ("Reagent", "spin buffer"),
        ("Action", ""),
    ],
    text=PROTOCOL,
)
TYPE_CODES = {"Action": 0, "Device": 1, "Modifier": 2, "Reagent": 3}


def test_find_the_first_occurrence_or_the_first_overlapping_one():
    text = "add buffer A , then buffer B to the buffer tube"
    assert find("buffer", text) == (4, 10)
    assert find("buffer", text, overlapping=(20, 28)) == (20, 26)  # "buffer B"
    assert find("buffer B", text, overlapping=(27, 30)) == (20, 28)  # shares "B"
    assert find("buffer", text, overlapping=(11, 19)) is None  # "A , then" holds none
    assert find("", text) is None and find("pipette", text) is None


def test_each_class_is_marked_where_its_match_is():
    text = "wash the cell pellet , then the cell"
    pellet = (9, 20)
    assert predicted_location(CORRECT, "cell pellet", pellet, text) == pellet
    assert predicted_location(WRONG_TYPE, "cell pellet", pellet, text) == pellet
    # Wrong boundary: the occurrence overlapping its gold entity, not the first one.
    assert predicted_location(WRONG_BOUNDARY, "pellet", pellet, text) == (14, 20)
    assert predicted_location(WRONG_BOUNDARY, "the cell", pellet, text) == (5, 13)
    assert predicted_location(WRONG_BOUNDARY, "cell", (28, 36), text) == (32, 36)
    assert predicted_location(SPURIOUS, "the cell", None, text) == (5, 13)
    # Not in the text (hallucinated) or empty: no offsets, listed beside the sentence.
    assert predicted_location(SPURIOUS, "the cells", None, text) is None
    assert predicted_location(SPURIOUS, "", None, text) is None


def test_segments_nest_overlapping_marks_outermost_first():
    locations = [(0, 10), (5, 15), None, (5, 8), (20, 25), (5, 8)]
    assert segments(locations) == [
        [0, 5, 0],
        [5, 8, 0, 1, 3, 5],
        [8, 10, 0, 1],
        [10, 15, 1],
        [20, 25, 4],
    ]
    assert segments([None]) == [] and segments([]) == []


def test_repeated_mentions_point_at_the_counted_one():
    counted = [Span(9, 14, "Reagent", "cells")]
    gold = [entity(PROTOCOL, "cells", "Reagent"), entity(PROTOCOL, "cells", "Reagent", after=20)]
    twice = gold + [dict(gold[1])]  # the same mention listed twice is one repeat
    assert repeated_mentions(twice, counted) == [(Span(51, 56, "Reagent", "cells"), 0)]


def test_sentence_record_marks_every_class():
    record = sentence_record("protocol_1-3", SENTENCE, classified(SENTENCE), 2, TYPE_CODES)
    assert record[:3] == ["protocol_1-3", PROTOCOL, 2]
    # [type, class, other, start, end]: classes correct 0, wrong type 1, wrong boundary 2,
    # spurious 3, missed 4, repeat 5; a gold mark's other is its prediction, a prediction's
    # its gold mark.
    gold = [
        [0, 0, 0, 0, 4],  # Spin, by prediction 0
        [3, 0, 3, 9, 14],  # cells, by prediction 3
        [0, 1, 1, 17, 21],  # wash, predicted a Device
        [3, 2, 2, 26, 37],  # cell pellet, predicted "cell"
        [0, 4, -1, 42, 46],  # spin: missed
        [3, 5, 1, 51, 56],  # cells again: a repeat of gold mark 1
    ]
    predicted = [
        [0, 0, 0, 0, 4],
        [1, 1, 2, 17, 21],
        [3, 2, 3, 26, 30],  # "cell" where it overlaps "cell pellet", not in "cells"
        [3, 0, 1, 9, 14],
        [3, 3, -1, 9, 14],  # the repeated prediction: spurious, on the same span
        [2, 3, -1, 57, 62],
        [3, 3, -1, "spin buffer"],  # not in the sentence
        [0, 3, -1, ""],
    ]
    assert record[GOLD] == gold and record[PREDICTED] == predicted
    assert record[GOLD_SEGMENTS] == [
        [0, 4, 0],
        [9, 14, 1],
        [17, 21, 2],
        [26, 37, 3],
        [42, 46, 4],
        [51, 56, 5],
    ]
    assert record[PREDICTED_SEGMENTS] == [
        [0, 4, 0],
        [9, 14, 3, 4],
        [17, 21, 1],
        [26, 30, 2],
        [57, 62, 5],
    ]


def test_offsets_are_javascripts_utf16_units():
    assert utf16_offsets("µl of buffer") is None  # all in the Basic Multilingual Plane
    assert utf16_offsets("a𝑥b") == [0, 1, 3, 4]
    text = "𝑥 binds 𝑦 ."
    sentence = SentencePredictions([entity(text, "binds", "T")], [("T", "binds"), ("U", "𝑦")], text)
    record = sentence_record("s", sentence, classified(sentence), 0, {"T": 0, "U": 1})
    assert record[GOLD] == [[0, 0, 0, 3, 8]] and record[PREDICTED][1] == [1, 3, -1, 9, 11]
    assert utf16_slice(text, 9, 11) == "𝑦"


def test_script_json_cannot_end_its_script_element():
    data = {"s": [XSS, "line\u2028separator\u2029", "<!-- & -->", "\ud800"]}
    text = script_json(data)
    assert not re.search("[<>&\u2028\u2029\ud800]", text)
    assert json.loads(text) == data


# ------------------------------------------------------------------ the committed CPU demo


@pytest.fixture(scope="module")
def committed_runs():
    adapter, dataset = DEMO_ADAPTER.split("=")
    return collect([REPO / "results"], {adapter: dataset}).runs


def demo_run(runs):
    (run,) = [r for r in runs if r.model == "SmolLM2-135M-Instruct" and r.setting == "sft"]
    return run


def test_cpu_demo_page_marks_what_the_error_table_counts(committed_runs):
    run = demo_run(committed_runs)
    data = embedded(render(run))
    assert len(data["sentences"]) == run.samples.sentences == 50
    assert class_counts(data) == table_counts(committed_runs, run) == DEMO_ERRORS
    logged = run.samples.logged
    assert hallucinated(data) == sum(count_hallucinated(s.predictions, s.text) for s in logged)
    assert hallucinated(data) == DEMO_HALLUCINATED


def test_every_mark_of_the_committed_runs_holds_its_string(committed_runs):
    """A located mark's offsets cut its own string out of the text; an unlocated one's string
    is not in the text: gold entities and predictions of every committed run."""
    for run in committed_runs:
        if run.samples is None:
            continue
        data = embedded(render(run))
        for record, sentence in zip(data["sentences"], run.samples.logged, strict=True):
            text = record[TEXT]
            strings = [s for _, s in sentence.predictions]
            assert len(record[PREDICTED]) == len(strings)
            for mark, string in zip(record[PREDICTED], strings, strict=True):
                if len(mark) == 5:
                    assert utf16_slice(text, mark[3], mark[4]) == string
                else:
                    assert mark[3] == string and (not string or string not in text)
            gold_strings = {e["text"] for e in sentence.gold}
            for mark in record[GOLD]:
                assert utf16_slice(text, mark[3], mark[4]) in gold_strings


# ------------------------------------------------------------------ in headless Chromium


def marks_of_every_page(page) -> tuple[dict[str, set[str]], set[str]]:
    """The marks of every class (data-class) and the sentences, turning pages to the last."""
    marks, sentences = defaultdict(set), set()
    while True:
        assert page.locator(".sentence").count() <= PAGE_SIZE
        found = page.locator("[data-class]").evaluate_all(
            "nodes => nodes.map(n => [n.dataset.class, n.dataset.mark])"
        )
        for cls, mark in found:
            marks[cls].add(mark)
        sentences.update(page.locator(".sentence").evaluate_all("s => s.map(n => n.dataset.index)"))
        if page.locator("#next").is_disabled():
            return marks, sentences
        page.click("#next")


def test_cpu_demo_error_page_in_headless_chromium(browser, committed_runs, tmp_path):
    """From the leaderboard's row to the run's page; its screenshot is docs/error_page.png."""
    site = tmp_path / "site"
    argv = ["build", str(REPO / "results"), "--out", str(site), "--adapter-dataset", DEMO_ADAPTER]
    assert main(argv) == 0
    run = demo_run(committed_runs)
    expected = table_counts(committed_runs, run)
    page, errors, requests = open_page(browser, site / "index.html")
    page.locator(f'table[data-key="errors"] a.errors-link[href="{page_path(run)}"]').click()
    page.wait_for_selector(".sentence")
    assert page.url == (site / page_path(run)).as_uri()
    assert page.locator(".sentence").count() == PAGE_SIZE
    assert page.locator("#page").text_content() == "page 1 of 3"
    screenshot(page, "error_page.png", tmp_path)
    wrong_type = page.locator(f'.predicted [data-class="{WRONG_TYPE}"]').first.get_attribute(
        "title"
    )
    assert re.search(r": wrong type, predicted \w+, gold \w+$", wrong_type)

    marks, sentences = marks_of_every_page(page)
    assert {c: len(marks[c]) for c in expected} == expected == DEMO_ERRORS
    assert len(sentences) == 50

    data = embedded((site / page_path(run)).read_text(encoding="utf-8"))
    boundary = data["classes"].index(WRONG_BOUNDARY)
    with_boundary = sum(any(m[1] == boundary for m in s[PREDICTED]) for s in data["sentences"])
    page.select_option("#class", WRONG_BOUNDARY)
    assert page.locator("#page").text_content() == "page 1 of 1"
    assert page.locator(".sentence").count() == with_boundary
    count = f"{DEMO_ERRORS[WRONG_BOUNDARY]} wrong boundary marks in {with_boundary} of 50 sentences"
    assert page.locator("#count").text_content() == count
    shown = page.locator("[data-class]:not(.dim)").evaluate_all(
        "nodes => nodes.map(n => [n.dataset.class, n.dataset.mark])"
    )
    boundaries = DEMO_ERRORS[WRONG_BOUNDARY]
    assert {c for c, _ in shown} == {WRONG_BOUNDARY} and len({m for _, m in shown}) == boundaries
    # Nor are the gold entities they were matched to.
    matched = page.locator(f'[data-match="{WRONG_BOUNDARY}"]:not(.dim)')
    assert len(set(matched.evaluate_all("nodes => nodes.map(n => n.dataset.mark)"))) == boundaries

    page.select_option("#class", "hallucinated")
    assert page.locator("#count").text_content().startswith(f"{DEMO_HALLUCINATED} predictions")
    beside = page.locator("[data-beside]:not(.dim)").count()
    while not page.locator("#next").is_disabled():  # they span more than one page
        page.click("#next")
        beside += page.locator("[data-beside]:not(.dim)").count()
    assert beside == DEMO_HALLUCINATED
    page.select_option("#class", "all")
    page.select_option("#type", label="Task")
    assert " of type Task in " in page.locator("#count").text_content()
    # Every sentence shown has a mark the filters keep.
    shown = page.locator(".sentence")
    task = f".m.t{data['types'].index('Task')}:not(.dim)"
    assert shown.count() == page.locator(f".sentence:has({task})").count() > 0
    page.check("#failed")
    assert page.locator("#count").text_content().endswith("sentences with a parse failure")
    assert errors == []
    assert all(url.startswith("file://") for url in requests), requests


@pytest.fixture(scope="module")
def bench():
    """bench/error_page_load.py: its synthetic WLPC run is the one it times."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO / "bench"))
        return importlib.import_module("error_page_load")


def test_a_wlpc_sized_page_is_small_and_holds_one_page_of_sentences(browser, bench, tmp_path):
    items = bench.wlpc_run_items()
    assert len(items) == 2861
    page_file = bench.build_page(tmp_path, items)
    assert page_file.stat().st_size < 5_000_000
    (run,) = collect([tmp_path / "results"]).runs
    data = embedded(page_file.read_text(encoding="utf-8"))
    errors_ = run.samples.score.errors
    assert class_counts(data) == {c: getattr(errors_, c) for c in TABLE_COLUMNS}
    assert hallucinated(data) > 0 and all(class_counts(data)[c] for c in TABLE_COLUMNS)

    page, errors, _ = open_page(browser, page_file)
    sentences = page.locator(".sentence")
    assert sentences.count() == PAGE_SIZE
    assert page.locator("#page").text_content() == "page 1 of 144"
    page.click("#next")
    assert sentences.count() == PAGE_SIZE and sentences.first.get_attribute("data-index") == "20"
    assert page.locator("#page").text_content() == "page 2 of 144"
    page.select_option("#class", WRONG_BOUNDARY)
    assert page.locator("#page").text_content().startswith("page 1 of ")
    assert sentences.count() == PAGE_SIZE
    assert page.locator("#count").text_content().startswith(f"{errors_.wrong_boundary} wrong")
    page.select_option("#class", "missed")
    page.select_option("#type", label="pH")
    assert 0 < sentences.count() <= PAGE_SIZE
    assert errors == []


def test_text_in_train_filter(browser, bench, tmp_path):
    """Samples of task version 2.2 say which sentences' text is in train: the page filters
    them; older samples do not, and their page has no such filter."""
    texts = ["Spin the cells .", "Add 5 ml buffer .", "Stir ."]
    items = [
        {
            "sentence_id": f"s{k}",
            "text": text,
            "entities": [entity(text, text.split()[0], "Action")],
            "predictions": [["Action", text.split()[0]]],
            "failed": False,
            "seen_in_train": k != 1,
        }
        for k, text in enumerate(texts)
    ]
    page_file = bench.build_page(tmp_path, items)
    assert embedded(page_file.read_text(encoding="utf-8"))["seen"] == [True, False, True]
    page, errors, _ = open_page(browser, page_file)
    sentences = page.locator(".sentence")
    assert sentences.count() == 3
    page.select_option("#seen", "unseen")
    assert sentences.count() == 1 and "Add 5 ml buffer" in sentences.first.text_content()
    assert page.locator("#count").text_content().endswith("whose text is not in train")
    page.select_option("#seen", "seen")
    assert sentences.count() == 2
    assert errors == []
    older = bench.build_page(tmp_path / "older", [dict(i, seen_in_train=None) for i in items])
    assert embedded(older.read_text(encoding="utf-8"))["seen"] is None
    assert 'id="seen"' not in older.read_text(encoding="utf-8")


def test_model_output_is_shown_as_text(browser, bench, tmp_path):
    text = "Add 5 µl of buffer\u2028 to the tube ."
    item = {
        "sentence_id": f"{XSS} 1",
        "text": text,
        "entities": [entity(text, "buffer", "Reagent")],
        "predictions": [["Reagent", XSS], ["Reagent", "buffer\u2028 to"], ["<i>T</i>", "tube"]],
        "failed": False,
    }
    bench.write_run(tmp_path / "results", "sciner_scierc_0shot", [item])
    site = tmp_path / "site"
    assert main(["build", str(tmp_path / "results"), "--out", str(site)]) == 0
    (page_file,) = (site / "errors").glob("*.html")
    assert "<img" not in page_file.read_text(encoding="utf-8")
    page, errors, requests = open_page(browser, page_file)
    assert page.locator("img, i").count() == 0
    assert page.locator("[data-beside]").text_content() == json.dumps(XSS)
    assert page.locator(".predicted .text").text_content() == text
    assert page.locator(".sentence .head").text_content() == f"#1 \u00b7 {XSS} 1"
    assert page.locator("#types").text_content() == "Entity types<i>T</i>Reagent"
    assert errors == [] and all(url.startswith("file://") for url in requests)


def test_a_rebuild_removes_the_error_pages_it_did_not_write(bench, tmp_path, capsys):
    text = "Spin the cells ."
    item = {
        "sentence_id": "s",
        "text": text,
        "entities": [entity(text, "cells", "Reagent")],
        "predictions": [["Reagent", "cells"]],
        "failed": False,
    }
    for task in ("sciner_scierc_0shot", "sciner_wlpc_0shot"):
        bench.write_run(tmp_path / task, task, [item])
    site = tmp_path / "site"
    main(
        [
            "build",
            str(tmp_path / "sciner_scierc_0shot"),
            str(tmp_path / "sciner_wlpc_0shot"),
            "--out",
            str(site),
        ]
    )
    pages = sorted(p.name for p in (site / "errors").iterdir())
    printed = capsys.readouterr().out  # the files written, the pages counted
    assert len(pages) == 2 and f", 2 error pages in {site / 'errors'}\n" in printed
    main(["build", str(tmp_path / "sciner_wlpc_0shot"), "--out", str(site)])
    assert [p.name for p in (site / "errors").iterdir()] == [p for p in pages if "wlpc" in p]
    empty = tmp_path / "empty"
    empty.mkdir()
    main(["build", str(empty), "--out", str(site)])
    assert not (site / "errors").exists()
