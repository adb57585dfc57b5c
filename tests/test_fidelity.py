"""Protocol fidelity: every prompt, target and upstream score equals the model family's own code.

Each family's rendering is written out here a second time, independently, from its upstream
source (repository@commit, file), and every document of every task must equal it; full strings
are pinned for the first test sentence of each shipped dataset, format and regime
(tests/golden/upstream_prompts.json) and for the examples the upstream repositories print.
The upstream scorers (`upstream_f1`) are checked on worked examples traced by hand through
their code. docs/fidelity.md is the prose version of this file.

Upstream sources, as read for these tests:
- EasyInstruct: zjunlp/EasyInstruct@3291a683946c713e9b11ecf3517e03bf63629f92,
  easyinstruct/prompts/ie_prompt.py, icl_prompt.py, base_prompt.py
- UniNER: universal-ner/universal-ner@844e0e12262f2606d1d61ed5e9a89ce06ea6b5e3,
  src/conversation.py, src/utils.py, src/serve/inference.py, src/eval/evaluate.py,
  src/eval/test_data/CrossNER_*.json
- IEPile: zjunlp/IEPile@933918d020b46d078ef110f618838a4e8c618160, ie2instruction/convert_func.py,
  convert/utils/instruction.py, convert/converter/ner_converter.py,
  convert/processer/ner_processer.py, eval/extracter/ner_extracter.py, eval/metric/ner_metric.py,
  eval_func.py, src/datamodule/template.py, src/inference.py, infer_scripts/, README.md
- YAYI-UIE: wenge-research/YAYI-UIE@603ea82f1a4cb2322321285dae4a2f4bd4bc8d2e, README_EN.md

Set SCINER_WRITE_GOLDEN=1 to rewrite the golden file from the reference renderers below.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sciner_tasks import demonstrations, harness, prompting
from sciner_tasks.data import DATASETS, Entity, Sentence, load_spec, load_split
from sciner_tasks.data.store import locate
from sciner_tasks.formats import FORMATS, Query, get_format
from sciner_tasks.formats.iepile import instruction as iepile_instruction
from sciner_tasks.formats.iepile import read_upstream as iepile_read
from sciner_tasks.formats.uniner import read_upstream as uniner_read
from sciner_tasks.names import METRICS, REGIMES, TASKS, task_name

GOLDEN = Path(__file__).parent / "golden" / "upstream_prompts.json"
SHIPPED = [name for name, spec in DATASETS.items() if spec.shipped]
AVAILABLE = [name for name in DATASETS if locate(name)]

# --- the upstream renderings, written from their sources --------------------------------------

# EasyInstruct easyinstruct/prompts/ie_prompt.py: NER_EN_DOMAIN_LABELS + NER_EN_OUTPUT, the
# input line, and (in_context) the "Examples" dict and one {"Output": str(output)} dict per
# example, each rendered by icl_prompt.py as "key: value" then "\n".
EASYINSTRUCT_DOMAIN_LABELS = (
    "You are a highly intelligent and accurate {0} domain Named-entity recognition(NER) "
    "system. You take Passage as input and your task is to recognize and extract specific "
    "types of {0} domain named entities in that given passage and classify into a set of "
    "following predefined entity types:\n{1}\n"
)
EASYINSTRUCT_OUTPUT = (
    "Your output format is only [{'E': type of entity from predefined entity types, 'W': "
    "entity in the input text},...] form, no other form.\n\n"
)


# EasyInstruct easyinstruct/prompts/base_prompt.py: the system message of its chat calls.
EASYINSTRUCT_SYSTEM = "You are a helpful assistant."


def easyinstruct(text, words, domain, outputs):
    context = ""
    if outputs:
        for example in [{"Examples": ""}] + [{"Output": str(o)} for o in outputs]:
            context += "".join(f"{key}: {value}" for key, value in example.items()) + "\n"
    prompt = context + f"Input: {text}\nOutput: "
    return (
        EASYINSTRUCT_DOMAIN_LABELS.format(domain, ", ".join(words)) + EASYINSTRUCT_OUTPUT + prompt
    )


# UniNER src/conversation.py `ie_as_qa` (SeparatorStyle.ADD_COLON_TWO, sep " ", sep2 "</s>")
# filled by src/utils.py preprocess_instance (the last message is None: the model's turn).
UNINER_SYSTEM = "A virtual assistant answers questions from a user based on the provided text."


def uniner(messages):
    out = UNINER_SYSTEM + " "
    for index, message in enumerate(messages):
        role = ("USER", "ASSISTANT")[index % 2]
        out += f"{role}: {message}{(' ', '</s>')[index % 2]}" if message else f"{role}:"
    return out


def uniner_exchange(text, words, answer):
    return [f"Text: {text}", "I've read this text.", f"What describes {words} in the text?", answer]


# IEPile src/datamodule/template.py: `llama2` (Llama2Template: every turn "<s>" + "[INST]
# {query} [/INST]", the first query prefixed with the <<SYS>> block; the answer encoded on its
# own, so decoded with SentencePiece's leading space, then "</s>") and `baichuan2` (no system,
# no bos, efficient_eos: nothing between an answer and the next turn).
LLAMA2_SYSTEM = (
    "You are a helpful, respectful and honest assistant. Always answer as helpfully as possible, "
    "while being safe. Your answers should not include any harmful, unethical, racist, sexist, "
    "toxic, dangerous, or illegal content. Please ensure that your responses are socially "
    "unbiased and positive in nature.\n\nIf a question does not make any sense, or is not "
    "factually coherent, explain why instead of answering something not correct. If you don't "
    "know the answer to a question, please don't share false information."
)


def iepile_llama2(turns):
    out = ""
    for index, (query, answer) in enumerate(turns):
        if index == 0:
            query = f"<<SYS>>\n{LLAMA2_SYSTEM}\n<</SYS>>\n\n" + query
        out += ("<s>" if index else "") + f"[INST] {query} [/INST]"
        out += "" if answer is None else f" {answer}</s>"
    return out


def iepile_baichuan2(turns):
    return "".join(f"<reserved_106>{q}<reserved_107>{a or ''}" for q, a in turns)


# Baichuan2-Chat generation_utils.py build_chat_input (BAICHUAN2_SOURCE): the system message's
# own tokens, then user_token_id (195, "<reserved_106>") and the user message's tokens, then
# assistant_token_id (196, "<reserved_107>") where the model's answer starts.
def baichuan2_chat(system, user):
    return f"{system}<reserved_106>{user}<reserved_107>"


# IEPile ie2instruction/convert_func.py multischema_split_by_num_test and
# multischema_construct_instruction; convert/converter/ner_converter.py convert_target.
IEPILE_NER_EN = (
    "You are an expert in named entity recognition. Please extract entities that match the "
    "schema definition from the input. Return an empty list if the entity type does not exist. "
    "Please respond in the format of a JSON string."
)


def iepile_split(schemas, split_num=6):
    if len(schemas) < split_num:
        return [schemas]
    whole = max(len(schemas) // split_num, 1) * split_num
    chunks = [schemas[i : i + split_num] for i in range(0, whole, split_num)]
    if len(schemas) - whole >= max(1, split_num // 2):
        chunks.append(schemas[whole:])
    else:
        chunks[-1] = chunks[-1] + schemas[whole:]
    return chunks


def iepile_query(schema, text):
    return json.dumps(
        {"instruction": IEPILE_NER_EN, "schema": schema, "input": text}, ensure_ascii=False
    )


def iepile_output(schema, pairs):
    """convert_target of the de-duplicated (filter_lable) (word, text) pairs."""
    unique = list(dict.fromkeys(pairs))
    return json.dumps({w: [t for v, t in unique if v == w] for w in schema}, ensure_ascii=False)


# YAYI-UIE README_EN.md: "<reserved_13>" + prompt + "<reserved_14>" and the NER prompt.
def yayi_prompt(text, words):
    return (
        f"Text: {text} \nFrom the given text, extract all the entities and types. Please format "
        f"the answer in json {{{'/'.join(words)}：[entities]}}."
    )


def yayi(turns):
    return "".join(f"<reserved_13>{q}<reserved_14>{a or ''}" for q, a in turns)


def reference_prompts(dataset, format_name, sentence, demo):
    """The prompts of one sentence (and its demonstration, or None), rendered as the
    family's own code renders them, from the dataset's type names for that family."""
    spec = load_spec(dataset)
    types = spec.types_for(FORMATS[format_name].family)
    words = list(types.values())

    def pairs(s):  # (type word, text), each pair once, in text order
        return list(dict.fromkeys((types[e.type], e.text) for e in s.entities))

    if format_name in ("general", "general_baichuan2"):
        outputs = [[{"E": w, "W": t} for w, t in pairs(demo)]] if demo else []
        prompt = easyinstruct(sentence.text, words, spec.domain, outputs)
        if format_name == "general_baichuan2":
            return [baichuan2_chat(EASYINSTRUCT_SYSTEM, prompt)]
        return [prompt]
    if format_name == "uniner":
        prompts = []
        for word in words:
            messages = []
            if demo:  # UniNER's answers as its test data writes them: json.dumps, repeats kept
                shown = json.dumps([e.text for e in demo.entities if types[e.type] == word])
                messages += uniner_exchange(demo.text, word, shown)
            prompts.append(uniner(messages + uniner_exchange(sentence.text, word, None)))
        return prompts
    if format_name in ("iepile", "iepile_baichuan2"):
        render = iepile_llama2 if format_name == "iepile" else iepile_baichuan2
        prompts = []
        for schema in iepile_split(words):
            turns = (
                [(iepile_query(schema, demo.text), iepile_output(schema, pairs(demo)))]
                if demo
                else []
            )
            prompts.append(render(turns + [(iepile_query(schema, sentence.text), None)]))
        return prompts
    if format_name == "yayi":
        turns = []
        if demo:  # our choice: an earlier turn answered with the types that occur
            shown = {w: [t for v, t in pairs(demo) if v == w] for w in words}
            answer = json.dumps({w: ts for w, ts in shown.items() if ts}, ensure_ascii=False)
            turns.append((yayi_prompt(demo.text, words), answer))
        return [yayi(turns + [(yayi_prompt(sentence.text, words), None)])]
    raise AssertionError(format_name)


def sciner_prompts(dataset, format_name, regime):
    """sentence id -> (sentence, demonstration, [prompts of its documents])."""
    sentences = {s.id: s for s in load_split(dataset, "test")}
    train = {s.id: s for s in load_split(dataset, "train")} if regime == "1shot" else {}
    found = {}
    for doc in prompting.build_docs(dataset, format_name, regime):
        demo = train[doc["demonstrations"][0]] if doc["demonstrations"] else None
        entry = found.setdefault(doc["sentence_id"], (sentences[doc["sentence_id"]], demo, []))
        entry[2].append(doc["prompt"])
    return found


def public_sentence(text, entities):
    """A CoNLL-2003-style sentence quoted in an upstream README (the release itself is not
    redistributable): (type, string) entities at their first occurrence."""
    spans = [Entity(text.index(s), text.index(s) + len(s), t, s) for t, s in entities]
    return Sentence("readme", "readme", "test", text, tuple(text.split()), tuple(sorted(spans)))


# IEPile README.md's CoNLL-2003 example, and YAYI-UIE README_EN.md's as its demonstration.
CONLL_EXAMPLE = public_sentence(
    "284 Robert Allenby ( Australia ) 69 71 71 73 , Miguel Angel Martin ( Spain ) 75 70 71 68 "
    "( Allenby won at first play-off hole )",
    [("PER", "Robert Allenby"), ("LOC", "Australia"), ("PER", "Miguel Angel Martin")]
    + [("LOC", "Spain"), ("PER", "Allenby")],
)
CONLL_DEMO = public_sentence(
    "Alberto Mancini won in the final 7–5 , 2–6 , 7–6 , 7–5 against Boris Becker .",
    [("PER", "Alberto Mancini"), ("PER", "Boris Becker")],
)


def conll2003_prompt(format_name, regime):
    """sciner's first prompt for the README sentence, as a conll2003 task renders it."""
    spec = load_spec("conll2003")
    demos = [demonstrations.demonstration(CONLL_DEMO)] if regime == "1shot" else []
    types = spec.types_for(FORMATS[format_name].family)
    return FORMATS[format_name].queries(CONLL_EXAMPLE.text, types, spec.domain, demos)[0].prompt


