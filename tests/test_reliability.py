"""Hostile input, round 2 (issue 24): each test names the case it covers. Bad input ends in a
clear error naming file and line, and never changes a number silently or loses data."""

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_data_fuzz import corrupted
from test_leaderboard import metrics
from test_leaderboard_bad_input import ITEM, collect_warned, logged, results, write_run

from leaderboard.__main__ import main as board_main
from sciner_tasks.data import DataError, load_spec, load_split
from sciner_tasks.data.__main__ import main as data_main
from sciner_tasks.data.brat import brat_documents, parse_ann
from sciner_tasks.data.conll import read_conll
from sciner_tasks.data.converters import sentence_bounds
from sciner_tasks.data.registry import DatasetSpec
from sciner_tasks.data.user_corpus import convert_user, verbalise
from sciner_tasks.formats.base import label_of
from sciner_tasks.harness import process_results
from sciner_tasks.prompting import build_docs


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def convert(out: Path, format_: str, name: str, *splits: str) -> int:
    args = ["convert", "--format", format_, "--name", name, "--out", str(out)]
    return data_main(args + [word for split in splits for word in ("--split", split)])


# Case 2: two labels with one verbalisation.


def test_labels_that_read_the_same_in_a_prompt_are_refused(tmp_path, capsys):
    assert verbalise("Cell_Line") == verbalise("CellLine") == "cell line"
    corpus = write(tmp_path / "c.conll", "HeLa B-Cell_Line\nand O\nCHO B-CellLine\n")
    assert convert(tmp_path / "out", "conll", "cells", f"test={corpus}") == 1
    error = capsys.readouterr().err
    assert f"error: {corpus}: labels 'CellLine' and 'Cell_Line' both read as" in error
    assert not (tmp_path / "out" / "cells").exists()
    # Keeping one of them converts, and its answers map back to it.
    spec, _, _ = convert_user("cells", "conll", {"test": corpus}, types=["CellLine"])
    assert label_of("cell line", spec.types) == "CellLine"


def test_a_hand_edited_description_with_ambiguous_types_names_its_file(tmp_path):
    spec = {"name": "d", "title": "d", "domain": "", "citation": "", "source": "", "license": ""}
    spec["types"] = {"Gene": "gene", "GENE": "gene product"}  # labels equal but for case
    write(tmp_path / "d" / "dataset.json", json.dumps(spec))
    write(tmp_path / "d" / "test.jsonl.gz", b"")
    with pytest.raises(DataError, match=r"dataset.json: .*'Gene' and 'GENE' both read as 'gene'"):
        load_spec(str(tmp_path / "d"))
    with pytest.raises(ValueError, match="both read as"):
        DatasetSpec("x", "x", {"A": "thing", "B": "Thing "}, "", "", "", "")


# Cases 5 and 6: CR-only line ends and edge spaces in CoNLL.

LF_CONLL = "EU\tB-ORG\nrejects\tO\nGerman\tB-MISC\n\nPeter\tB-PER\n"


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_conll_line_ends_of_every_kind_give_the_same_sentences(tmp_path, line_end):
    path = write(tmp_path / "c.conll", LF_CONLL.replace("\n", line_end))
    sentences = list(read_conll(path))
    assert [(s.tokens, s.tags) for s in sentences] == [
        (("EU", "rejects", "German"), ("B-ORG", "O", "B-MISC")),
        (("Peter",), ("B-PER",)),
    ]


def test_conll_unicode_line_separators_stay_inside_their_token(tmp_path):
    path = write(tmp_path / "c.conll", "a\u2028b\tB-X\n")
    assert [s.tokens for s in read_conll(path)] == [("a\u2028b",)]


def test_tab_separated_conll_drops_edge_spaces_of_tokens_and_tags(tmp_path):
    path = write(tmp_path / "c.conll", "New \tB-LOC \nYork\t I-LOC\nbig city\tO\n")
    (sentence,) = read_conll(path)
    assert sentence.tokens == ("New", "York", "big city")
    assert sentence.tags == ("B-LOC", "I-LOC", "O")
    spec, splits, _ = convert_user("c", "conll", {"test": path})
    assert list(spec.types) == ["LOC"]
    assert [(e.type, e.text) for e in splits["test"][0].entities] == [("LOC", "New York")]


