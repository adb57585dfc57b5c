"""Prompt formats: exact templates (anchors.md), chunking, parsing untrusted output."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sciner_tasks.formats import FORMATS, Demonstration, Query, get_format
from sciner_tasks.formats.iepile import chunks
from sciner_tasks.formats.literal import read_literal

TYPES = {"Method": "method", "OtherScientificTerm": "other scientific term"}
TEXT = "We use BERT ."


def test_general_prompt_is_easyinstruct_verbatim():
    (query,) = get_format("general").queries(TEXT, TYPES, "scientific")
    assert query.prompt == (
        "You are a highly intelligent and accurate scientific domain Named-entity "
        "recognition(NER) system. You take Passage as input and your task is to recognize and "
        "extract specific types of scientific domain named entities in that given passage and "
        "classify into a set of following predefined entity types:\n"
        "method, other scientific term\n"
        "Your output format is only [{'E': type of entity from predefined entity types, "
        "'W': entity in the input text},...] form, no other form.\n\n"
        "Input: We use BERT .\nOutput: "
    )
    (no_domain,) = get_format("general").queries(TEXT, TYPES)
    assert "accurate Named-entity" in no_domain.prompt and "domain" not in no_domain.prompt


def test_general_one_shot_puts_the_demonstration_before_the_input():
    demo = Demonstration("ELMo helps .", (("Method", "ELMo"),))
    (query,) = get_format("general").queries(TEXT, TYPES, "", [demo])
    assert query.prompt.endswith(
        "Input: ELMo helps .\nOutput: [{'E': 'method', 'W': 'ELMo'}]\n\n"
        "Input: We use BERT .\nOutput: "
    )


def test_uniner_asks_every_type_in_its_conversation_template():
    queries = get_format("uniner").queries(TEXT, TYPES)
    assert [q.types for q in queries] == [("Method",), ("OtherScientificTerm",)]
    assert queries[1].prompt == (
        "A virtual assistant answers questions from a user based on the provided text. "
        "USER: Text: We use BERT . ASSISTANT: I've read this text.</s>"
        "USER: What describes other scientific term in the text? ASSISTANT:"
    )
    assert get_format("uniner").stop == ("</s>",)


def test_iepile_wraps_the_json_instruction_in_llama2_chat():
    (query,) = get_format("iepile").queries(TEXT, TYPES)
    assert query.prompt == (
        "[INST] <<SYS>>\nYou are a helpful assistant. 你是一个乐于助人的助手。\n<</SYS>>\n\n"
        '{"instruction": "You are an expert in named entity recognition. Please extract '
        "entities that match the schema definition from the input. Return an empty list if "
        'the entity type does not exist. Please respond in the format of a JSON string.", '
        '"schema": ["method", "other scientific term"], "input": "We use BERT ."}[/INST]'
    )
    baichuan = get_format("iepile_baichuan2").queries(TEXT, TYPES)[0].prompt
    assert baichuan.startswith('<reserved_13>{"instruction"') and baichuan.endswith("<reserved_14>")


@pytest.mark.parametrize(
    ("n", "sizes"), [(4, [4]), (6, [6]), (8, [8]), (9, [6, 3]), (14, [6, 8]), (18, [6, 6, 6])]
)
def test_iepile_schema_chunks(n, sizes):
    labels = [f"T{i}" for i in range(n)]
    groups = chunks(labels)
    assert [len(g) for g in groups] == sizes
    assert [label for g in groups for label in g] == labels


def test_yayi_prompt_and_markers():
    (query,) = get_format("yayi").queries(TEXT, TYPES)
    assert query.prompt == (
        "<reserved_13>Text: We use BERT . \nFrom the given text, extract all the entities and "
        "types. Please format the answer in json {method/other scientific term：[entities]}."
        "<reserved_14>"
    )


@pytest.mark.parametrize(
    ("name", "output", "expected", "failed"),
    [
        ("general", "[{'E': 'method', 'W': 'BERT'}]", [("Method", "BERT")], False),
        (
            "general",
            'Sure! Output: [{"E": "Method", "W": "BERT"}] Hope it helps.',
            [("Method", "BERT")],
            False,
        ),
        ("general", "[{'E': 'method', 'W': 'BERT'}, {'E': 'meth", [("Method", "BERT")], True),
        ("general", "[{'E': 'planet', 'W': 'Mars'}]", [("planet", "Mars")], False),
        ("general", "[{'E': 'method'}]", [], True),
        ("general", "No entities here.", [], True),
        ("general", "[{'E': 'method', 'W': 'it\\'s'}]", [("Method", "it's")], False),
        ("uniner", ' ["BERT", "BERT", "ELMo"]', [("Method", "BERT"), ("Method", "ELMo")], False),
        ("uniner", 'The answer is ["BERT"]', [], True),
        ("uniner", '["BERT", "EL', [("Method", "BERT")], True),
        (
            "iepile",
            '{"method": ["BERT"], "other scientific term": []}',
            [("Method", "BERT")],
            False,
        ),
        (
            "iepile",
            '{"method": ["BERT"], "other scientific term": ["att',
            [("Method", "BERT")],
            True,
        ),
        ("iepile", "not json at all", [], True),
        ("yayi", '{"method"：["BERT"，"ELMo"]}', [("Method", "BERT"), ("Method", "ELMo")], False),
        ("yayi", "{method: [BERT]}", [("Method", "BERT")], False),
    ],
)
def test_parse_recovers_what_it_can_and_flags_failures(name, output, expected, failed):
    fmt = get_format(name)
    query = Query("", ("Method",)) if name == "uniner" else Query("", tuple(TYPES))
    parsed = fmt.parse(output, query, TYPES)
    assert list(parsed.entities) == expected
    assert parsed.failed is failed


entity_texts = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s and s)
gold_lists = st.lists(st.tuples(st.sampled_from(list(TYPES)), entity_texts), max_size=6)


@settings(max_examples=150, deadline=None)
@given(gold=gold_lists, name=st.sampled_from(sorted(FORMATS)))
def test_parse_of_target_recovers_the_gold(gold, name):
    """Training targets and evaluation parsing agree for every format (UniNER, IEPile and
    YAYI de-duplicate answers by protocol)."""
    fmt = FORMATS[name]
    recovered = []
    for query in fmt.queries(TEXT, TYPES):
        parsed = fmt.parse(fmt.target(query, gold, TYPES), query, TYPES)
        assert not parsed.failed
        recovered += parsed.entities
    expected = gold if name == "general" else list(dict.fromkeys(gold))
    assert Counter(recovered) == Counter(expected)


@settings(max_examples=300, deadline=None)
@given(output=st.text(max_size=200), name=st.sampled_from(sorted(FORMATS)))
def test_parse_never_raises(output, name):
    fmt = FORMATS[name]
    parsed = fmt.parse(output, fmt.queries(TEXT, TYPES)[0], TYPES)
    assert all(isinstance(t, str) and isinstance(s, str) for t, s in parsed.entities)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="[]{}'\":,\\ ab：，", max_size=80))
def test_literal_reader_never_raises_on_bracket_soup(text):
    for opener in "[{":
        read_literal(text, opener)


def test_literal_reader_depth_is_bounded():
    literal = read_literal("[" * 10_000, "[")
    assert literal.complete is False


def test_unknown_format_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown prompt format 'gpt'; known: general, uniner"):
        get_format("gpt")