def golden_prompts():
    golden = {}
    for format_name in FORMATS:
        for regime in REGIMES:
            demo = CONLL_DEMO if regime == "1shot" else None
            golden[task_name("conll2003", regime, format_name)] = {
                "sentence_id": "IEPile README example",
                "prompt": reference_prompts("conll2003", format_name, CONLL_EXAMPLE, demo)[0],
            }
    for dataset in SHIPPED:
        for format_name in FORMATS:
            for regime in REGIMES:
                sentence, demo, _ = next(
                    iter(sciner_prompts(dataset, format_name, regime).values())
                )
                prompt = reference_prompts(dataset, format_name, sentence, demo)[0]
                golden[task_name(dataset, regime, format_name)] = {
                    "sentence_id": sentence.id,
                    "prompt": prompt,
                }
    return golden


# --- renderings ---------------------------------------------------------------------------


@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("format_name", sorted(FORMATS))
@pytest.mark.parametrize("dataset", AVAILABLE)
def test_every_prompt_equals_the_upstream_rendering(dataset, format_name, regime):
    for sentence, demo, prompts in sciner_prompts(dataset, format_name, regime).values():
        assert prompts == reference_prompts(dataset, format_name, sentence, demo), sentence.id


def test_golden_prompts_are_pinned():
    """Full strings for the first test sentence of every shipped dataset, format and regime
    (the first query of the sentence): the reference renderings, written down."""
    if os.environ.get("SCINER_WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        text = json.dumps(golden_prompts(), indent=1, ensure_ascii=False, sort_keys=True)
        GOLDEN.write_text(text + "\n", encoding="utf-8")
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(pinned) == {task_name(d, r, f) for d in DATASETS for f in FORMATS for r in REGIMES}
    for task, expected in pinned.items():
        dataset, regime, format_name = TASKS[task]
        if dataset == "conll2003":
            assert conll2003_prompt(format_name, regime) == expected["prompt"], task
            continue
        docs = prompting.build_docs(dataset, format_name, regime)
        first = next(d for d in docs if d["sentence_id"] == expected["sentence_id"])
        assert first["prompt"] == expected["prompt"], task


def test_uniner_crossner_ai_first_sentence_is_its_test_data_example():
    """CrossNER_AI_0 and CrossNER_AI_9 of src/eval/test_data/CrossNER_AI.json, rendered."""
    docs = prompting.build_docs("crossner_ai", "uniner", "0shot")
    by_type = {d["query_types"][0]: d for d in docs if d["sentence_id"].endswith("-00000")}
    text = (
        "Typical generative model approaches include naive Bayes classifier s , Gaussian "
        "mixture model s , variational autoencoders and others ."
    )
    assert by_type["organisation"]["prompt"] == (
        f"{UNINER_SYSTEM} USER: Text: {text} ASSISTANT: I've read this text.</s>USER: What "
        "describes organization in the text? ASSISTANT:"
    )
    assert by_type["organisation"]["target"] == " []"
    assert by_type["algorithm"]["target"] == (
        ' ["naive Bayes classifier", "Gaussian mixture model", "variational autoencoders"]'
    )


def test_uniner_asks_crossner_types_with_its_own_names():
    """The questions of UniNER's CrossNER_AI.json, and misc, which UniNER never asks."""
    words = load_spec("crossner_ai").types_for("uniner")
    assert sorted(words.values()) == sorted(
        "organization university location person conference country researcher task product "
        "algorithm field metrics".split()
        + ["program language", "miscellaneous"]
    )
    assert load_spec("crossner_ai").upstream_unasked == {"uniner": ["misc"]}


def test_iepile_readme_conll2003_example():
    """IEPile README.md's CoNLL-2003 instance: schema ["person", "organization", "else",
    "location"] (IEPile orders the schema by a Python set; we pass its order here)."""
    types = load_spec("conll2003").types_for("iepile")
    text = (
        "284 Robert Allenby ( Australia ) 69 71 71 73 , Miguel Angel Martin ( Spain ) 75 70 71 "
        "68 ( Allenby won at first play-off hole )"
    )
    order = ["PER", "ORG", "MISC", "LOC"]
    assert iepile_instruction(text, order, types) == (
        '{"instruction": "You are an expert in named entity recognition. Please extract '
        "entities that match the schema definition from the input. Return an empty list if the "
        'entity type does not exist. Please respond in the format of a JSON string.", "schema": '
        '["person", "organization", "else", "location"], "input": "284 Robert Allenby ( '
        "Australia ) 69 71 71 73 , Miguel Angel Martin ( Spain ) 75 70 71 68 ( Allenby won at "
        'first play-off hole )"}'
    )
    gold = [
        ("PER", "Robert Allenby"),
        ("LOC", "Australia"),
        ("PER", "Miguel Angel Martin"),
        ("LOC", "Spain"),
        ("PER", "Allenby"),
    ]
    target = FORMATS["iepile_baichuan2"].target(Query("", tuple(order)), gold, types)
    assert target == (
        '{"person": ["Robert Allenby", "Miguel Angel Martin", "Allenby"], "organization": [], '
        '"else": [], "location": ["Australia", "Spain"]}'
    )


def test_yayi_readme_example():
    """README_EN.md's inference example, for CoNLL-style types in its order."""
    fmt = get_format("yayi")
    types = {"location": "location", "person": "person", "organization": "organization"}
    text = "Alberto Mancini won in the final 7–5 , 2–6 , 7–6 , 7–5 against Boris Becker ."
    assert fmt.queries(text, types)[0].prompt == (
        "<reserved_13>Text: Alberto Mancini won in the final 7–5 , 2–6 , 7–6 , 7–5 against "
        "Boris Becker . \nFrom the given text, extract all the entities and types. Please "
        "format the answer in json {location/person/organization：[entities]}.<reserved_14>"
    )


def test_llama2_system_is_iepiles():
    prompt = get_format("iepile").queries("x", {"A": "a"})[0].prompt
    assert prompt.startswith(f"[INST] <<SYS>>\n{LLAMA2_SYSTEM}\n<</SYS>>\n\n{{")
    assert prompt.endswith('"input": "x"} [/INST]')


# --- perfect answers ------------------------------------------------------------------------


@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("format_name", sorted(FORMATS))
@pytest.mark.parametrize("dataset", AVAILABLE)
def test_gold_targets_score_exactly_100(dataset, format_name, regime):
    """Every task, fed its own gold targets, scores 100: gold is de-duplicated per sentence,
    and each format's target parses back to it (UniNER's by de-duplicating, as UniNER does)."""
    docs = prompting.build_docs(dataset, format_name, regime)
    items = [harness.process_results(doc, [doc["target"]])["f1"] for doc in docs]
    assert (harness.f1(items), harness.precision(items), harness.recall(items)) == (1.0,) * 3
    assert harness.f1_unseen(items) == 1.0
    assert harness.parse_failure_rate(items) == 0.0
    if FORMATS[format_name].has_upstream_scorer:
        # IEPile scores a repeated text once, against its first copy's gold, with every copy's
        # predictions: below 100 where copies exist (pinned in the test that follows).
        repeated = FORMATS[format_name].family == "iepile" and dataset in IEPILE_OWN_TARGETS
        assert (harness.upstream_f1(items) < 1.0) == repeated
        # UniNER's reader stops a list at its first "]": an answer holding an entity with "]"
        # is unreadable to it, the gold answer as much as the prediction (both count as []).
        failed = [
            d for d, item in zip(docs, items, strict=True) if (item["upstream"] or {}).get("failed")
        ]
        assert all(format_name == "uniner" and "]" in d["target"][2:-1] for d in failed)


# --- upstream scorers, worked by hand -------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "strings", "failed"),
    [
        # get_response: the text after the last "ASSISTANT:", stripped.
        (' ["BERT", "the BERT", "Bert"]', ["bert"], False),
        ('USER: x ASSISTANT: ["CRF"]', ["crf"], False),
        # normalize_answer: lower, drop punctuation, drop a/an/the, collapse spaces.
        ('["A", "b.", "An  apple-pie"]', ["", "b", "applepie"], False),
        # re.match(r'\[(.*?)\]'): a list at the very start, up to its first "]", one line.
        ('["x"] and more text', ["x"], False),
        ('Answer: ["x"]', [], True),
        ('["x",\n"y"]', [], True),
        ('["a]b", "c"]', [], True),
        # json.loads, then normalize_answer on each item: a non-string fails the whole answer.
        ('["x", 1]', [], True),
        ("['x']", [], True),
        ("[]", [], False),
        ("", [], True),
    ],
)
def test_uniner_upstream_reader(output, strings, failed):
    assert uniner_read(output) == (strings, failed)