# Case 7: --split twice, --name of a built-in or a path.


def test_a_split_given_twice_is_refused(tmp_path, capsys):
    a = write(tmp_path / "a.conll", "x B-X\n")
    b = write(tmp_path / "b.conll", "y B-X\n")
    assert convert(tmp_path / "out", "conll", "d", f"test={a}", f"test={b}") == 1
    assert f"--split test is given twice ({a} and {b})" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["conll2003", "scierc", "../x", "a/b", ".hidden", ""])
def test_a_name_that_shadows_a_builtin_or_is_a_path_is_refused(tmp_path, capsys, name):
    corpus = write(tmp_path / "a.conll", "x B-X\n")
    assert convert(tmp_path / "out", "conll", name, f"test={corpus}") == 1
    assert f"--name {name!r}" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "out").exists()


# Case 8: brat subfolders and upper-case names, pysbd's dropped tails, files beside a dataset.


def test_brat_documents_in_subfolders_are_read_and_named_by_their_path(tmp_path):
    write(tmp_path / "s" / "a.txt", "Add water.")
    write(tmp_path / "s" / "a.ann", "T1\tR 4 9\twater\n")
    write(tmp_path / "s" / "lab2" / "a.txt", "Mix salt.")
    write(tmp_path / "s" / "lab2" / "a.ann", "T1\tR 4 8\tsalt\n")
    _, splits, _ = convert_user("d", "brat", {"test": tmp_path / "s"})
    assert [(s.doc_id, s.text) for s in splits["test"]] == [
        ("a", "Add water."),
        ("lab2/a", "Mix salt."),
    ]


@pytest.mark.parametrize("name", ["a.TXT", "a.Ann"])
def test_brat_files_with_upper_case_suffixes_are_refused_not_skipped(tmp_path, name):
    write(tmp_path / "s" / "b.txt", "x")
    write(tmp_path / "s" / "b.ann", "")
    write(tmp_path / "s" / name, "x")
    with pytest.raises(DataError, match=rf"{name}: brat files are named .txt and .ann"):
        brat_documents(tmp_path / "s")


def test_pysbd_splitting_keeps_the_text_pysbd_leaves_out():
    """pysbd 0.3.4 segments '. ?!' as ['. ']: the '?!' was lost; it is a sentence of its own."""
    assert sentence_bounds(". ?!") == [(0, 1), (2, 4)]


PIECES = st.sampled_from(list("ab .?!()\n") + ["Dr. ", "e.g. ", "U.S. ", "1.5 "])


@given(st.lists(PIECES, max_size=30).map("".join))
def test_every_non_blank_character_is_in_a_pysbd_sentence(text):
    covered = {index for start, end in sentence_bounds(text) for index in range(start, end)}
    assert all(char.isspace() or index in covered for index, char in enumerate(text))


def test_reconverting_never_deletes_files_sciner_did_not_write(tmp_path, capsys):
    corpus = write(tmp_path / "a.conll", "x B-X\n")
    assert convert(tmp_path / "out", "conll", "d", f"test={corpus}") == 0
    notes = write(tmp_path / "out" / "d" / "notes.txt", "mine")
    assert convert(tmp_path / "out", "conll", "d", f"test={corpus}") == 1
    assert "holds files sciner did not write (notes.txt)" in capsys.readouterr().err
    assert notes.read_text() == "mine" and load_split(str(tmp_path / "out" / "d"), "test")


# Case 13: a CR-only .ann, a FIFO .ann.


