"""Issue 11, converters: odd or broken input either converts without losing a character or an
entity, or stops with one `error:` line naming the file (and line) and writes nothing."""

import gzip
import json
import re
from pathlib import Path

import pytest

from sciner_tasks.data import load_spec, load_split
from sciner_tasks.data.__main__ import main

BOM = "\ufeff"
ERROR_LINE = re.compile(r"error: [^\n]+\n\Z")
RECORD = {"id": "a", "doc_id": "d", "split": "test", "text": "Hi Bob", "tokens": ["Hi", "Bob"]}
ENTITY = {"start": 3, "end": 6, "type": "PER", "text": "Bob"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def convert(out: Path, format_: str, *splits: str, name: str = "mine", extra=()) -> int:
    argv = ["convert", "--format", format_, "--name", name, "--out", str(out)]
    for split in splits:
        argv += ["--split", split]
    return main([*argv, *extra])


def refused(capsys, code: int, *fragments: str) -> str:
    """The CLI's answer to bad input: exit 1, one `error:` line with these fragments."""
    err = capsys.readouterr().err
    assert code == 1, err
    assert ERROR_LINE.fullmatch(err), err
    for fragment in fragments:
        assert fragment in err, err
    return err


# CoNLL: columns are separated by tabs (if the line has one) or ASCII spaces, never by the
# other Unicode spaces, which belong to the token.


@pytest.mark.parametrize("space", ["\u00a0", "\u2009"])
def test_conll_token_with_a_unicode_space_is_kept_whole(tmp_path, space):
    path = write(tmp_path / "a.conll", f"5{space}mg B-Amount\nNaCl B-Reagent\n")
    assert convert(tmp_path / "out", "conll", f"test={path}") == 0
    (sentence,) = load_split(str(tmp_path / "out" / "mine"), "test")
    assert sentence.tokens == (f"5{space}mg", "NaCl")
    assert [e.text for e in sentence.entities] == [f"5{space}mg", "NaCl"]


def test_conll_tab_separated_token_with_a_space_is_kept_whole(tmp_path):
    path = write(tmp_path / "a.conll", "New York\tB-LOC\nis\tO\n")
    assert convert(tmp_path / "out", "conll", f"test={path}") == 0
    (sentence,) = load_split(str(tmp_path / "out" / "mine"), "test")
    assert sentence.text == "New York is"
    assert [(e.type, e.text) for e in sentence.entities] == [("LOC", "New York")]


def test_conll_space_separated_token_with_a_space_is_refused(tmp_path, capsys):
    path = write(tmp_path / "a.conll", "Paris B-LOC\nNew York B-LOC\n")
    code = convert(tmp_path / "out", "conll", f"test={path}")
    refused(capsys, code, "a.conll:2:", "3 columns", "2")
    assert not (tmp_path / "out").exists()


# Byte-order marks


def test_conll_byte_order_mark_is_not_text(tmp_path):
    path = write(tmp_path / "a.conll", f"{BOM}Bob B-PER\nran O\n")
    assert convert(tmp_path / "out", "conll", f"test={path}") == 0
    (sentence,) = load_split(str(tmp_path / "out" / "mine"), "test")
    assert sentence.text == "Bob ran"


def test_conll_byte_order_mark_before_docstart_adds_no_sentence(tmp_path):
    path = write(tmp_path / "a.conll", f"{BOM}-DOCSTART- O\n\nBob B-PER\n")
    assert convert(tmp_path / "out", "conll", f"test={path}") == 0
    assert [s.text for s in load_split(str(tmp_path / "out" / "mine"), "test")] == ["Bob"]


def test_jsonl_byte_order_mark_is_not_text(tmp_path):
    path = write(tmp_path / "a.jsonl", BOM + json.dumps(RECORD | {"entities": [ENTITY]}) + "\n")
    assert convert(tmp_path / "out", "jsonl", f"test={path}") == 0
    assert [s.text for s in load_split(str(tmp_path / "out" / "mine"), "test")] == ["Hi Bob"]


def test_brat_byte_order_mark_counted_as_brat_counts_it(tmp_path):
    # brat reads the .txt as UTF-8 text, so a byte-order mark is character 0 of its offsets.
    folder = tmp_path / "notes"
    write(folder / "n.txt", f"{BOM}Add water.\n")
    write(folder / "n.ann", "T1\tReagent 5 10\twater\n")
    assert convert(tmp_path / "out", "brat", f"test={folder}") == 0
    (sentence,) = load_split(str(tmp_path / "out" / "mine"), "test")
    assert sentence.text == "Add water."
    assert [(e.start, e.text) for e in sentence.entities] == [(4, "water")]


def test_brat_offsets_that_do_not_count_the_byte_order_mark_are_explained(tmp_path, capsys):
    folder = tmp_path / "notes"
    write(folder / "n.txt", f"{BOM}Add water.\n")
    write(folder / "n.ann", "T1\tReagent 4 9\twater\n")
    code = convert(tmp_path / "out", "brat", f"test={folder}")
    refused(capsys, code, "n.ann:1:", "byte-order mark")


# Nothing is skipped silently, nothing empty is written


def test_brat_text_without_annotations_is_refused(tmp_path, capsys):
    folder = tmp_path / "notes"
    write(folder / "a.txt", "Add water.\n")
    write(folder / "a.ann", "T1\tReagent 4 9\twater\n")
    write(folder / "b.txt", "Stir.\n")
    code = convert(tmp_path / "out", "brat", f"test={folder}")
    refused(capsys, code, "b.txt", "b.ann")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("format_", "make", "fragment"),
    [
        ("brat", lambda p: write(p / "x.txt", "Stir.\n"), "not a folder"),
        ("brat", lambda p: (p / "x").mkdir() or p / "x", "no .ann"),
        ("conll", lambda p: write(p / "x.conll", "\n\n"), "no sentences"),
        ("jsonl", lambda p: write(p / "x.jsonl", ""), "no sentences"),
        ("conll", lambda p: (p / "x").mkdir() or p / "x", "not a file"),
        ("jsonl", lambda p: (p / "x").mkdir() or p / "x", "not a file"),
    ],
)
def test_empty_or_wrong_kind_of_split_is_refused(tmp_path, capsys, format_, make, fragment):
    path = make(tmp_path)
    code = convert(tmp_path / "out", format_, f"test={path}", extra=["--types", "X"])
    refused(capsys, code, str(path), fragment)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        (RECORD | {"text": None, "entities": []}, "text must be a string, got null"),
        (RECORD | {"text": 42, "entities": []}, "text must be a string, got 42"),
        (RECORD | {"tokens": None, "entities": []}, "tokens must be a list of strings"),
        (RECORD | {"entities": [ENTITY | {"start": 3.9}]}, "start must be an integer, got 3.9"),
        (RECORD | {"entities": [ENTITY | {"end": True}]}, "end must be an integer, got true"),
        (RECORD | {"entities": [ENTITY | {"type": 7}]}, "type must be a string, got 7"),
        (RECORD | {"entities": None}, "entities must be a list"),
    ],
)
def test_jsonl_values_of_the_wrong_type_are_refused_not_coerced(tmp_path, capsys, record, fragment):
    path = write(tmp_path / "a.jsonl", json.dumps(RECORD | {"entities": []}) + "\n")
    path.write_text(path.read_text() + json.dumps(record) + "\n", encoding="utf-8")
    code = convert(tmp_path / "out", "jsonl", f"test={path}")
    refused(capsys, code, "a.jsonl:2:", fragment)


