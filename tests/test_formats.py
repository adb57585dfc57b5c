"""Prompt formats (sciner_tasks.formats): exact templates, IEPile's schema chunks, SFT targets
that parse back to the gold, and tolerant parsing of untrusted output. The upstream sources
each template is traced from are pinned in tests/test_fidelity.py."""

import json
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sciner_tasks.formats import FORMATS, Demonstration, Parsed, PromptFormat, Query, get_format
from sciner_tasks.formats.base import label_of
from sciner_tasks.formats.iepile import IEPileFormat, chunks
from sciner_tasks.formats.literal import MAX_DEPTH, Literal, read_literal, read_sequence
from sciner_tasks.formats.templates import BAICHUAN2_CHAT

# A SciERC-like dataset with two types, one of them verbalised.
TYPES = {"Method": "method", "OtherScientificTerm": "other scientific term"}
TEXT = "We use BERT ."
DEMO = Demonstration("ELMo helps parsing .", (("Method", "ELMo"),))
# Nine types: IEPile asks them in two chunks (6 + 3).
NINE = {f"T{i}": f"type {i}" for i in range(9)}

EASYINSTRUCT = (
    "You are a highly intelligent and accurate scientific domain Named-entity "
    "recognition(NER) system. You take Passage as input and your task is to recognize and "
    "extract specific types of scientific domain named entities in that given passage and "
    "classify into a set of following predefined entity types:\n"
    "method, other scientific term\n"
    "Your output format is only [{'E': type of entity from predefined entity types, "
    "'W': entity in the input text},...] form, no other form.\n\n"
)
UNINER_SYSTEM = "A virtual assistant answers questions from a user based on the provided text."
IEPILE_INSTRUCTION = (
    '{"instruction": "You are an expert in named entity recognition. Please extract '
    "entities that match the schema definition from the input. Return an empty list if "
    'the entity type does not exist. Please respond in the format of a JSON string.", '
)
LLAMA2_SYSTEM = (
    "[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant. Always answer as "
    "helpfully as possible, while being safe. Your answers should not include any harmful, "
    "unethical, racist, sexist, toxic, dangerous, or illegal content. Please ensure that your "
    "responses are socially unbiased and positive in nature.\n\nIf a question does not make "
    "any sense, or is not factually coherent, explain why instead of answering something not "
    "correct. If you don't know the answer to a question, please don't share false "
    "information.\n<</SYS>>\n\n"
)


def only(queries: list[Query]) -> Query:
    assert len(queries) == 1
    return queries[0]


# --- exact prompts ----------------------------------------------------------------------


def test_general_prompt_is_easyinstruct_verbatim():
    query = only(get_format("general").queries(TEXT, TYPES, "scientific"))
    assert query.prompt == EASYINSTRUCT + "Input: We use BERT .\nOutput: "
    assert query.types == ("Method", "OtherScientificTerm")


def test_general_prompt_without_domain_drops_domain_words():
    prompt = only(get_format("general").queries(TEXT, TYPES)).prompt
    assert prompt == EASYINSTRUCT.replace("scientific domain ", "") + (
        "Input: We use BERT .\nOutput: "
    )


def test_general_one_shot_is_easyinstructs_examples_block_without_the_demo_text():
    prompt = only(get_format("general").queries(TEXT, TYPES, "scientific", [DEMO])).prompt
    assert prompt == EASYINSTRUCT + (
        "Examples: \nOutput: [{'E': 'method', 'W': 'ELMo'}]\nInput: We use BERT .\nOutput: "
    )


def test_uniner_asks_every_type_in_its_conversation():
    queries = get_format("uniner").queries(TEXT, TYPES, "scientific")
    assert [q.types for q in queries] == [("Method",), ("OtherScientificTerm",)]
    assert [q.prompt for q in queries] == [
        f"{UNINER_SYSTEM} USER: Text: We use BERT . ASSISTANT: I've read this text.</s>"
        f"USER: What describes {words} in the text? ASSISTANT:"
        for words in ("method", "other scientific term")
    ]