def test_a_cr_only_ann_is_refused_naming_its_line_ends(tmp_path):
    ann = write(tmp_path / "a.ann", b"T1\tX 0 2\tab\rT2\tX 3 5\tcd\r")
    with pytest.raises(DataError, match=r"a.ann:1: annotations separated by a lone carriage"):
        parse_ann(ann)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_fifo_ann_is_named_as_not_a_regular_file(tmp_path):
    write(tmp_path / "s" / "a.txt", "x")
    os.mkfifo(tmp_path / "s" / "a.ann")
    with pytest.raises(DataError, match=r"a.ann: not a regular file"):
        brat_documents(tmp_path / "s")


# Cases 9, 11 (symlinked folders) and 12: the leaderboard's readers of untrusted files.

TASK = "sciner_scierc_0shot"


def board_run(
    folder: Path,
    samples: list[str] | None = None,
    results_text: str | None = None,
    pretrained: str = "org/model",
):
    """One lm-eval run of TASK: its results file and (raw lines) its samples file."""
    data = results({"pretrained": pretrained}, {TASK: metrics(0.0)}, 1.0)
    write_run(folder, "2026-01-01T00-00-00", data)
    if results_text is not None:
        write(folder / "results_2026-01-01T00-00-00.json", results_text)
    if samples is not None:
        write(folder / f"samples_{TASK}_2026-01-01T00-00-00.jsonl", "".join(samples))


def logged_line(**changes) -> str:
    return json.dumps(logged(ITEM | changes), ensure_ascii=False) + "\n"


def test_a_u2028_in_a_logged_output_keeps_the_run_and_all_its_samples(tmp_path):
    """lm-eval writes U+2028 unescaped inside JSON strings; splitlines() cut the line there."""
    lines = [logged_line(predictions=[["Task", "a\u2028b"]]), logged_line(sentence_id="x")]
    board_run(tmp_path / "runs", lines)
    collection, warned = collect_warned([tmp_path / "runs"])
    assert warned == [] and collection.problems == []
    (run,) = collection.runs
    assert run.samples.generations == 2


def test_runs_behind_a_symlinked_folder_are_found_once(tmp_path):
    board_run(tmp_path / "real" / "model", [logged_line()])
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real", target_is_directory=True)
    collection, warned = collect_warned([tmp_path / "runs"])
    assert len(collection.runs) == 1 and collection.runs[0].samples.generations == 1
    assert warned == []


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "results_text, message",
    [
        (DEEP, "JSON nested too deeply"),
        ('{"results": {"x": ' + "9" * 401 + "}}", "a number of 401 characters"),
        ('{"results": {"x": ' + "9" * 4400 + "}}", "a number of 4400 characters"),
        ('{"results": {"x": 1' + "0" * 400 + ".5}}", "a number of 403 characters"),
    ],
)
def test_hostile_results_files_are_one_clear_problem(tmp_path, results_text, message):
    board_run(tmp_path / "runs", results_text=results_text)
    collection, warned = collect_warned([tmp_path / "runs"])
    assert collection.runs == []
    (problem,) = collection.problems
    assert "results_2026" in str(problem) and message in str(problem)


def test_hostile_samples_lines_are_skipped_naming_their_line(tmp_path):
    lines = [
        logged_line(),
        DEEP + "\n",
        '{"f1": ' + "1" * 5000 + "}\n",
        logged_line(sentence_id="y"),
    ]
    board_run(tmp_path / "runs", lines)
    collection, _ = collect_warned([tmp_path / "runs"])
    assert collection.runs[0].samples.generations == 2
    messages = sorted(str(p) for p in collection.problems)
    assert [m.split(".jsonl")[1][:3] for m in messages] == [":2:", ":3:"]