def uniner_doc(label, entities, text="t"):
    return {
        "sentence_id": "s1",
        "dataset": "scierc",
        "format": "uniner",
        "prompt": "",
        "query_types": [label],
        "text": text,
        "entities": [{"start": 0, "end": 1, "type": t, "text": s} for t, s in entities],
    }


def test_uniner_upstream_f1_worked_example():
    """NEREvaluator over three queries of one sentence (gold through the same parser):
    Method gold ["BERT", "ELMo", "BERT"] -> {bert, elmo}; answer '["Bert", "the ELMo", "GPT"]'
    -> {bert, elmo, gpt}: 2 correct of 3. Task gold ["NER"]; answer 'NER' (no list) -> []:
    0 of 0. Material gold []; answer '["ImageNet"]': 0 of 1. Correct 2, predicted 4, gold 3:
    P 0.5, R 0.6667, F1 4/7 (up to NEREvaluator's 1e-10 terms)."""
    gold = [("Method", "BERT"), ("Method", "ELMo"), ("Method", "BERT"), ("Task", "NER")]
    answers = {"Method": '["Bert", "the ELMo", "GPT"]', "Task": "NER", "Material": '["ImageNet"]'}
    items = [
        harness.process_results(uniner_doc(label, gold), [answer])["upstream_f1"]
        for label, answer in answers.items()
    ]
    counts = harness.upstream_counts(items)
    assert (counts.tp, counts.tp + counts.fp, counts.tp + counts.fn) == (2, 4, 3)
    assert harness.upstream_f1(items) == pytest.approx(4 / 7)
    assert [item["upstream"]["failed"] for item in items] == [False, True, False]