def test_uniner_one_shot_is_an_earlier_exchange_about_the_same_type():
    method, term = get_format("uniner").queries(TEXT, TYPES, "", [DEMO])
    assert method.prompt == (
        f"{UNINER_SYSTEM} USER: Text: ELMo helps parsing . ASSISTANT: I've read this text.</s>"
        'USER: What describes method in the text? ASSISTANT: ["ELMo"]</s>'
        "USER: Text: We use BERT . ASSISTANT: I've read this text.</s>"
        "USER: What describes method in the text? ASSISTANT:"
    )
    assert "other scientific term in the text? ASSISTANT: []</s>USER: Text: We" in term.prompt


def test_iepile_wraps_the_json_instruction_in_llama2_chat():
    query = only(get_format("iepile").queries(TEXT, TYPES))
    assert query.prompt == (
        LLAMA2_SYSTEM + IEPILE_INSTRUCTION + '"schema": ["method", "other scientific term"], '
        '"input": "We use BERT ."} [/INST]'
    )
    assert query.types == ("Method", "OtherScientificTerm")


def test_iepile_keeps_non_ascii_and_escapes_json_in_the_input():
    query = only(get_format("iepile").queries('Größe "x"', TYPES))
    assert query.prompt.endswith('"input": "Größe \\"x\\""} [/INST]')


def test_iepile_baichuan2_uses_baichuan2_chat_markers():
    query = only(get_format("iepile_baichuan2").queries(TEXT, TYPES))
    assert query.prompt == (
        "<reserved_106>" + IEPILE_INSTRUCTION + '"schema": ["method", "other scientific term"], '
        '"input": "We use BERT ."}<reserved_107>'
    )
    swapped = IEPileFormat("mine", BAICHUAN2_CHAT)
    assert swapped.queries(TEXT, TYPES) == get_format("iepile_baichuan2").queries(TEXT, TYPES)


def test_iepile_one_shot_is_an_earlier_llama2_turn():
    prompt = only(get_format("iepile").queries(TEXT, TYPES, "", [DEMO])).prompt
    schema = '"schema": ["method", "other scientific term"], '
    assert prompt == (
        LLAMA2_SYSTEM + IEPILE_INSTRUCTION + schema + '"input": "ELMo helps parsing ."} [/INST]'
        ' {"method": ["ELMo"], "other scientific term": []}</s>'
        "<s>[INST] " + IEPILE_INSTRUCTION + schema + '"input": "We use BERT ."} [/INST]'
    )


def test_iepile_asks_one_query_per_chunk():
    queries = get_format("iepile").queries(TEXT, NINE)
    assert [q.types for q in queries] == [tuple(f"T{i}" for i in range(6)), ("T6", "T7", "T8")]
    assert '"schema": ["type 6", "type 7", "type 8"]' in queries[1].prompt


def test_yayi_prompt_and_markers():
    query = only(get_format("yayi").queries(TEXT, TYPES, "scientific"))
    assert query.prompt == (
        "<reserved_13>Text: We use BERT . \nFrom the given text, extract all the entities and "
        "types. Please format the answer in json {method/other scientific term：[entities]}."
        "<reserved_14>"
    )
    assert query.types == ("Method", "OtherScientificTerm")


def test_yayi_one_shot_is_an_earlier_turn():
    prompt = only(get_format("yayi").queries(TEXT, TYPES, "", [DEMO])).prompt
    assert prompt == (
        "<reserved_13>Text: ELMo helps parsing . \nFrom the given text, extract all the "
        "entities and types. Please format the answer in json {method/other scientific "
        'term：[entities]}.<reserved_14>{"method": ["ELMo"]}'
        "<reserved_13>Text: We use BERT . \nFrom the given text, extract all the entities and "
        "types. Please format the answer in json {method/other scientific term：[entities]}."
        "<reserved_14>"
    )


