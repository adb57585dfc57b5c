"""The shipped data, the command line, bring-your-own corpora and the Hub DatasetDict."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sciner_tasks.data import DATASETS, SPLITS, load_spec, load_split
from sciner_tasks.data.__main__ import main
from sciner_tasks.data.registry import HUB_SPLITS
from sciner_tasks.data.stats import reference_sentences, split_stats
from sciner_tasks.data.store import locate

README = Path(__file__).resolve().parents[1] / "sciner_tasks" / "data" / "README.md"

# The counts sciner commits to: (sentences, entities) per split, from the shipped files.
EXPECTED = {
    "scierc": [(1861, 5598), (275, 811), (551, 1685)],
    "stem_ecr": [(938, 4857), (118, 673), (117, 597)],
    "measeval": [(549, 2317), (164, 720), (320, 1338)],
    "wlpc": [(8581, 35454), (2859, 12293), (2861, 12974)],
    "crossner_ai": [(100, 532), (350, 1549), (431, 1809)],
    "crossner_literature": [(100, 541), (400, 2130), (416, 2266)],
    "crossner_music": [(100, 648), (380, 2679), (465, 3336)],
    "crossner_politics": [(200, 1304), (541, 3482), (651, 4209)],
    "crossner_science": [(200, 1075), (450, 2538), (543, 3089)],
}
# Where our sentence counts differ from the study's Tables 4-5; README explains each one.
DIFFERS_FROM_STUDY = {
    ("stem_ecr", "train"),
    ("stem_ecr", "test"),
    ("measeval", "train"),
    ("measeval", "dev"),
    ("measeval", "test"),
    ("wlpc", "dev"),
    ("crossner_politics", "test"),
}


def run_convert(out, format_, name, *splits):
    args = ["--format", format_, "--name", name, "--out", str(out)]
    return main(["convert", *args, *(word for split in splits for word in ("--split", split))])


@pytest.mark.parametrize("name", EXPECTED)
def test_shipped_counts(name):
    stats = [split_stats(load_split(name, split)) for split in SPLITS]
    assert [(s.sentences, s.entities) for s in stats] == EXPECTED[name]
    assert set().union(*(s.per_type for s in stats)) == set(DATASETS[name].types)


def test_counts_equal_the_study_or_the_readme_explains_the_difference():
    reference = reference_sentences()
    datasets_section = README.read_text(encoding="utf-8").split("## Datasets", 1)[1]
    for (name, split), study in reference.items():
        if name not in EXPECTED:
            continue  # CoNLL-2003 is not shipped; test_data_real checks it from the raw files
        ours = EXPECTED[name][SPLITS.index(split)][0]
        if (name, split) in DIFFERS_FROM_STUDY:
            assert ours != study
            explained = rf"^- \*\*{name}\*\* \(study .*\b{study}\b"
            assert re.search(explained, datasets_section, re.MULTILINE), (name, split)
        else:
            assert ours == study, (name, split)


def test_stats_command_prints_every_dataset_from_the_shipped_data():
    result = subprocess.run(
        [sys.executable, "-m", "sciner_tasks.data", "stats"],
        capture_output=True,
        text=True,
        check=True,
        env={"SCINER_DATA_HOME": "/nonexistent", "PATH": ""},
    )
    for name in EXPECTED:
        assert f"{name} - " in result.stdout
    assert re.search(r"sentences\s+1861\s+275\s+551", result.stdout)
    assert re.search(r"sentences \(study\)\s+8581\s+2589\s+2861", result.stdout)
    assert "conll2003: not available here" in result.stdout
    # WLPC repeats protocol steps: texts shared within the test split and with train (same
    # words, whitespace aside: 12 test texts differ from another only by a non-breaking space).
    wlpc = result.stdout.split("wlpc - ")[1]
    assert re.search(r"distinct texts\s+6528\s+2371\s+2460", wlpc)
    assert re.search(r"repeated texts\s+2053\s+488\s+401", wlpc)
    assert re.search(r"text in train\s+-\s+745\s+934", wlpc)


def test_bring_your_own_brat_corpus(tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "n1.txt").write_text("Dissolve 5 mg NaCl in water.\nStir.\n", encoding="utf-8")
    (folder / "n1.ann").write_text(
        "T1\tAmount 9 13\t5 mg\nT2\tReagent 14 18\tNaCl\nT3\tReagent 22 27\twater\n",
        encoding="utf-8",
    )
    code = run_convert(tmp_path, "brat", "labnotes", f"test={folder}")
    assert code == 0
    directory = tmp_path / "labnotes"
    assert locate(str(directory)) == directory
    sentences = load_split(str(directory), "test")
    assert [s.text for s in sentences] == ["Dissolve 5 mg NaCl in water.", "Stir."]
    assert [(e.type, e.text) for e in sentences[0].entities] == [
        ("Amount", "5 mg"),
        ("Reagent", "NaCl"),
        ("Reagent", "water"),
    ]
    assert load_spec(str(directory)).types == {"Amount": "amount", "Reagent": "reagent"}
    capsys.readouterr()
    assert main(["stats", "--datasets", str(directory)]) == 0
    table = capsys.readouterr().out
    assert "labnotes - labnotes" in table
    assert re.search(r"entities\s+-\s+-\s+3", table)  # only a test split was given
    assert re.search(r"  Reagent\s+-\s+-\s+2", table)
    description = json.loads((directory / "dataset.json").read_text(encoding="utf-8"))
    assert description["overlap"] == {"test": {"distinct_texts": 2, "repeats": 0}}


def test_convert_reports_texts_shared_with_train(tmp_path, capsys):
    """A user's corpus: repeats within a split and test texts that are in train, printed by
    convert and kept in dataset.json."""
    train = tmp_path / "train.conll"
    train.write_text("Stir O\n. O\n\nAdd B-R\nsalt I-R\n\n", encoding="utf-8")
    test = tmp_path / "test.conll"
    test.write_text("Stir O\n. O\n\nStir O\n. O\n\nHeat O\n\n", encoding="utf-8")
    assert run_convert(tmp_path, "conll", "steps", f"train={train}", f"test={test}") == 0
    out = capsys.readouterr().out
    assert "steps train: 2 sentences, 2 distinct texts (0 repeats)" in out
    assert "steps test: 3 sentences, 2 distinct texts (1 repeats), 2 with a text in train" in out
    description = json.loads((tmp_path / "steps" / "dataset.json").read_text(encoding="utf-8"))
    assert description["overlap"]["test"] == {"distinct_texts": 2, "repeats": 1, "in_train": 2}


def test_bring_your_own_conll_and_jsonl(tmp_path):
    conll = tmp_path / "mine.conll"
    conll.write_text("Marie B-Scientist\nCurie I-Scientist\nwon O\n\nOK O\n", encoding="utf-8")
    assert run_convert(tmp_path, "conll", "c", f"dev={conll}") == 0
    dev = load_split(str(tmp_path / "c"), "dev")
    assert [(e.type, e.text) for e in dev[0].entities] == [("Scientist", "Marie Curie")]
    assert len(dev) == 2

    records = tmp_path / "mine.jsonl"
    records.write_text("".join(s.to_json() + "\n" for s in dev), encoding="utf-8")
    assert run_convert(tmp_path, "jsonl", "j", f"test={records}") == 0
    again = load_split(str(tmp_path / "j"), "test")
    assert [(s.id, s.split, s.entities) for s in again] == [
        ("j-test-00000", "test", dev[0].entities),
        ("j-test-00001", "test", ()),
    ]


def test_cli_reports_bad_input_as_one_error_line(tmp_path, capsys):
    conll = tmp_path / "bad.conll"
    conll.write_text("Marie B-\n", encoding="utf-8")
    code = run_convert(tmp_path, "conll", "c", f"test={conll}")
    assert code == 1
    assert re.match(
        r"error: .*bad.conll:1: token 1 has malformed tag 'B-'", capsys.readouterr().err
    )


def test_unknown_dataset_and_split_errors():
    with pytest.raises(FileNotFoundError, match="no dataset 'sciercc': not a built-in"):
        load_split("sciercc", "test")
    with pytest.raises(ValueError, match="unknown split 'validation'"):
        load_split("scierc", "validation")


def test_dataset_dict_round_trips_through_save_to_disk(tmp_path):
    datasets = pytest.importorskip("datasets")
    from sciner_tasks.data.hub import to_dataset_dict

    dataset_dict = to_dataset_dict("crossner_ai")
    dataset_dict.save_to_disk(tmp_path / "dd")
    loaded = datasets.load_from_disk(str(tmp_path / "dd"))
    from sciner_tasks.data import Sentence

    assert list(loaded) == ["train", "validation", "test"]  # the Hub's and datasets' names
    for split in SPLITS:
        rows = loaded[HUB_SPLITS[split]]
        back = [Sentence.from_dict(row, f"row {i}") for i, row in enumerate(rows)]
        assert back == load_split("crossner_ai", split)


def test_dataset_card_carries_source_license_counts_and_configs():
    from sciner_tasks.data.hub import dataset_card

    card = dataset_card(["scierc", "wlpc"], "org/sciner-data")
    assert card.data.license == "other"  # the two sets have different licenses
    assert [config["config_name"] for config in card.data.configs] == ["scierc", "wlpc"]
    assert {"split": "test", "path": "wlpc/test-*"} in card.data.configs[1]["data_files"]
    assert {"split": "validation", "path": "wlpc/validation-*"} in card.data.configs[1][
        "data_files"
    ]
    text = str(card)
    assert "- config_name: scierc" in text.split("---")[1]  # the YAML the Hub reads
    assert "| sentences | 1861 | 275 | 551 |" in text
    assert "| entities | 35454 | 12293 | 12974 |" in text
    assert "| distinct texts | 6528 | 2371 | 2460 |" in text
    assert "| sentences whose text is in train | - | 745 | 934 |" in text
    assert "License: MIT" in text and "Kulkarni et al. 2018" in text
    assert "`OtherScientificTerm` (other scientific term)" in text
    assert "Upstream types not kept: Misc, Unit" in text
    assert dataset_card(["crossner_ai"], "org/x").data.license == "mit"


def test_push_uploads_each_config_then_the_card(monkeypatch):
    datasets = pytest.importorskip("datasets")
    huggingface_hub = pytest.importorskip("huggingface_hub")
    from sciner_tasks.data import hub

    calls = []
    monkeypatch.setattr(
        datasets.DatasetDict,
        "push_to_hub",
        lambda self, repo, **kw: calls.append(
            ("data", repo, kw["config_name"], self["test"].num_rows)
        ),
    )
    monkeypatch.setattr(
        huggingface_hub.DatasetCard,
        "push_to_hub",
        lambda self, repo, **kw: calls.append(("card", repo, len(self.data.configs))),
    )
    hub.push(["crossner_ai", "measeval"], "org/sciner-data")
    assert calls == [
        ("data", "org/sciner-data", "crossner_ai", 431),
        ("data", "org/sciner-data", "measeval", 320),
        ("card", "org/sciner-data", 2),
    ]
    with pytest.raises(ValueError, match="conll2003 may not be redistributed"):
        hub.push(["conll2003"], "org/x")


def test_dataset_json_records_spec_and_conversion():
    description = json.loads((locate("wlpc") / "dataset.json").read_text(encoding="utf-8"))
    assert description["types"] == DATASETS["wlpc"].types
    assert description["conversion"]["dropped_type:Misc"] == 23
    assert description["overlap"]["test"] == {
        "distinct_texts": 2460,
        "repeats": 401,
        "in_train": 934,
    }