def test_uniner_upstream_f1_leaves_out_what_uniner_never_asks():
    """CrossNER misc: sciner's f1 counts it, upstream_f1 does not (UniNER's test data has no
    misc question)."""
    gold = [("misc", "Wikipedia"), ("person", "Turing")]
    docs = [dict(uniner_doc(label, gold), dataset="crossner_ai") for label in ("misc", "person")]
    items = [
        harness.process_results(doc, [answer])["f1"]
        for doc, answer in zip(docs, ['["Turing"]', '["Turing"]'], strict=True)
    ]
    assert items[0]["upstream"] is None
    assert harness.upstream_f1(items) == 1.0
    assert harness.f1(items) == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))


@pytest.mark.parametrize(
    ("output", "pairs", "failed"),
    [
        # post_process: json.loads of the whole output, which must be a dict.
        (
            '{"person": ["Robert Allenby", "Allenby"], "location": "Spain", "else": [1, "Open"]}',
            [("person", "Robert Allenby"), ("person", "Allenby"), ("else", "Open")],
            False,
        ),
        (' {"person": []}\n', [], False),
        ('{"person": ["A"]} Done.', [], True),
        ("{'person': ['A']}", [], True),
        ('["A"]', [], True),
        ('{"person": ["A", "B', [], True),
        (
            '{"Person": ["A"], "person": ["A", "A"]}',
            [("Person", "A"), ("person", "A"), ("person", "A")],
            False,
        ),
        ("1" * 5000, [], True),  # IEPile's script would stop here (int digits limit)
    ],
)
def test_iepile_upstream_reader(output, pairs, failed):
    assert iepile_read(output) == (pairs, failed)


