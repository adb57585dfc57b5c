"""Publishing processed datasets to the Hugging Face Hub: one repo, one config per dataset.

`load_dataset("ORG/NAME", "scierc")` then gives the same records as `load_split("scierc", ...)`.
Everything but the upload itself (building the DatasetDict and the card) is plain local code,
so it is tested offline; the upload is a thin call to `datasets` and `huggingface_hub`.
"""

from __future__ import annotations

from huggingface_hub import DatasetCard, DatasetCardData

from .loading import load_spec, load_split
from .registry import HUB_SPLITS, SPLITS, DatasetSpec
from .schema import Sentence, features
from .stats import dataset_stats

# Hub license identifiers for the licenses in the registry.
HUB_LICENSES = {"MIT": "mit", "CC-BY 4.0 (Elsevier OA-STM corpus)": "cc-by-4.0"}

SCHEMA_DOC = """\
| field | type | meaning |
|---|---|---|
| `id` | string | `<dataset>-<split>-<index>` |
| `doc_id` | string | source document (abstract, protocol, paragraph, CoNLL document) |
| `split` | string | train / dev / test (the `dev` records are the Hub split `validation`) |
| `text` | string | the sentence |
| `tokens` | list of string | word tokens; every entity is a whole number of tokens |
| `entities` | list of {`start`, `end`, `type`, `text`} | gold entities; `text == text[start:end]` \
(character offsets), `type` is the canonical label |
"""


def to_dataset_dict(name_or_path: str):
    """A `datasets.DatasetDict` (train/validation/test) of one processed dataset: the Hub's
    split names; each record keeps sciner's own (`dev`) in its `split` field."""
    import datasets

    return datasets.DatasetDict(
        {
            HUB_SPLITS[split]: datasets.Dataset.from_list(
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


def card_data(specs: list[DatasetSpec]) -> DatasetCardData:
    """The card's metadata: one config per dataset, so `load_dataset(repo, name)` finds its
    files (data_dir=name in `push`)."""
    return DatasetCardData(
        license=hub_license(specs),
        language=["en"],
        task_categories=["token-classification"],
        task_ids=["named-entity-recognition"],
        tags=["sciner", "scientific-ner"],
        configs=[
            {
                "config_name": spec.name,
                "data_files": [
                    {"split": hub, "path": f"{spec.name}/{hub}-*"} for hub in HUB_SPLITS.values()
                ],
            }
            for spec in specs
        ],
    )


def dataset_section(name: str, spec: DatasetSpec) -> list[str]:
    """Source, license, citation, verbalised entity types and counts of one dataset."""
    lines = [f"## {spec.name}: {spec.title}", ""]
    lines += [f"- Source: {spec.source}", f"- License: {spec.license}"]
    lines += [f"- Citation: {spec.citation}"]
    if spec.dropped_types:
        lines.append(f"- Upstream types not kept: {', '.join(spec.dropped_types)}")
    types = ", ".join(f"`{label}` ({words})" for label, words in spec.types.items())
    lines += [f"- Entity types: {types}", ""]
    stats = dataset_stats({split: load_split(name, split) for split in SPLITS})

    def row(label: str, value) -> str:
        return f"| {label} | " + " | ".join(str(value(stats[s])) for s in SPLITS) + " |"

    lines += [
        "| | " + " | ".join(HUB_SPLITS[s] for s in SPLITS) + " |",
        "|---|" + "---|" * len(SPLITS),
    ]
    lines.append(row("sentences", lambda s: s.sentences))
    lines.append(row("distinct texts", lambda s: s.distinct_texts))
    lines.append(
        row("sentences whose text is in train", lambda s: "-" if s.in_train is None else s.in_train)
    )
    lines.append(row("entities", lambda s: s.entities))
    lines += [
        "",
        "A sentence whose text is in train was seen in fine-tuning; sciner's tasks never show it "
        "as its own demonstration and score it apart (`f1_unseen`).",
    ]
    return [*lines, ""]


def dataset_card(names: list[str], repo_id: str) -> DatasetCard:
    """The README.md of the Hub repo: metadata (configs, license) and one section per
    dataset."""
    specs = [load_spec(name) for name in names]
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
        body += dataset_section(name, spec)
    return DatasetCard(f"---\n{card_data(specs).to_yaml()}\n---\n\n" + "\n".join(body))


def push(names: list[str], repo_id: str, private: bool = False, token: str | None = None) -> None:
    """Upload each dataset as a config of `repo_id`, then the card."""
    for name in names:
        if not load_spec(name).shipped:
            raise ValueError(f"{name} may not be redistributed ({load_spec(name).license})")
    for name in names:
        to_dataset_dict(name).push_to_hub(
            repo_id, config_name=name, data_dir=name, private=private, token=token
        )
    dataset_card(names, repo_id).push_to_hub(repo_id, token=token)
