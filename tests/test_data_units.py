"""The small pure pieces of the data pipeline, on hand-made inputs."""

from collections import Counter

import pytest

from sciner_tasks.data import load_split
from sciner_tasks.data.conll import chunks_to_entities, tags_to_chunks
from sciner_tasks.data.documents import (
    DocumentSpan,
    document_sentences,
    line_bounds,
    merge_crossed,
    span_from_fragments,
    tokenize,
    trim,
)
from sciner_tasks.data.schema import DataError, Entity, Sentence
from sciner_tasks.data.store import write_dataset
from sciner_tasks.data.user_corpus import convert_user, verbalise


def chunks(tags, scheme, log=None):
    return tags_to_chunks(tags.split(), scheme, "test", log if log is not None else Counter())


def test_iob1_inside_starts_and_continues_chunks():
    assert chunks("I-PER I-PER O I-LOC", "iob1") == [(0, 2, "PER"), (3, 4, "LOC")]
    # B- only separates two adjacent chunks of the same type.
    assert chunks("I-PER B-PER I-PER", "iob1") == [(0, 1, "PER"), (1, 3, "PER")]
    assert chunks("I-PER I-ORG", "iob1") == [(0, 1, "PER"), (1, 2, "ORG")]


def test_iob2_counts_orphan_inside_tags():
    log = Counter()
    assert chunks("B-X I-X O I-Y I-Y B-Y", "iob2", log) == [(0, 2, "X"), (3, 5, "Y"), (5, 6, "Y")]
    assert log["iob2_orphan_inside"] == 1


@pytest.mark.parametrize("bad", ["X-PER", "B-", "PER", "B_PER"])
def test_malformed_tags_name_the_token(bad):
    with pytest.raises(DataError, match=rf"test: token 2 has malformed tag '{bad}'"):
        chunks(f"O {bad}", "iob2")


def test_chunks_to_entities_offsets_into_space_joined_text():
    tokens = ["The", "New", "York", "Times", "."]
    entities = chunks_to_entities(tokens, [(1, 4, "ORG")])
    assert entities == [Entity(4, 18, "ORG", "New York Times")]
    assert " ".join(tokens)[4:18] == "New York Times"


def test_fragments_separated_by_whitespace_are_joined():
    log = Counter()
    text = "the recombinant mutant p.\nAsp325Tyr protein"
    span = span_from_fragments([(26, 43), (0, 25)], "Material", text, "f:1", log)
    assert (span.start, span.end) == (0, 43)
    assert log == Counter(fragments_joined=1)


def test_discontinuous_fragments_keep_their_covering_extent():
    log = Counter()
    span = span_from_fragments([(0, 4), (14, 18)], "Action", "Spin the tube down", "f:1", log)
    assert (span.start, span.end) == (0, 18)
    assert log == Counter(discontinuous_covered=1)


def test_overlapping_fragments_are_an_error():
    with pytest.raises(DataError, match="f:3: fragments of one annotation overlap"):
        span_from_fragments([(0, 5), (3, 8)], "X", "abcdefghij", "f:3", Counter())


def test_trim_strips_edge_whitespace_and_counts_it():
    log = Counter()
    assert trim(DocumentSpan(3, 13, "Time", "f:1"), "for 5 minutes .", log) == DocumentSpan(
        4, 13, "Time", "f:1"
    )
    assert log["whitespace_trimmed"] == 1
    with pytest.raises(DataError, match="f:1: span \\[3, 4\\) covers only whitespace"):
        trim(DocumentSpan(3, 4, "Time", "f:1"), "for 5", Counter())
    with pytest.raises(DataError, match="f:1: offsets \\[3, 40\\) are outside the text"):
        trim(DocumentSpan(3, 40, "Time", "f:1"), "for 5", Counter())


def test_line_bounds_skip_blank_lines_and_strip():
    text = "  first line \n\n\tsecond\r\nthird"
    assert [text[s:e] for s, e in line_bounds(text)] == ["first line", "second", "third"]