def test_iepile_upstream_f1_worked_example():
    """eval_func.py over one sentence of SciERC asked in one chunk: gold (filter_lable)
    {("BERT", method), ("CRF", method), ("NER", task)}; the output predicts ("BERT", method)
    twice, ("NER", task), and ("crf", method) (case differs). NERMetric: pred_num 4, gold_num
    3, tp 2 (the second "BERT" finds no gold left): P 0.5, R 0.6667, F1 4/7. A second chunk
    (another sentence) that is not JSON adds its gold and an error, nothing predicted."""
    doc = {
        "sentence_id": "s1",
        "dataset": "scierc",
        "format": "iepile",
        "prompt": "",
        "query_types": ["Method", "Task"],
        "text": "t",
        "entities": [
            {"start": 0, "end": 1, "type": t, "text": s}
            for t, s in [("Method", "BERT"), ("Method", "CRF"), ("Method", "BERT"), ("Task", "NER")]
        ],
    }
    first = harness.process_results(doc, ['{"method": ["BERT", "BERT", "crf"], "task": ["NER"]}'])[
        "upstream_f1"
    ]
    counts = harness.upstream_counts([first])
    assert (counts.tp, counts.tp + counts.fp, counts.tp + counts.fn) == (2, 4, 3)
    other = dict(doc, sentence_id="s2", text="u", entities=doc["entities"][3:])
    second = harness.process_results(other, ["I found: task NER"])["upstream_f1"]
    assert second["upstream"] == {
        "instance": "u",
        "gold": [["task", "NER"]],
        "predictions": [],
        "failed": True,
    }
    counts = harness.upstream_counts([first, second])
    assert (counts.tp, counts.fp, counts.fn) == (2, 2, 2)