def test_format_registry_and_protocol_settings():
    assert set(FORMATS) == {
        "general",
        "general_baichuan2",
        "uniner",
        "iepile",
        "iepile_baichuan2",
        "yayi",
    }
    assert all(isinstance(f, PromptFormat) and FORMATS[f.name] is f for f in FORMATS.values())
    assert [name for name, f in FORMATS.items() if f.chat] == ["general"]
    assert get_format("general").stop == get_format("general_baichuan2").stop == ("\nInput:",)
    assert all(FORMATS[n].stop == ("</s>",) for n in ("uniner", "iepile", "yayi"))
    settings = {
        name: (f.family, f.system, f.max_gen_toks, dict(f.generation), f.has_upstream_scorer)
        for name, f in FORMATS.items()
    }
    assert settings == {
        "general": ("general", "You are a helpful assistant.", None, {}, False),
        # The system message is inside the raw conversation string.
        "general_baichuan2": ("general", None, None, {"repetition_penalty": 1.0}, False),
        "uniner": ("uniner", None, 256, {"repetition_penalty": 1.0}, True),
        "iepile": ("iepile", None, 300, {"repetition_penalty": 1.0}, True),
        "iepile_baichuan2": ("iepile", None, 300, {"repetition_penalty": 1.0}, True),
        "yayi": ("yayi", None, 512, {}, False),
    }


def test_unknown_format_names_the_known_ones():
    known = "known: general, general_baichuan2, uniner"
    with pytest.raises(KeyError, match=f"unknown prompt format 'gpt'; {known}"):
        get_format("gpt")


# --- IEPile schema chunks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "sizes"),
    [(0, []), (1, [1]), (4, [4]), (6, [6]), (7, [7]), (8, [8]), (9, [6, 3])]
    + [(12, [6, 6]), (14, [6, 8]), (15, [6, 6, 3]), (18, [6, 6, 6])],
)
def test_iepile_schema_chunks(n, sizes):
    labels = [f"T{i}" for i in range(n)]
    groups = chunks(labels)
    assert [len(g) for g in groups] == sizes
    assert [label for g in groups for label in g] == labels


def test_iepile_chunk_size_is_a_parameter():
    assert [len(g) for g in chunks(list("abcdefg"), 4)] == [4, 3]
    assert [len(g) for g in chunks(list("abcde"), 4)] == [5]


# --- targets ----------------------------------------------------------------------------

GOLD = [("Method", "BERT"), ("OtherScientificTerm", "it's"), ("Method", "BERT")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "general",
            "[{'E': 'method', 'W': 'BERT'}, {'E': 'other scientific term', 'W': \"it's\"}]",
        ),
        ("iepile", ' {"method": ["BERT"], "other scientific term": ["it\'s"]}'),
        ("iepile_baichuan2", '{"method": ["BERT"], "other scientific term": ["it\'s"]}'),
        ("yayi", '{"method": ["BERT"], "other scientific term": ["it\'s"]}'),
    ],
)
def test_targets_of_single_query_formats_list_each_gold_pair_once(name, expected):
    fmt = get_format(name)
    assert fmt.target(only(fmt.queries(TEXT, TYPES)), GOLD, TYPES) == expected


def test_uniner_targets_are_its_test_data_answers_after_a_space():
    """universal-ner src/eval/test_data/CrossNER_*.json answers: json.dumps of the strings,
    repeats kept ("Frank Herbert" twice in CrossNER_literature), non-ASCII escaped."""
    fmt = get_format("uniner")
    method, term = fmt.queries(TEXT, TYPES)
    assert fmt.target(method, GOLD, TYPES) == ' ["BERT", "BERT"]'
    assert fmt.target(term, GOLD, TYPES) == ' ["it\'s"]'
    assert fmt.target(term, [("Method", "x"), ("OtherScientificTerm", "Größe")], TYPES) == (
        ' ["Gr\\u00f6\\u00dfe"]'
    )