def test_sentences_crossed_by_a_span_are_merged():
    log = Counter()
    bounds = [(0, 5), (6, 11), (12, 17)]
    merged = merge_crossed(bounds, [DocumentSpan(3, 8, "X", "f:1")], log)
    assert merged == [(0, 11), (12, 17)]
    assert log["sentences_merged"] == 1


def test_document_sentences_policies():
    text = "Add p.\nAsp325Tyr now.\nNothing here.\nAdd p.\n"
    spans = [
        DocumentSpan(4, 16, "M", "f:1"),  # crosses the first line break
        DocumentSpan(4, 16, "M", "f:2"),  # the same annotation again
        DocumentSpan(4, 6, "M", "f:3"),
    ]
    log = Counter()
    drafts = document_sentences(text, spans, line_bounds(text), "doc", "f", False, log)
    assert [d.text for d in drafts] == ["Add p. Asp325Tyr now."]
    assert [(e.text, e.start) for e in drafts[0].entities] == [("p.", 4), ("p. Asp325Tyr", 4)]
    assert log == Counter(duplicates_removed=1, sentences_merged=1, sentences_without_entities=2)


def test_tokenize_splits_at_entity_boundaries():
    text = "10mM Tris-HCl"
    assert [text[s:e] for s, e in tokenize(text)] == ["10mM", "Tris", "-", "HCl"]
    assert [text[s:e] for s, e in tokenize(text, [2])] == ["10", "mM", "Tris", "-", "HCl"]


def test_verbalise_user_labels():
    assert verbalise("OtherScientificTerm") == "other scientific term"
    assert verbalise("Generic-Measure") == "generic measure"
    assert verbalise("pH") == "pH"
    assert verbalise("DNA_sequence") == "DNA sequence"


def test_sentence_json_round_trip_and_validation():
    sentence = Sentence(
        "x-test-00000", "doc", "test", "Hi Bob", ("Hi", "Bob"), (Entity(3, 6, "PER", "Bob"),)
    )
    import json

    assert Sentence.from_dict(json.loads(sentence.to_json())) == sentence
    record = json.loads(sentence.to_json())
    record["entities"][0]["text"] = "Bo"
    with pytest.raises(DataError, match="where: entity PER \\[3, 6\\) has text 'Bo'"):
        Sentence.from_dict(record, "where")
    record["entities"][0].update(end=9, text="Bob")
    with pytest.raises(DataError, match="out of range for a sentence of 6 characters"):
        Sentence.from_dict(record, "where")
    del record["tokens"]
    with pytest.raises(DataError, match="missing field\\(s\\) \\['tokens'\\]"):
        Sentence.from_dict(record, "where")


def test_a_split_is_read_once_per_process_until_its_file_changes(tmp_path, monkeypatch):
    from sciner_tasks.data import loading

    reads = []
    real = loading.read_jsonl
    monkeypatch.setattr(loading, "read_jsonl", lambda path: reads.append(path) or real(path))
    loading.read_split.cache_clear()
    first = load_split("crossner_ai", "test")
    assert load_split("crossner_ai", "test") == first and len(reads) == 1
    first.pop()  # a caller's list is its own
    assert len(load_split("crossner_ai", "test")) == len(first) + 1 and len(reads) == 1
    # A converted corpus rewritten in place is read again.
    corpus = tmp_path / "c.conll"
    corpus.write_text("x B-X\n", encoding="utf-8")
    spec, splits, log = convert_user("c", "conll", {"test": corpus})
    write_dataset(tmp_path / "c", spec, splits, log)
    assert [s.text for s in load_split(str(tmp_path / "c"), "test")] == ["x"]
    corpus.write_text("y B-X\n", encoding="utf-8")
    spec, splits, log = convert_user("c", "conll", {"test": corpus})
    write_dataset(tmp_path / "c", spec, splits, log)
    assert [s.text for s in load_split(str(tmp_path / "c"), "test")] == ["y"]