def test_iepile_upstream_matches_across_chunks_of_a_sentence():
    """eval_func.py merges a sentence's chunk outputs before matching: a type answered in
    the wrong chunk still counts."""
    base = {
        "sentence_id": "s1",
        "dataset": "wlpc",
        "format": "iepile",
        "prompt": "",
        "text": "t",
        "entities": [{"start": 0, "end": 1, "type": "Seal", "text": "cap"}],
    }
    chunks = prompting.build_docs("wlpc", "iepile", "0shot")[:3]
    items = [
        harness.process_results(dict(base, query_types=d["query_types"]), [out])["f1"]
        for d, out in zip(chunks, ['{"seal": ["cap"]}', "{}", "{}"], strict=True)
    ]
    assert "Seal" not in chunks[0]["query_types"]
    assert harness.upstream_f1(items) == 1.0


# eval_func.py on each iepile task's own gold targets, run by bench/iepile_eval_parity.py on
# zjunlp/IEPile@933918d020b46d078ef110f618838a4e8c618160 (bench/results/iepile_eval_parity.json):
# instances (its 总样本数), then tp, predicted and gold. Every other dataset: 100, one instance
# per sentence.
IEPILE_OWN_TARGETS = {
    "wlpc": (2472, 11295, 12830, 11295),  # P 88.04, R 100.0, F1 93.64
    "conll2003": (3184, 5386, 5584, 5386),  # P 96.45, F1 98.19
    "crossner_ai": (430, 1787, 1789, 1787),  # P 99.89, F1 99.94
    "crossner_music": (457, 3228, 3295, 3228),  # P 97.97, F1 98.97
    "crossner_science": (532, 2989, 3050, 2989),  # P 98.0, F1 98.99
}