def test_non_utf8_jsonl_names_file_and_line(tmp_path, capsys):
    path = tmp_path / "a.jsonl"
    good = json.dumps(RECORD | {"entities": []}).encode()
    path.write_bytes(good + b"\n" + good.replace(b"Hi Bob", b"Hi \xe9ob") + b"\n")
    code = convert(tmp_path / "out", "jsonl", f"test={path}")
    refused(capsys, code, "a.jsonl:2:", "UTF-8")


def test_corrupt_gzip_is_an_error_line(tmp_path, capsys):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(json.dumps(RECORD | {"entities": []}).encode() * 50)[:40])
    code = convert(tmp_path / "out", "jsonl", f"test={path}")
    refused(capsys, code, "a.jsonl.gz: not a readable gzip file")


def test_corrupt_shipped_split_in_stats_is_an_error_line(tmp_path, capsys):
    conll = write(tmp_path / "a.conll", "Bob B-PER\n")
    assert convert(tmp_path, "conll", f"test={conll}") == 0
    (tmp_path / "mine" / "test.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    code = main(["stats", "--datasets", str(tmp_path / "mine")])
    refused(capsys, code, "test.jsonl.gz: not a readable gzip file")


def test_unwritable_output_is_an_error_line(tmp_path, capsys):
    conll = write(tmp_path / "a.conll", "Bob B-PER\n")
    blocker = write(tmp_path / "file", "not a folder")
    code = convert(blocker / "sub", "conll", f"test={conll}")
    refused(capsys, code, str(blocker))


def test_output_that_is_not_a_sciner_dataset_is_not_replaced(tmp_path, capsys):
    conll = write(tmp_path / "a.conll", "Bob B-PER\n")
    keep = write(tmp_path / "out" / "mine" / "thesis.tex", "years of work")
    code = convert(tmp_path / "out", "conll", f"test={conll}")
    refused(capsys, code, "not a sciner dataset")
    assert keep.read_text() == "years of work"


# Writes are per dataset and atomic


def test_reconverting_with_fewer_splits_replaces_the_whole_dataset(tmp_path):
    conll = write(tmp_path / "a.conll", "Bob B-PER\n")
    assert convert(tmp_path, "conll", f"train={conll}", f"test={conll}") == 0
    assert convert(tmp_path, "conll", f"test={conll}") == 0
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == [
        "dataset.json",
        "test.jsonl.gz",
    ]
    with pytest.raises(FileNotFoundError, match="no train split"):
        load_split(str(tmp_path / "mine"), "train")


def test_a_failed_write_leaves_the_previous_dataset_whole(tmp_path, monkeypatch, capsys):
    from sciner_tasks.data import store

    conll = write(tmp_path / "a.conll", "Bob B-PER\n")
    other = write(tmp_path / "b.conll", "Ann B-PER\n")
    assert convert(tmp_path, "conll", f"train={conll}", f"test={conll}") == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "mine").iterdir()}
    real_write_split, calls = store.write_split, []

    def failing_write_split(path, sentences):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        real_write_split(path, sentences)

    monkeypatch.setattr(store, "write_split", failing_write_split)
    code = convert(tmp_path, "conll", f"train={other}", f"test={other}")
    refused(capsys, code, "No space left on device")
    assert {p.name: p.read_bytes() for p in (tmp_path / "mine").iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.conll", "b.conll", "mine"]


# --types keeps the listed labels


def test_types_keeps_the_listed_labels_and_counts_what_it_drops(tmp_path):
    conll = write(tmp_path / "a.conll", "Bob B-PER\nin O\nParis B-LOC\n")
    assert convert(tmp_path, "conll", f"test={conll}", extra=["--types", "PER"]) == 0
    (sentence,) = load_split(str(tmp_path / "mine"), "test")
    assert sentence.text == "Bob in Paris"
    assert [(e.type, e.text) for e in sentence.entities] == [("PER", "Bob")]
    description = json.loads((tmp_path / "mine" / "dataset.json").read_text())
    assert description["conversion"] == {"dropped_type:LOC": 1}
    assert load_spec(str(tmp_path / "mine")).types == {"PER": "PER"}
    assert description["dropped_types"] == ["LOC"]


@pytest.mark.parametrize("format_", ["brat", "conll", "jsonl"])
def test_types_naming_a_label_no_file_uses_is_refused(tmp_path, capsys, format_):
    folder = tmp_path / "notes"
    write(folder / "n.txt", "Bob ran.\n")
    write(folder / "n.ann", "T1\tPER 0 3\tBob\n")
    conll = write(tmp_path / "a.conll", "Bob B-PER\nran O\n")
    record = RECORD | {"entities": [ENTITY]}
    records = write(tmp_path / "a.jsonl", json.dumps(record) + "\n")
    path = {"brat": folder, "conll": conll, "jsonl": records}[format_]
    code = convert(tmp_path / "out", format_, f"test={path}", extra=["--types", "PER,Pers"])
    refused(capsys, code, "--types", "'Pers'", "PER")