def test_empty_targets():
    answers = {}
    for name, fmt in FORMATS.items():
        answers[name] = [fmt.target(q, [], TYPES) for q in fmt.queries(TEXT, TYPES)]
    assert answers == {
        "general": ["[]"],
        "general_baichuan2": ["[]"],
        "uniner": [" []", " []"],
        "iepile": [' {"method": [], "other scientific term": []}'],
        "iepile_baichuan2": ['{"method": [], "other scientific term": []}'],
        "yayi": ["{}"],
    }


def test_targets_keep_only_the_types_a_query_asks():
    fmt = get_format("iepile")
    first, second = fmt.queries(TEXT, NINE)
    gold = [("T0", "a"), ("T7", "b")]
    assert fmt.target(second, gold, NINE) == ' {"type 6": [], "type 7": ["b"], "type 8": []}'
    assert '"type 0": ["a"]' in fmt.target(first, gold, NINE)


# --- round trip: parse(target(gold)) == gold --------------------------------------------

entity_texts = st.text(min_size=1, max_size=12) | st.sampled_from(
    ["it's", 'say "x"', "a\\b", "\\u0041", "α-β", "😀", "[1, 2]", "{'E': 'x'}", " pad "]
)


@st.composite
def sentences(draw):
    types = draw(st.sampled_from([TYPES, NINE]))
    gold = draw(st.lists(st.tuples(st.sampled_from(list(types)), entity_texts), max_size=8))
    # Repeat some mentions: the same (type, text) twice in one sentence is common.
    repeats = draw(st.lists(st.sampled_from(gold), max_size=2)) if gold else []
    return types, gold + repeats


def parse_all(fmt: PromptFormat, types, outputs_of) -> tuple[list[tuple[str, str]], list[bool]]:
    found, failures = [], []
    for query in fmt.queries(TEXT, types):
        parsed = fmt.parse(outputs_of(query), query, types)
        found += parsed.entities
        failures.append(parsed.failed)
    return found, failures


@settings(max_examples=60, deadline=None)
@given(sentence=sentences())
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_parsing_a_target_gives_back_the_gold(name, sentence):
    """SFT targets and evaluation parsing agree: each gold (type, text) pair once (targets
    list it once; UniNER's keep repeats, and its parser de-duplicates them)."""
    types, gold = sentence
    fmt = FORMATS[name]
    found, failures = parse_all(fmt, types, lambda q: fmt.target(q, gold, types))
    assert not any(failures)
    assert Counter(found) == Counter(set(gold))


@settings(max_examples=40, deadline=None)
@given(sentence=sentences(), cut=st.floats(0, 1, exclude_max=True))
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_cut_off_target_gives_part_of_the_gold_and_fails(name, sentence, cut):
    """Truncated generations: whatever is recovered is right, and the answer is failed."""
    types, gold = sentence
    fmt = FORMATS[name]
    query = fmt.queries(TEXT, types)[-1]
    target = fmt.target(query, gold, types)
    parsed = fmt.parse(target[: int(cut * len(target))], query, types)
    assert parsed.failed
    assert not Counter(parsed.entities) - Counter(gold)


