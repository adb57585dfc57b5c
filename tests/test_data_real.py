"""Every converter on the real upstream files in ../shared/data/raw."""

import gzip
from collections import Counter
from pathlib import Path

import pytest

from sciner_tasks.data import DATASETS, SPLITS, load_split
from sciner_tasks.data.conll import read_conll, tags_to_chunks
from sciner_tasks.data.converters import (
    CONLL2003_FILES,
    conll2003_from_hub,
    conll_split,
    convert,
)
from sciner_tasks.data.registry import HUB_SPLITS
from sciner_tasks.data.store import PACKAGE_DIR, write_dataset

SHIPPED = [name for name, spec in DATASETS.items() if spec.shipped]


@pytest.fixture(scope="module")
def converted(raw):
    """Every registered dataset converted once from the raw releases."""
    return {name: convert(spec, raw) for name, spec in DATASETS.items()}


@pytest.mark.parametrize("name", SHIPPED)
def test_rebuild_is_byte_identical_to_the_shipped_files(name, converted, tmp_path):
    splits, log = converted[name]
    write_dataset(tmp_path / name, DATASETS[name], splits, log)
    shipped = PACKAGE_DIR / name
    assert (tmp_path / name / "dataset.json").read_bytes() == (
        shipped / "dataset.json"
    ).read_bytes()
    for split in SPLITS:
        path = f"{split}.jsonl.gz"
        # The JSONL payload is compared, not the gzip stream: zlib builds may differ in bytes.
        rebuilt = gzip.decompress((tmp_path / name / path).read_bytes())
        assert rebuilt == gzip.decompress((shipped / path).read_bytes()), f"{name} {split}"


def test_scierc_json_agrees_with_the_flattened_conll_view(converted, raw):
    """The CoNLL (IOB1) release is lossy: nested entities were flattened (the inner one wins,
    cutting the outer one) and adjacent same-type entities lost their B- separator. Where an
    entity touches no other, both copies agree exactly."""
    splits, _ = converted["scierc"]

    def touches_another(entity, entities):  # overlapping or separated by one space only
        return any(
            o != entity and o.start <= entity.end + 1 and entity.start <= o.end + 1
            for o in entities
        )

    for split in SPLITS:
        path = raw / "scierc" / f"{split}.txt"
        flat = conll_split("scierc", split, path, DATASETS["scierc"].types, "iob1", Counter())
        assert [s.text for s in flat] == [s.text for s in splits[split]]
        for full, view in zip(splits[split], flat, strict=True):
            for entity in full.entities:
                if not touches_another(entity, full.entities):
                    assert entity in view.entities, (full.id, entity)
            for entity in set(view.entities) - set(full.entities):
                # every character is inside a JSON entity of the same type
                covered = {
                    i for o in full.entities if o.type == entity.type for i in range(o.start, o.end)
                }
                assert all(
                    i in covered for i in range(entity.start, entity.end) if full.text[i] != " "
                ), (full.id, entity)
    counts = [sum(len(s.entities) for s in splits[split]) for split in SPLITS]
    assert counts == [5598, 811, 1685]


def test_conll2003_hub_rows_convert_to_the_same_sentences(converted, raw):
    datasets = pytest.importorskip("datasets")
    names = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
    hub_split = HUB_SPLITS
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
        }
    )
    hub = {}
    for split, file_name in CONLL2003_FILES.items():
        rows = []
        for index, sentence in enumerate(read_conll(raw / "conll2003" / file_name)):
            tags = ["O"] * len(sentence.tokens)  # the Hub copy is IOB2: rewrite IOB1 tags
            for start, end, type_ in tags_to_chunks(sentence.tags, "iob1", "", Counter()):
                tags[start:end] = [f"B-{type_}"] + [f"I-{type_}"] * (end - start - 1)
            rows.append(
                {
                    "id": str(index),
                    "tokens": list(sentence.tokens),
                    "ner_tags": [names.index(t) for t in tags],
                }
            )
        hub[hub_split[split]] = datasets.Dataset.from_list(rows, features=features)
    from_hub, log = conll2003_from_hub(datasets.DatasetDict(hub))
    original, _ = converted["conll2003"]
    assert log["iob2_orphan_inside"] == 0
    for split in SPLITS:
        assert [(s.text, s.entities) for s in from_hub[split]] == [
            (s.text, s.entities) for s in original[split]
        ]
    assert [len(original[s]) for s in SPLITS] == [14041, 3250, 3453]
    assert sum(len(s.entities) for s in original["test"]) == 5648