def eval_func_counts(records):
    """zjunlp/IEPile ie2instruction/eval_func.py `evaluate` (lines 46-90 at 933918d), for NER,
    written again: records are (source, text, label pairs, output) lines of an inference file.
    Line 50 keys a record by `source + id`, and convert_func.py line 43 sets id =
    stable_hash(text) (convert/utils/utils.py: SHA-256); line 56 keeps the first record's label,
    line 52 appends every later record's output. Lines 75-81: each output through
    NERExtracter.post_process (json.loads, a dict, list values, string items); lines 88-90 and
    eval/metric/ner_metric.py count_instance_f1: predictions as a list against the gold
    list, each match removing one gold."""
    import hashlib

    mapper = {}
    for source, text, label, output in records:
        key = source + hashlib.sha256(text.encode("utf-8")).hexdigest()
        if key in mapper:
            mapper[key]["output"].append(output)
        else:
            mapper[key] = {"output": [output], "label": label}
    tp = predicted = gold = 0
    for value in mapper.values():
        predictions = []
        for output in value["output"]:
            try:
                parsed = json.loads(output)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                predictions += [
                    (item, key)
                    for key, items in parsed.items()
                    if isinstance(items, list)
                    for item in items
                    if isinstance(item, str)
                ]
        left = [(entity, entity_type) for entity, entity_type in value["label"]]
        predicted, gold = predicted + len(predictions), gold + len(left)
        for prediction in predictions:
            if prediction in left:
                tp += 1
                left.remove(prediction)
    return len(mapper), tp, predicted, gold


