"""Hand-made bad inputs: each gets a DataError naming the file and line or record."""

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from sciner_tasks.data import DATASETS, DataError
from sciner_tasks.data.brat import document_spans, parse_ann
from sciner_tasks.data.converters import conll_split, convert, read_measeval_tsv
from sciner_tasks.data.store import read_jsonl
from sciner_tasks.data.user_corpus import convert_user

TYPES = {"Reagent", "Action"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def spans(tmp_path, ann: str, text: str = "Add 5 ml water.\nMix.", **kwargs):
    path = write(tmp_path / "doc.ann", ann)
    options = {"keep_types": TYPES, "drop_types": set(), "errata": {}, "log": Counter()}
    return document_spans(path, text, **(options | kwargs))


def test_brat_reads_tabs_and_line_breaks_inside_text_fields(tmp_path):
    path = write(
        tmp_path / "doc.ann", "T1\tReagent 0 9\tsome\twater\nT2\tAction 10 20\ttwo\nlines\n"
    )
    parsed = parse_ann(path)
    assert [(t.id, t.text, t.line) for t in parsed] == [
        ("T1", "some\twater", 1),
        ("T2", "two\nlines", 2),
    ]


@pytest.mark.parametrize(
    ("ann", "message"),
    [
        (
            "T1\tReagent 4 10\t5 ml\n",
            r"doc.ann:1: annotation T1 says '5 ml' but its offsets cover '5 ml w'",
        ),
        ("T1\tReagent 4 99\t5 ml\n", r"doc.ann:1: offsets \(\(4, 99\),\) run past the end"),
        ("T1\tReagent 4 x\t5 ml\n", r"doc.ann:1: malformed offsets '4 x'"),
        ("T1\tReagent 9 4\t5 ml\n", r"doc.ann:1: empty or reversed fragment"),
        ("T1\tReagent 4 8\n", r"doc.ann:1: T line needs 3 tab-separated columns"),
        ("T1\tPlanet 0 3\tAdd\n", r"doc.ann:1: unknown entity type 'Planet'"),
        ("R1\tUsing Arg1:T1 Arg2:T2\t\nstray words\n", r"doc.ann:2: not a brat annotation line"),
    ],
)
def test_brat_errors_name_file_and_line(tmp_path, ann, message):
    with pytest.raises(DataError, match=message):
        spans(tmp_path, ann)


def test_brat_drops_declared_types_with_a_count_and_applies_errata(tmp_path):
    log = Counter()
    ann = "T1\tMisc 0 3\tAdd\nT2\tReagent 4 8\tfive ml\n"
    kept = spans(tmp_path, ann, drop_types={"Misc"}, errata={"doc.ann:T2": "why"}, log=log)
    assert [(s.start, s.end, s.type) for s in kept] == [(4, 8, "Reagent")]
    assert log == Counter({"dropped_type:Misc": 1, "erratum:doc.ann:T2": 1})


def test_stale_errata_are_refused(tmp_path):
    spec = DATASETS["wlpc"]
    for split in ("train", "dev", "test"):
        write(tmp_path / "wlpc" / split / "protocol_1.txt", "Add water.")
        write(tmp_path / "wlpc" / split / "protocol_1.ann", "T1\tReagent 4 9\twater\n")
    with pytest.raises(DataError, match="errata no longer needed.*protocol_352.ann:T59"):
        convert(spec, tmp_path)


def test_brat_text_file_must_exist(tmp_path):
    write(tmp_path / "test" / "a.ann", "T1\tReagent 0 3\tAdd\n")
    with pytest.raises(DataError, match=r"a.ann: no text file a.txt beside it"):
        convert_user("mine", "brat", {"test": tmp_path / "test"}, types=["Reagent"])


@pytest.mark.parametrize(
    ("conll", "message"),
    [
        ("Bob B-PER\nsaid X-ORG\n", r"bad.txt:1: token 2 has malformed tag 'X-ORG'"),
        ("Bob B-PER\nParis B-PLANET\n", r"bad.txt:1: token 2 has unknown entity type 'PLANET'"),
        ("Bob B-PER\n\nlonely\n", r"bad.txt:3: expected 'token ... tag', got 'lonely'"),
        ("Bob B-PER\n-DOCSTART- O\n", r"bad.txt:2: -DOCSTART- inside a sentence"),
    ],
)
def test_conll_errors_name_file_and_line(tmp_path, conll, message):
    path = write(tmp_path / "bad.txt", conll)
    with pytest.raises(DataError, match=message):
        conll_split("x", "test", path, {"PER": "person"}, "iob2", Counter())


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("d\t1\tQuantity\t0\t3\tT1\t5 m\t", r"p.tsv:2: text '5 m' but the paragraph has 'It '"),
        ("d\t1\tQuantity\t0\t99\tT1\t5 m\t", r"p.tsv:2: offsets \[0, 99\) outside the paragraph"),
        ("d\t1\tAmount\t0\t3\tT1\tIt \t", r"p.tsv:2: unknown annotType 'Amount'"),
        ("d\t1\tQuantity\tzero\t3\tT1\tIt \t", r"p.tsv:2: malformed MeasEval row"),
    ],
)
def test_measeval_errors_name_file_and_line(tmp_path, row, message):
    header = "docId\tannotSet\tannotType\tstartOffset\tendOffset\tannotId\ttext\tother\n"
    path = write(tmp_path / "p.tsv", header + row + "\n")
    with pytest.raises(DataError, match=message):
        read_measeval_tsv(path, "It is 5 m long.", DATASETS["measeval"].types)


def jsonl(tmp_path, lines, gz=False) -> Path:
    payload = "".join(line + "\n" for line in lines)
    if gz:
        path = tmp_path / "s.jsonl.gz"
        path.write_bytes(gzip.compress(payload.encode()))
        return path
    return write(tmp_path / "s.jsonl", payload)


GOOD = {
    "id": "a",
    "doc_id": "d",
    "split": "test",
    "text": "Hi Bob",
    "tokens": ["Hi", "Bob"],
    "entities": [{"start": 3, "end": 6, "type": "PER", "text": "Bob"}],
}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"s.jsonl:2: not valid JSON"),
        ("[1, 2]", r"s.jsonl:2: expected a JSON object, got list"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "text"}), r"s.jsonl:2: missing field"),
        (json.dumps(GOOD | {"entities": [{"start": 0}]}), r"s.jsonl:2: entity 1: missing field"),
        (
            json.dumps(GOOD | {"entities": [{"start": 0, "end": 2, "type": "X", "text": "Bo"}]}),
            r"s.jsonl:2: entity X \[0, 2\) has text 'Bo' but the sentence has 'Hi' there",
        ),
    ],
)
def test_jsonl_errors_name_file_and_line(tmp_path, line, message):
    path = jsonl(tmp_path, [json.dumps(GOOD), line])
    with pytest.raises(DataError, match=message):
        read_jsonl(path)


def test_user_conversion_refuses_unknown_splits_and_missing_paths(tmp_path):
    with pytest.raises(ValueError, match=r"unknown split\(s\) \['validation'\]"):
        convert_user("mine", "conll", {"validation": tmp_path})
    with pytest.raises(FileNotFoundError, match="test: .*nothing.txt does not exist"):
        convert_user("mine", "conll", {"test": tmp_path / "nothing.txt"})