def test_wlpc_quirks_are_handled_and_counted(converted):
    splits, log = converted["wlpc"]
    assert log["dropped_type:Misc"] == 23 and log["dropped_type:Unit"] == 1
    assert log["erratum:protocol_352.ann:T59"] == 1
    assert log["discontinuous_covered"] == 103
    # protocol_413 writes a tab inside a span's text field: read as one annotation.
    texts = {e.text for s in splits["train"] if s.doc_id == "protocol_413" for e in s.entities}
    assert "each\tplant" in texts and "12,000\trpm" in texts
    assert {e.type for s in splits["train"] for e in s.entities} == set(DATASETS["wlpc"].types)


def test_stem_ecr_keeps_every_kept_annotation_and_splits_by_abstract(converted, raw):
    splits, log = converted["stem_ecr"]
    per_type = Counter(e.type for split in SPLITS for s in splits[split] for e in s.entities)
    assert per_type == Counter(Process=2112, Material=2099, Data=1658, Method=258)
    assert (log["dropped_type:Result"], log["dropped_type:Object"], log["dropped_type:Task"]) == (
        25,
        12,
        1,
    )
    docs = {split: {s.doc_id for s in splits[split]} for split in SPLITS}
    assert not (
        docs["train"] & docs["dev"] or docs["train"] & docs["test"] or docs["dev"] & docs["test"]
    )
    domain = {p.stem: p.parent.name for p in (raw / "stem_ecr" / "stm-entities").glob("*/*.ann")}
    for split, expected in (("dev", 1), ("test", 1)):
        assert Counter(domain[d] for d in docs[split]) == {
            d: expected for d in set(domain.values())
        }
    assert all(s.entities for split in SPLITS for s in splits[split])


def test_measeval_keeps_each_annotated_span_once(converted, raw):
    splits, log = converted["measeval"]
    unique = set()
    for folder in ("train", "trial", "eval"):
        for tsv in (raw / "measeval" / folder / "tsv").glob("*.tsv"):
            for line in tsv.read_text(encoding="utf-8").splitlines()[1:]:
                doc, _, type_, start, end, *_ = line.split("\t")
                unique.add((doc, int(start), int(end), type_))
    assert sum(len(s.entities) for split in SPLITS for s in splits[split]) == len(unique)
    assert log["duplicates_removed"] == 478
    assert all(s.entities for split in SPLITS for s in splits[split])


def test_crossner_splits(converted):
    tests = {name: len(converted[name][0]["test"]) for name in DATASETS if name.startswith("cross")}
    assert tests == {
        "crossner_ai": 431,
        "crossner_literature": 416,
        "crossner_music": 465,
        "crossner_politics": 651,
        "crossner_science": 543,
    }


@pytest.mark.parametrize("name", SHIPPED)
def test_every_entity_is_a_whole_number_of_tokens(name):
    for split in SPLITS:
        for sentence in load_split(name, split):
            starts, ends, offset = set(), set(), 0
            for token in sentence.tokens:
                offset = sentence.text.index(token, offset)
                starts.add(offset)
                offset += len(token)
                ends.add(offset)
            for e in sentence.entities:
                assert e.start in starts and e.end in ends, (sentence.id, e)


def test_shared_raw_folder_layout_is_what_the_converters_read(raw: Path):
    for folder in (
        "scierc/dygie_json",
        "stem_ecr/stm-entities",
        "measeval/trial/txt",
        "wlpc/dev",
        "conll2003",
        "crossner/ner_data/politics",
    ):
        assert (raw / folder).exists(), folder
