"""Publishing processed datasets to the Hugging Face Hub: one repo, one config per dataset.

`load_dataset("ORG/NAME", "scierc")` then gives the same records as `load_split("scierc", ...)`.
Everything but the upload itself (building the DatasetDict and the card) is plain local code,
so it is tested offline; the upload is a thin call to `datasets` and `huggingface_hub`.
"""

from __future__ import annotations

from .registry import SPLITS, DatasetSpec
from .schema import Sentence, features
from .stats import split_stats
from .store import load_spec, load_split

# Hub license identifiers for the licenses in the registry.
HUB_LICENSES = {"MIT": "mit", "CC-BY 4.0 (Elsevier OA-STM corpus)": "cc-by-4.0"}

SCHEMA_DOC = """\
| field | type | meaning |
|---|---|---|
| `id` | string | `<dataset>-<split>-<index>` |
| `doc_id` | string | source document (abstract, protocol, paragraph, CoNLL document) |
| `split` | string | train / dev / test |
| `text` | string | the sentence |
| `tokens` | list of string | word tokens; every entity is a whole number of tokens |
| `entities` | list of {`start`, `end`, `type`, `text`} | gold entities; `text == text[start:end]` \
(character offsets), `type` is the canonical label |
"""


def to_dataset_dict(name_or_path: str):
    """A `datasets.DatasetDict` (train/dev/test) of one processed dataset."""
    import datasets

    return datasets.DatasetDict(
        {
            split: datasets.Dataset.from_list(
                [_row(s) for s in load_split(name_or_path, split)], features=features()
            )
            for split in SPLITS
        }
    )


def _row(sentence: Sentence) -> dict:
    return {
        "id": sentence.id,
        "doc_id": sentence.doc_id,
        "split": sentence.split,
        "text": sentence.text,
        "tokens": list(sentence.tokens),
        "entities": [
            {"start": e.start, "end": e.end, "type": e.type, "text": e.text}
            for e in sentence.entities
        ],
    }


def hub_license(specs: list[DatasetSpec]) -> str:
    licenses = {HUB_LICENSES.get(spec.license, "other") for spec in specs}
    return licenses.pop() if len(licenses) == 1 else "other"


def dataset_card(names: list[str], repo_id: str) -> str:
    """The README.md of the Hub repo: YAML metadata (configs, license) and one section per
    dataset with its source, citation, license, counts and verbalised entity types."""
    specs = [load_spec(name) for name in names]
    yaml = [
        "---",
        f"license: {hub_license(specs)}",
        "language:\n- en",
        "task_categories:\n- token-classification",
        "task_ids:\n- named-entity-recognition",
        "tags:\n- sciner\n- scientific-ner",
        "configs:",
    ]
    for spec in specs:
        yaml.append(f"- config_name: {spec.name}\n  data_files:")
        yaml += [f"  - split: {split}\n    path: {spec.name}/{split}-*" for split in SPLITS]
    yaml.append("---")
    body = [
        f"# {repo_id}",
        "",
        (
            "Named-entity recognition sets converted by sciner to one record schema: "
            "sentences with character-offset entities. Load one with "
            f'`datasets.load_dataset("{repo_id}", "{specs[0].name}")`.'
        ),
        "",
        "## Schema",
        "",
        SCHEMA_DOC,
    ]
    for name, spec in zip(names, specs, strict=True):
        body += [f"## {spec.name}: {spec.title}", ""]
        body += [f"- Source: {spec.source}", f"- License: {spec.license}"]
        body += [f"- Citation: {spec.citation}"]
        if spec.dropped_types:
            body.append(f"- Upstream types not kept: {', '.join(spec.dropped_types)}")
        types = ", ".join(f"`{label}` ({words})" for label, words in spec.types.items())
        body += [f"- Entity types: {types}", ""]
        stats = {split: split_stats(load_split(name, split)) for split in SPLITS}
        body += ["| | " + " | ".join(SPLITS) + " |", "|---|" + "---|" * len(SPLITS)]
        body.append("| sentences | " + " | ".join(str(stats[s].sentences) for s in SPLITS) + " |")
        body.append("| entities | " + " | ".join(str(stats[s].entities) for s in SPLITS) + " |")
        body.append("")
    return "\n".join(yaml) + "\n\n" + "\n".join(body)


def push(names: list[str], repo_id: str, private: bool = False, token: str | None = None) -> None:
    """Upload each dataset as a config of `repo_id`, then the card."""
    from huggingface_hub import DatasetCard

    for name in names:
        if not load_spec(name).shipped:
            raise ValueError(f"{name} may not be redistributed ({load_spec(name).license})")
    for name in names:
        to_dataset_dict(name).push_to_hub(
            repo_id, config_name=name, data_dir=name, private=private, token=token
        )
    DatasetCard(dataset_card(names, repo_id)).push_to_hub(repo_id, token=token)