def iepile_doc(sentence_id, text, entities, query_types=("Method", "Task")):
    return {
        "sentence_id": sentence_id,
        "dataset": "scierc",
        "format": "iepile",
        "prompt": "",
        "query_types": list(query_types),
        "text": text,
        "entities": [{"start": 0, "end": 1, "type": t, "text": s} for t, s in entities],
    }


def test_iepile_upstream_f1_scores_a_repeated_text_once_with_its_first_gold():
    """eval_func.py by hand (see eval_func_counts for the lines), SciERC, one chunk per
    sentence. s1 and s3 share the text "Centrifuge it." with different gold; s2 is another text.
    - key(s1) = key(s3): one instance. Its label is s1's (line 56): {("BERT", method)}. Its
      outputs are s1's and s3's (line 52): s1 answers ("BERT", method); s3 answers ("BERT",
      method) and ("NER", task), its own gold, which eval_func never reads.
      Predictions [BERT/method, BERT/method, NER/task] against [BERT/method]: tp 1, predicted
      3, gold 1.
    - s2: gold {("CRF", method)}, answered exactly: tp 1, predicted 1, gold 1.
    Total: 2 instances, tp 2, predicted 4, gold 2: P 0.5, R 1.0, F1 2/3. Per sentence (sciner's
    f1) the same answers are all correct: F1 1.0."""
    docs = [
        iepile_doc("s1", "Centrifuge it.", [("Method", "BERT")]),
        iepile_doc("s2", "Another text.", [("Method", "CRF")]),
        iepile_doc("s3", "Centrifuge it.", [("Method", "BERT"), ("Task", "NER")]),
    ]
    outputs = [
        '{"method": ["BERT"], "task": []}',
        '{"method": ["CRF"], "task": []}',
        '{"method": ["BERT"], "task": ["NER"]}',
    ]
    items = [
        harness.process_results(doc, [out])["upstream_f1"]
        for doc, out in zip(docs, outputs, strict=True)
    ]
    counts = harness.upstream_counts(items)
    assert (counts.tp, counts.tp + counts.fp, counts.tp + counts.fn) == (2, 4, 2)
    assert harness.upstream_f1(items) == pytest.approx(2 / 3)
    assert harness.f1(items) == 1.0
    labels = {"s1": [("BERT", "method")], "s2": [("CRF", "method")]}
    labels["s3"] = labels["s1"] + [("NER", "task")]
    records = [
        ("scierc", d["text"], labels[d["sentence_id"]], out)
        for d, out in zip(docs, outputs, strict=True)
    ]
    assert eval_func_counts(records) == (2, 2, 4, 2)


@pytest.mark.parametrize("dataset", AVAILABLE)
def test_iepile_upstream_f1_is_eval_funcs_on_own_targets(dataset):
    """Every iepile task fed its own targets: upstream_f1's counts are those of eval_func.py
    written again (eval_func_counts), and where texts repeat, those IEPile's own script gave."""
    types = load_spec(dataset).types_for("iepile")
    docs = prompting.build_docs(dataset, "iepile", "0shot")
    items = [harness.process_results(d, [d["target"]])["upstream_f1"] for d in docs]
    counts = harness.upstream_counts(items)
    records = [
        (
            dataset,
            d["text"],
            list(dict.fromkeys((e["text"], types[e["type"]]) for e in d["entities"])),
            d["target"],
        )
        for d in docs
    ]
    instances, tp, predicted, gold = eval_func_counts(records)
    assert (counts.tp, counts.tp + counts.fp, counts.tp + counts.fn) == (tp, predicted, gold)
    sentences = len({d["sentence_id"] for d in docs})
    pinned = IEPILE_OWN_TARGETS.get(dataset, (sentences, tp, tp, tp))
    assert (instances, tp, predicted, gold) == pinned


def test_only_families_with_a_scorer_report_upstream_f1():
    doc = prompting.build_docs("scierc", "general", "0shot")[0]
    assert "upstream_f1" not in harness.process_results(doc, [doc["target"]])
    for name in ("uniner", "iepile", "iepile_baichuan2"):
        doc = prompting.build_docs("scierc", name, "0shot")[0]
        assert set(harness.process_results(doc, [doc["target"]])) == set(METRICS) | {"upstream_f1"}