def test_a_lone_surrogate_in_a_model_name_or_sample_builds_the_site(tmp_path):
    data = results({"pretrained": "org/mo\\ud835del"}, {TASK: metrics(0.0)}, 1.0)
    text = json.dumps(data).replace("\\\\ud835", "\\ud835")
    board_run(tmp_path / "runs", [logged_line(predictions=[["Task", "x"]])], text)
    write(
        tmp_path / "runs" / f"samples_{TASK}_2026-01-01T00-00-00.jsonl",
        json.dumps(logged(ITEM | {"predictions": [["Task", "a\ud835b"]]})) + "\n",
    )
    assert board_main(["build", str(tmp_path / "runs"), "--out", str(tmp_path / "site")]) == 0
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "mo\ufffddel" in page


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_special_files_are_skipped_not_read(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    os.mkfifo(folder / "results_2026-01-01T00-00-00.json")
    (folder / "results_2026-01-02T00-00-00.json").symlink_to("/dev/zero")
    collection, _ = collect_warned([folder])
    assert collection.runs == []
    assert len(collection.problems) == 2
    assert all("not a regular file" in str(p) for p in collection.problems)


# Case 10: a lone surrogate escape in a UniNER / IEPile answer.

GENERAL_DOC = build_docs("scierc", "general", "0shot")[0]
YAYI_DOC = build_docs("scierc", "yayi", "0shot")[0]
UNINER_DOC = build_docs("scierc", "uniner", "0shot")[0]
IEPILE_DOC = build_docs("scierc", "iepile", "0shot")[0]


def test_a_lone_surrogate_in_an_answer_reaches_the_samples_file_as_its_escape():
    """lm-eval writes the logged samples as UTF-8: a lone surrogate in an item made it write
    a 0-byte file (exit 0), losing every sample of the task."""
    for doc, output in (
        (UNINER_DOC, '["x\\ud835y", "x\\ud836y"]'),
        (IEPILE_DOC, '{"method": ["x\\ud835y", "x\\ud836y"]}'),
    ):
        item = process_results(doc, [output])["f1"]
        json.dumps(item, ensure_ascii=False).encode("utf-8")  # what lm-eval does
        predicted = [text for _, text in item["upstream"]["predictions"]]
        assert predicted == ["x\\ud835y", "x\\ud836y"]  # still two distinct predictions


@given(st.text(), st.sampled_from(["general", "uniner", "iepile", "yayi"]))
def test_every_logged_item_is_utf8_whatever_the_output(output, format_name):
    doc = {"general": GENERAL_DOC, "uniner": UNINER_DOC, "iepile": IEPILE_DOC}.get(
        format_name, YAYI_DOC
    )
    for text in (output, json.dumps([output]), json.dumps({"method": [output]})):
        item = process_results(doc, [text])["f1"]
        json.dumps(item, ensure_ascii=False).encode("utf-8")


# Case 4: --resume of another run's checkpoints.


def test_resume_refuses_the_checkpoints_of_another_run(tmp_path, capsys):
    checkpoints = pytest.importorskip("training.checkpoints", reason="the train extra")
    from types import SimpleNamespace

    from training.arguments import make_parser, parse_arguments

    lora = parse_arguments(make_parser(), [])[2]  # the study's LoRA

    def record(dataset: str, learning_rate: float = 3e-4) -> dict:
        base = SimpleNamespace(path="/models/smollm2", adapter=None, format_name="general")
        script = SimpleNamespace(max_train_examples=None)
        training = SimpleNamespace(learning_rate=learning_rate, seed=42, max_length=912)
        return checkpoints.run_record(base, dataset, script, training, lora)

    out = str(tmp_path / "run")
    with pytest.raises(SystemExit, match="sciner_run.json is missing"):
        checkpoints.check_same_run(out, record("crossner_ai"))  # checkpoints of unknown origin
    checkpoints.write_run_record(out, record("crossner_ai"))
    checkpoints.check_same_run(out, record("crossner_ai"))  # the same run resumes
    with pytest.raises(SystemExit, match=r"another run's \(dataset 'crossner_ai' -> 'crossner_m"):
        checkpoints.check_same_run(out, record("crossner_music"))
    with pytest.raises(SystemExit, match=r"learning_rate 0.0003 -> 0.0001"):
        checkpoints.check_same_run(out, record("crossner_ai", 1e-4))


# Case 3: different models merged as duplicates.


def test_runs_of_different_weights_adapters_or_revisions_are_all_kept(tmp_path):
    loaded = [
        {"pretrained": "/ckpt/run1/merged"},
        {"pretrained": "/ckpt/run2/merged"},
        {"pretrained": "/ckpt/run2/merged", "revision": "v2"},
        {"pretrained": "org/base", "peft": "/sft/a/adapter"},
        {"pretrained": "org/base", "peft": "/sft/b/adapter"},
    ]
    for index, args in enumerate(loaded):
        data = results(args, {TASK: metrics(0.1 * index)}, index + 1.0)
        write_run(tmp_path / "runs" / str(index), f"2026-01-0{index + 1}T00-00-00", data)
    collection, warned = collect_warned([tmp_path / "runs"])
    assert not any("duplicate" in str(w.message) for w in warned)
    assert sorted(run.model for run in collection.runs) == [
        "base [a/adapter]",
        "base [b/adapter]",
        "merged [run1/merged]",
        "merged [run2/merged @v2]",
        "merged [run2/merged]",
    ]


def test_the_same_run_twice_keeps_the_newest(tmp_path):
    for index in range(2):
        data = results({"pretrained": "/ckpt/run1/merged"}, {TASK: metrics(0.5)}, index + 1.0)
        write_run(tmp_path / "runs" / str(index), f"2026-01-0{index + 1}T00-00-00", data)
    collection, warned = collect_warned([tmp_path / "runs"])
    assert [run.model for run in collection.runs] == ["merged"]
    assert collection.runs[0].date == 2.0
    assert any("duplicate" in str(w.message) for w in warned)


# Case 11: --out of a folder that is not a site; a failed build.


def test_out_of_a_folder_that_is_not_a_site_is_left_untouched(tmp_path, capsys):
    board_run(tmp_path / "runs", [logged_line()])
    out = tmp_path / "docs"
    mine = [write(out / "errors" / "notes.md", "mine"), write(out / "figure1.svg", "<svg/>")]
    write(out / "thesis.tex", "mine")
    assert board_main(["build", str(tmp_path / "runs"), "--out", str(out)]) == 1
    assert "is not a sciner site (it holds errors/notes.md, thesis.tex)" in capsys.readouterr().err
    assert all(path.exists() for path in mine) and not (out / "index.html").exists()


def test_a_failed_build_leaves_the_previous_site_whole(tmp_path, monkeypatch):
    from leaderboard import page

    board_run(tmp_path / "runs", [logged_line()])
    out = tmp_path / "site"
    assert board_main(["build", str(tmp_path / "runs"), "--out", str(out)]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(site):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(page, "render", broken)
    assert board_main(["build", str(tmp_path / "runs"), "--out", str(out)]) == 1
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before and before[Path("index.html")]
    assert {p.name for p in tmp_path.iterdir()} == {"runs", "site"}  # no staging folder left


# Case 12: the evaluate metric given None, a JSONL corpus nested too deeply or with a lone
# surrogate or a huge number.


@pytest.mark.parametrize(
    "prediction, reference, message",
    [
        ({"type": "Task", "text": None}, None, r"predictions\[0\]\[0\].text is None"),
        ({"type": None, "text": "x"}, None, r"predictions\[0\]\[0\].type is None"),
        (None, {"start": 0, "end": 1, "type": "Task", "text": None}, r"entities\[0\]\[0\].text"),
    ],
)
def test_the_evaluate_metric_names_a_none_it_cannot_score(prediction, reference, message):
    evaluate = pytest.importorskip("evaluate")
    from sciner_tasks.metrics import SCINER_NER

    metric = evaluate.load(SCINER_NER, keep_in_memory=True)
    with pytest.raises(ValueError, match=message):
        metric.compute(
            predictions=[[prediction] if prediction else []],
            references=[{"text": "x", "entities": [reference] if reference else []}],
        )


RECORD = {"id": "a", "doc_id": "d", "split": "test", "text": "x", "tokens": ["x"], "entities": []}


@pytest.mark.parametrize(
    "line, message",
    [
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
        (json.dumps(RECORD).replace('"x"', '"x\\ud835"', 1), "lone surrogate escape"),
        ('{"id": ' + "1" * 5000 + "}", "Exceeds the limit"),
    ],
)
def test_hostile_jsonl_corpora_are_one_error_naming_file_and_line(tmp_path, line, message):
    corpus = write(tmp_path / "c.jsonl", json.dumps(RECORD) + "\n" + line + "\n")
    with pytest.raises(DataError, match=rf"c.jsonl:2: .*{message}"):
        convert_user("c", "jsonl", {"test": corpus})


def test_data_push_without_a_network_is_one_error_line(monkeypatch, capsys):
    from sciner_tasks.data import hub

    class ConnectError(Exception):  # httpx's: not an OSError
        pass

    def unreachable(*args, **kwargs):
        raise ConnectError("[Errno -2] Name or service not known")

    monkeypatch.setattr(hub, "push", unreachable)
    assert data_main(["push", "--repo", "org/x", "--datasets", "crossner_ai"]) == 1
    error = capsys.readouterr().err
    assert error == "error: cannot push to org/x: [Errno -2] Name or service not known\n"


# Case 14: a formula in leaderboard.csv, control characters in figure1.svg.


def test_hostile_model_names_reach_the_csv_as_text_and_the_svg_as_valid_xml(tmp_path):
    from xml.etree import ElementTree

    for index, name in enumerate(["=1+2", "@SUM(A1)", "a\x01b\x1f"]):
        data = results({"pretrained": f"org/{name}"}, {TASK: metrics(0.1 * index)}, index + 1.0)
        write_run(tmp_path / "runs" / str(index), f"2026-01-0{index + 1}T00-00-00", data)
    assert board_main(["build", str(tmp_path / "runs"), "--out", str(tmp_path / "site")]) == 0
    rows = (tmp_path / "site" / "leaderboard.csv").read_text(encoding="utf-8").splitlines()
    cells = [line.split(",")[0] for line in rows[1:]]
    assert "'=1+2" in cells and "'@SUM(A1)" in cells
    assert not any(cell.startswith(("=", "@")) for cell in cells)
    svg = ElementTree.parse(tmp_path / "site" / "figure1.svg").getroot()  # well-formed XML
    titles = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert any(title and "a\ufffdb\ufffd" in title for title in titles)


# The leaderboard fuzz: corrupted results and samples files beside an intact run.


def board_results_bytes() -> bytes:
    data = results({"pretrained": "org/model"}, {TASK: metrics(0.0)}, 1.0)
    return json.dumps(data).encode()


INTACT_SAMPLES = [logged_line(), logged_line(sentence_id="b")]


@settings(max_examples=60, deadline=None)
@given(
    corrupted(board_results_bytes()),
    corrupted("".join(INTACT_SAMPLES).encode()),
)
def test_corrupted_board_input_is_a_clean_warning_or_every_sample(results_bytes, samples_bytes):
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder) / "runs"
        # Another model's run: a hostile file corrupted into a valid run of the same model
        # (its date key lost: dated by its mtime, the newer) would rightly replace it.
        board_run(runs / "intact", INTACT_SAMPLES, pretrained="org/intact")
        hostile = runs / "hostile"
        write(hostile / "results_2026-01-01T00-00-00.json", results_bytes)
        write(hostile / f"samples_{TASK}_2026-01-01T00-00-00.jsonl", samples_bytes)
        collection, _ = collect_warned([runs])
        intact = [r for r in collection.runs if "intact" in str(r.results_path)]
        assert len(intact) == 1 and intact[0].samples.generations == 2
        others = [r for r in collection.runs if r not in intact]
        mentioned = {p.path.parent.name for p in collection.problems}
        assert mentioned <= {"hostile"}
        for run in others:
            if run.samples is not None and "hostile" not in mentioned:
                lines = [line for line in samples_bytes.split(b"\n") if line.strip()]
                assert run.samples.generations == len(lines)
        if not others:
            assert "hostile" in mentioned  # nothing dropped without a word