# --- tolerant parsing of untrusted output -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "output", "expected", "failed"),
    [
        # general: Python-literal or JSON, prose around it is tolerated.
        ("general", "[{'E': 'method', 'W': 'BERT'}]", [("Method", "BERT")], False),
        ("general", "[]", [], False),
        (
            "general",
            'Sure! Here are the entities:\n\n[{"E": "Method", "W": "BERT"}]\nHope it helps.',
            [("Method", "BERT")],
            False,
        ),
        (
            "general",
            "Types [method]: [{'E': 'method', 'W': 'BERT'}]",
            [("Method", "BERT")],
            False,
        ),
        ("general", "[{'E': 'method', 'W': 'BERT'}, {'E': 'meth", [("Method", "BERT")], True),
        (
            "general",
            "[{'E': 'method', 'W': 'BERT'}, {'E': 'method', 'W': 'EL",
            [("Method", "BERT")],
            True,
        ),
        ("general", "[{'E': 'planet', 'W': 'Mars'}]", [("planet", "Mars")], False),
        ("general", "[{'E': 'method'}, {'E': 'task', 'W': 7}]", [], True),
        ("general", "No entities here.", [], True),
        ("general", "[{'E': 'method', 'W': 'it\\'s'}]", [("Method", "it's")], False),
        ("general", "[{'E': 'method', 'W': 'Newton's law'}]", [("Method", "Newton's law")], True),
        (
            "general",
            "{'E': 'method', 'W': 'BERT'}\n{'E': 'method', 'W': 'ELMo'}\nThat's all.",
            [("Method", "BERT"), ("Method", "ELMo")],
            True,
        ),
        ("general", "[{'E': 'method', 'W': 'BERT'}", [("Method", "BERT")], True),
        # uniner: the answer must start with the list.
        ("uniner", ' ["BERT", "BERT", "ELMo"]', [("Method", "BERT"), ("Method", "ELMo")], False),
        ("uniner", "[]", [], False),
        ("uniner", 'The answer is ["BERT"]', [], True),
        ("uniner", '["BERT", "EL', [("Method", "BERT")], True),
        ("uniner", '["BERT", 3, null]', [("Method", "BERT")], True),
        ("uniner", '["BERT"] and more text', [("Method", "BERT")], False),
        # iepile: a JSON object of lists, read tolerantly.
        (
            "iepile",
            '{"method": ["BERT"], "other scientific term": []}',
            [("Method", "BERT")],
            False,
        ),
        (
            "iepile",
            '{"method": ["BERT", "ELMo"], "other scientific term": ["att',
            [("Method", "BERT"), ("Method", "ELMo")],
            True,
        ),
        ("iepile", '{"method": ["BERT", "EL', [("Method", "BERT")], True),
        ("iepile", "not json at all", [], True),
        ("iepile", '["BERT"]', [], True),
        ("iepile", '{"method": "BERT"}', [("Method", "BERT")], True),
        ("iepile", '{"method": null, "Task": ["NER"]}', [("Task", "NER")], True),
        (
            "iepile",
            'Output: {"method": ["BERT"]}. Done.',
            [("Method", "BERT")],
            False,
        ),
        # yayi: full-width punctuation is part of its protocol.
        ("yayi", '{"method"：["BERT"，"ELMo"]}', [("Method", "BERT"), ("Method", "ELMo")], False),
        ("yayi", "{“method”：[“BERT”]}", [("Method", "BERT")], False),
        ("yayi", "{method: [BERT]}", [("Method", "BERT")], True),
        ("yayi", '{"Other_Scientific_Term": ["CRF"]}', [("OtherScientificTerm", "CRF")], False),
    ],
)
def test_parse_recovers_what_it_can_and_flags_failures(name, output, expected, failed):
    fmt = get_format(name)
    query = Query("", ("Method",)) if name == "uniner" else Query("", tuple(TYPES))
    assert fmt.parse(output, query, TYPES) == Parsed(tuple(expected), failed)


@settings(max_examples=150, deadline=None)
@given(output=st.text(max_size=200))
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_parse_never_raises_on_arbitrary_text(name, output):
    fmt = FORMATS[name]
    parsed = fmt.parse(output, fmt.queries(TEXT, TYPES)[0], TYPES)
    assert isinstance(parsed.failed, bool)
    assert all(isinstance(t, str) and isinstance(s, str) for t, s in parsed.entities)


bracket_soup = st.text(alphabet="[]{}'\"“”:,：，\\ \nuxE0aW-1.e", max_size=120)


@settings(max_examples=200, deadline=None)
@given(output=bracket_soup)
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_parse_never_raises_on_bracket_soup(name, output):
    fmt = FORMATS[name]
    parsed = fmt.parse(output, fmt.queries(TEXT, TYPES)[0], TYPES)
    assert all(isinstance(t, str) and isinstance(s, str) for t, s in parsed.entities)


