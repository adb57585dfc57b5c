"""Issue 11: random corruptions of brat, CoNLL and JSONL files fed to `convert`.

Each example either stops with one clean `error: FILE[:LINE]: ...` line, exit 1 and nothing
written, or writes a dataset whose text and entities round-trip exactly from the input, as
read by the small oracles below (written from the formats' rules, not from the converters).
"""

import contextlib
import io
import json
import re
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sciner_tasks.data import load_split
from sciner_tasks.data.__main__ import main

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Bytes that make files interesting: separators, line ends, Unicode spaces, a byte-order mark,
# invalid UTF-8, tag and JSON syntax, numbers.
PAYLOADS = [
    b"\t",
    b" ",
    b"\n",
    b"\r\n",
    b"\r",
    "\u00a0".encode(),
    "\u2009".encode(),
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"B-",
    b"I-",
    b"-",
    b"O",
    b"X",
    b"-DOCSTART- O\n",
    b"{",
    b"}",
    b'"',
    b",",
    b":",
    b"null",
    b"0.5",
    b"true",
    b"[]",
    b"T9\t",
    b"R1\t",
    b";",
    b"7",
    b"0",
    b"\\u0000",
]


@st.composite
def corrupted(draw, data: bytes) -> bytes:
    """`data` with up to four random insertions, deletions or replacements."""
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        payload = draw(st.sampled_from(PAYLOADS))
        width = draw(st.integers(1, 6))
        if kind == "insert":
            data = data[:at] + payload + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + width :]
        else:
            data = data[:at] + payload + data[at + width :]
    return data


def run(format_: str, split_path: Path, out: Path) -> tuple[int, str]:
    stderr = io.StringIO()
    argv = ["convert", "--format", format_, "--name", "fz", "--out", str(out)]
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = main([*argv, "--split", f"test={split_path}"])
    return code, stderr.getvalue()


def check_refusal(code: int, err: str, inputs: list[Path], out: Path) -> None:
    assert code == 1, err
    names = "|".join(re.escape(str(p)) for p in inputs)
    assert re.fullmatch(rf"error: ({names})(:\d+)?: [^\n]+\n", err), err
    assert not out.exists(), "a refused conversion wrote something"


def text_of(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


# CoNLL ----------------------------------------------------------------------------------

CONLL = (
    "-DOCSTART- O\n\nMarie B-PER\nCurie I-PER\nwon O\nthe O\nNobel B-MISC\nPrize I-MISC\n\n"
    "5\u00a0mg B-QTY\nof O\nNaCl B-CHEM\n\nParis B-LOC\n"
).encode()
CONLL_TABS = b"New York\tB-LOC\nis\tO\nbig\tO\n\nAI\tB-FIELD\n"
# Old Mac line ends, and edge spaces around tab-separated columns (issue 24, cases 5 and 6).
CONLL_CR = CONLL.replace(b"\n", b"\r")
CONLL_EDGES = b"New \tB-LOC \n York\t I-LOC\nis \t O\n\nAI\tB-FIELD  \n"


def conll_oracle(text: str) -> list[tuple[list[str], list[str]]]:
    """(tokens, tags) per sentence by the documented rules: lines end at \\n, \\r\\n or \\r;
    columns split at tabs if the line has one, else at ASCII spaces, without their edge
    spaces; first column the token, last the tag."""
    sentences, tokens, tags = [], [], []
    for line in re.split(r"\r\n|\r|\n", text + "\n"):
        split = line.split("\t" if "\t" in line else " ")
        columns = [c.strip(" ") for c in split if c.strip(" \t")]
        if columns[:1] == ["-DOCSTART-"]:
            continue
        if not columns:
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        tokens.append(columns[0])
        tags.append(columns[-1])
    return sentences


def iob2_chunks(tags: list[str]) -> list[tuple[int, int, str]]:
    """Chunks as conlleval reads IOB2: I-X continues an X chunk, else starts one."""
    chunks, previous = [], "O"
    for index, tag in enumerate(tags):
        if tag != "O":
            if tag.startswith("I-") and previous[2:] == tag[2:] and previous != "O":
                chunks[-1][1] = index + 1
            else:
                chunks.append([index, index + 1, tag[2:]])
        previous = tag
    return [tuple(c) for c in chunks]


def check_conll(data: bytes) -> bool:
    """Convert `data`; True if it converted (and round-trips), False if cleanly refused."""
    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / "in.conll", Path(folder) / "out"
        path.write_bytes(data)
        code, err = run("conll", path, out)
        if code != 0:
            check_refusal(code, err, [path], out)
            return False
        expected = conll_oracle(text_of(data))
        written = load_split(str(out / "fz"), "test")
        assert len(written) == len(expected)
        for sentence, (tokens, tags) in zip(written, expected, strict=True):
            assert list(sentence.tokens) == tokens
            assert sentence.text == " ".join(tokens)
            starts = [len(" ".join(tokens[:i])) + (i > 0) for i in range(len(tokens))]
            assert [(e.start, e.end, e.type) for e in sentence.entities] == [
                (starts[a], starts[b - 1] + len(tokens[b - 1]), type_)
                for a, b, type_ in iob2_chunks(tags)
            ]
        return True


@FUZZ
@given(st.sampled_from([CONLL, CONLL_TABS, CONLL_CR, CONLL_EDGES]).flatmap(corrupted))
def test_corrupted_conll_converts_exactly_or_is_refused(data):
    check_conll(data)


# brat -----------------------------------------------------------------------------------

BRAT_TEXT = "Add 5\u00a0ml water.\nMix  gently\r\nfor 2 min.\n\nStore at 4 °C.\n".encode()
BRAT_ANN = (
    b"T1\tAction 0 3\tAdd\nT2\tAmount 4 8\t5\xc2\xa0ml\nT3\tReagent 9 14\twater\n"
    b"T4\tAction 16 19\tMix\nT5\tTime 33 38\t2 min\nR1\tUsing Arg1:T1 Arg2:T3\t\n"
    b"T6\tTemperature 50 54\t4 \xc2\xb0C\n"
)
SIMPLE_T_LINE = re.compile(r"T\d+\t(\S+) (\d+) (\d+)\t(.*)")


def brat_oracle(text: str, ann: str) -> Counter | None:
    """(type, entity text) of the annotations, if every line is a one-fragment T line or an
    R line; None when the .ann has other shapes (the round trip is then not checked here)."""
    text = text.replace("\ufeff", " ", 1) if text.startswith("\ufeff") else text
    found = set()
    for line in ann.split("\n"):
        line = line.rstrip("\r")
        if not line.strip() or re.match(r"R\d+\t", line):
            continue
        match = SIMPLE_T_LINE.fullmatch(line)
        if not match:
            return None
        type_, start, end, field = match.groups()
        covered = text[int(start) : int(end)]
        assert " ".join(covered.split()) == " ".join(field.split()), (line, covered)
        found.add((type_, int(start), int(end)))
    return Counter(
        (t, text[s:e].strip().translate(str.maketrans("\r\n", "  "))) for t, s, e in found
    )


def check_brat(text: bytes, ann: bytes) -> bool:
    """Convert one brat document; True if it converted (and round-trips), False if refused."""
    with tempfile.TemporaryDirectory() as folder:
        split, out = Path(folder) / "notes", Path(folder) / "out"
        split.mkdir()
        (split / "p.txt").write_bytes(text)
        (split / "p.ann").write_bytes(ann)
        code, err = run("brat", split, out)
        if code != 0:
            check_refusal(code, err, [split / "p.ann", split / "p.txt", split], out)
            return False
        written = load_split(str(out / "fz"), "test")
        document = text.decode("utf-8")  # brat's reading: a byte-order mark is a character
        squashed = " ".join(document.replace("\ufeff", " ", 1).split())
        assert " ".join(" ".join(s.text for s in written).split()) == squashed
        expected = brat_oracle(document, text_of(ann))
        if expected is not None:
            assert Counter((e.type, e.text) for s in written for e in s.entities) == expected
        return True


@FUZZ
@given(
    # One of the pair at a time: a change to both rarely leaves anything convertible.
    st.one_of(
        st.tuples(corrupted(BRAT_TEXT), st.just(BRAT_ANN)),
        st.tuples(st.just(BRAT_TEXT), corrupted(BRAT_ANN)),
    )
)
def test_corrupted_brat_converts_exactly_or_is_refused(pair):
    check_brat(*pair)


# JSONL ----------------------------------------------------------------------------------

RECORDS = [
    {
        "id": "a",
        "doc_id": "d",
        "split": "test",
        "text": "Hi Bob",
        "tokens": ["Hi", "Bob"],
        "entities": [{"start": 3, "end": 6, "type": "PER", "text": "Bob"}],
    },
    {"id": "b", "doc_id": "d", "split": "test", "text": "5\u00a0mg", "tokens": [], "entities": []},
]
JSONL = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS).encode()


def check_jsonl(data: bytes) -> bool:
    """Convert `data`; True if it converted (and round-trips), False if cleanly refused."""
    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / "in.jsonl", Path(folder) / "out"
        path.write_bytes(data)
        code, err = run("jsonl", path, out)
        if code != 0:
            check_refusal(code, err, [path], out)
            return False
        records = [json.loads(line) for line in text_of(data).split("\n") if line.strip()]
        written = load_split(str(out / "fz"), "test")
        assert [(s.text, list(s.tokens)) for s in written] == [
            (r["text"], r["tokens"]) for r in records
        ]
        assert [[vars(e) for e in s.entities] for s in written] == [r["entities"] for r in records]
        return True


@FUZZ
@given(corrupted(JSONL))
def test_corrupted_jsonl_converts_exactly_or_is_refused(data):
    check_jsonl(data)


def test_the_uncorrupted_inputs_convert():
    """The fuzz starts from valid files: each converts, so the round-trip checks run."""
    assert all(check_conll(data) for data in (CONLL, CONLL_TABS, CONLL_CR, CONLL_EDGES))
    assert check_brat(BRAT_TEXT, BRAT_ANN)
    assert check_jsonl(JSONL)