# --- type names back to labels ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("other scientific term", "OtherScientificTerm"),
        ("Other  Scientific\tTerm ", "OtherScientificTerm"),
        ("OTHER_SCIENTIFIC_TERM", "OtherScientificTerm"),
        ("OtherScientificTerm", "OtherScientificTerm"),
        ("otherscientificterm", "OtherScientificTerm"),
        ("METHOD", "Method"),
        (" planet ", " planet "),  # unknown: kept exactly as the model wrote it
        ("", ""),
    ],
)
def test_label_of_maps_verbalisations_and_labels_back(name, label):
    assert label_of(name, TYPES) == label


def test_label_of_prefers_the_verbalisation_the_prompt_showed():
    # "b" is the verbalisation of A and the canonical label of B.
    assert label_of("b", {"B": "c", "A": "b"}) == "A"


# --- the literal reader -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "complete"),
    [
        ("[{'E': 'task', 'W': 'x'}, {'E': 'met", [{"E": "task", "W": "x"}], False),
        (
            'x = {"a": [1, -2.5, 1e3], "b": true, "c": null} y',
            {"a": [1, -2.5, 1000.0], "b": True, "c": None},
            True,
        ),
        ("[True, False, None, 'a',]", [True, False, None, "a"], True),
        (
            '["\\u00e9\\n\\t\\"", "\\ud83d\\ude00", "\\x41\\U0001F600"]',
            ['é\n\t"', "😀", "A😀"],
            True,
        ),
        ('["\\ud83d"]', ["\ufffd"], False),
        ("['\\d']", ["\\d"], True),
        ('["a" "b"]', ["a", "b"], False),
        ("[1,, 2]", [1, 2], False),
        ("[1, 2", [1], False),
        ("[[1, 2], [3, 4", [[1, 2], [3]], False),
        ("[[1, 2], [3", [[1, 2]], False),
        ('{"a": [1}', {"a": [1]}, False),
        ("[1] ]", [1], True),
        ("[1 } 2]", [1, 2], False),
        ("{'a' 'b': 1, : 2}", {"b": 1}, False),
        ("[BERT, ELMo]", ["BERT", "ELMo"], False),
        ("{1: 'x', 'y': }", {}, False),
        ("no brackets", None, False),
        ("[" + "9" * 200 + "]", ["9" * 200], False),
    ],
)
def test_read_literal(text, value, complete):
    literal = read_literal(text)
    assert (literal.value, literal.complete) == (value, complete)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
containers = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
).filter(lambda v: isinstance(v, list | dict))


@settings(max_examples=300, deadline=None)
@given(value=containers, prose=st.sampled_from(["", "Answer: ", "ok\n"]))
def test_read_literal_agrees_with_json_and_python_literals(value, prose):
    for written in (json.dumps(value), json.dumps(value, ensure_ascii=False), repr(value)):
        assert read_literal(prose + written + "\nDone.") == Literal(value, True)


def test_read_literal_from_a_position_and_for_one_bracket_kind():
    assert read_literal("[1] {'a': [2]}", "{").value == {"a": [2]}
    assert read_literal("[1] [2]", "[", 1).value == [2]


def test_read_sequence_reads_items_without_their_list():
    assert read_sequence("{'a': 1}, {'b': 2}] tail", 0) == Literal([{"a": 1}, {"b": 2}], False)


def test_literal_depth_is_bounded():
    literal = read_literal("[" * 10_000 + "]" * 10_000)
    assert literal.complete is False
    depth, value = 0, literal.value
    while isinstance(value, list) and value:
        depth, value = depth + 1, value[0]
    assert depth < MAX_DEPTH


def test_literal_reader_is_linear_on_hostile_input():
    n = 20_000
    hostile = [
        "['" + "' " * n,  # quotes that do not close the string
        "['" + ("'" + " " * 50 + "x") * (n // 50),  # each one looking far ahead
        "[" + "a," * n,
        '{"' + '":' * n,
        "[" * n + "{" * n,
        "[{" + "\\u" * n,
    ]
    start = time.perf_counter()
    for text in hostile:
        for fmt in FORMATS.values():
            fmt.parse(text, fmt.queries(TEXT, TYPES)[0], TYPES)
    assert time.perf_counter() - start < 5
