"""Every dataset sciner knows, described once: tasks, training and leaderboard read this."""

from __future__ import annotations

from dataclasses import dataclass, field

SPLITS = ("train", "dev", "test")
# sciner split -> the Hub's and `datasets`' name for it (the validation split is `validation`).
HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}
# The Hub copy of CoNLL-2003 most users already use (tokens + IOB2 ClassLabel tags): loaded
# when no local build exists, since Reuters' terms forbid shipping the text.
CONLL2003_HUB_ID = "eriktks/conll2003"


def type_key(name: str) -> str:
    """Case, underscores and runs of whitespace do not distinguish type names: a model's
    answer is read back to a label through it (formats.base.label_of)."""
    return " ".join(name.casefold().replace("_", " ").split())


def ambiguous_types(types: dict[str, str]) -> list[tuple[str, str, str]]:
    """(label, other label, the name they share) for labels a model's answer cannot tell
    apart: two verbalisations, or two labels, equal but for case, underscores or spacing."""
    clashes = []
    for names in (types.values(), types.keys()):
        first: dict[str, str] = {}
        for label, name in zip(types, names, strict=True):
            other = first.setdefault(type_key(name), label)
            if other != label:
                clashes.append((other, label, type_key(name)))
    return clashes


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    # Canonical label (as in the source) -> verbalisation used in prompts, in prompt order.
    types: dict[str, str]
    # The domain named by the general (EasyInstruct) prompt; "" drops "{domain} domain".
    domain: str
    citation: str
    source: str  # upstream repository, and the folder of the raw releases it is read from
    license: str
    # Labels present upstream that the study removed; dropped and counted, never silently.
    dropped_types: tuple[str, ...] = ()
    keep_sentences_without_entities: bool = True
    # False for data whose license forbids redistribution (CoNLL-2003's Reuters text).
    shipped: bool = True
    # '<file>:<annotation id>' -> why its brat text field may disagree with its offsets.
    errata: dict[str, str] = field(default_factory=dict)
    # Prompt family -> {label: verbalisation} where that family's own data names a type
    # differently from `types` (UniNER's CrossNER test data, IEPile's CoNLL-2003 training
    # data). Prompts, targets, parsers and SFT of the family all use `types_for(family)`.
    family_types: dict[str, dict[str, str]] = field(default_factory=dict)
    # Prompt family -> labels its own evaluation data never asks. sciner asks and scores them
    # like every other type; only that family's `upstream_f1` leaves them out, so it stays
    # comparable with the figures the family reports.
    upstream_unasked: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for family in ("", *self.family_types):
            for label, other, name in ambiguous_types(self.types_for(family)):
                raise ValueError(
                    f"{self.name}: labels {label!r} and {other!r} both read as {name!r} in a "
                    "prompt, so no answer could tell them apart: rename one in the data (or "
                    "keep one with --types)"
                )

    def types_for(self, family: str) -> dict[str, str]:
        """Canonical label -> verbalisation as `family`'s prompts show it, in prompt order."""
        renamed = self.family_types.get(family, {})
        return {label: renamed.get(label, words) for label, words in self.types.items()}


def _same(*labels: str) -> dict[str, str]:
    return {label: label.lower() for label in labels}


CROSSNER_VERBALISATIONS = {
    "academicjournal": "academic journal",
    "astronomicalobject": "astronomical object",
    "chemicalcompound": "chemical compound",
    "chemicalelement": "chemical element",
    "literarygenre": "literary genre",
    "misc": "miscellaneous",
    "musicalartist": "musical artist",
    "musicalinstrument": "musical instrument",
    "musicgenre": "music genre",
    "politicalparty": "political party",
    "programlang": "programming language",
}

CROSSNER_UNINER_TYPES = {"organisation": "organization", "programlang": "program language"}

CROSSNER_TYPES = {
    "ai": "algorithm conference country field location metrics misc organisation person product "
    "programlang researcher task university",
    "literature": "award book country event literarygenre location magazine misc organisation "
    "person poem writer",
    "music": "album award band country event location misc musicalartist musicalinstrument "
    "musicgenre organisation person song",
    "politics": "country election event location misc organisation person politicalparty "
    "politician",
    "science": "academicjournal astronomicalobject award chemicalcompound chemicalelement country "
    "discipline enzyme event location misc organisation person protein scientist theory "
    "university",
}

CROSSNER_DOMAINS = {
    "ai": "artificial intelligence",
    "literature": "literature",
    "music": "music",
    "politics": "politics",
    "science": "natural science",
}

CROSSNER_CITATION = (
    "Liu et al. 2021, CrossNER: Evaluating Cross-Domain Named Entity Recognition, AAAI"
)

DATASETS: dict[str, DatasetSpec] = {}


def _register(spec: DatasetSpec) -> None:
    DATASETS[spec.name] = spec


_register(
    DatasetSpec(
        name="scierc",
        title="SciERC",
        types={
            "Generic": "generic",
            "Material": "material",
            "Method": "method",
            "Metric": "metric",
            "OtherScientificTerm": "other scientific term",
            "Task": "task",
        },
        domain="scientific",
        citation="Luan et al. 2018, Multi-Task Identification of Entities, Relations, and "
        "Coreference for Scientific Knowledge Graph Construction, EMNLP",
        source="authors' processed DyGIE JSON (github JerryHao2001/thesis-tanl @ 79612fe, "
        "data/scierc/); raw folder scierc/dygie_json",
        license="research use, as distributed by the authors (no license file)",
    )
)
_register(
    DatasetSpec(
        name="stem_ecr",
        title="STEM-ECR",
        types=_same("Data", "Material", "Method", "Process"),
        domain="scientific",
        dropped_types=("Task", "Object", "Result"),
        keep_sentences_without_entities=False,
        citation="D'Souza et al. 2020, The STEM-ECR Dataset: Grounding Scientific Entity "
        "References in STEM Scholarly Content to Authoritative Encyclopedic and Lexicographic "
        "Sources, LREC; Brack et al. 2020, Domain-Independent Extraction of Scientific Concepts "
        "from Research Articles, ECIR",
        source="STM corpus entity annotations (github arthurbra/stm-coref @ a373295, "
        "data/stm-entities); raw folder stem_ecr/stm-entities",
        license="CC-BY 4.0 (Elsevier OA-STM corpus)",
    )
)
_register(
    DatasetSpec(
        name="measeval",
        title="MeasEval",
        types={
            "Quantity": "quantity",
            "MeasuredProperty": "measured property",
            "MeasuredEntity": "measured entity",
            "Qualifier": "qualifier",
        },
        domain="scientific",
        keep_sentences_without_entities=False,
        citation="Harper et al. 2021, SemEval-2021 Task 8: MeasEval - Extracting Counts and "
        "Measurements and their Related Contexts, SemEval",
        source="github harperco/MeasEval @ 1fa738b (train, trial, eval tsv + text); raw folder "
        "measeval",
        license="CC-BY 4.0 (Elsevier OA-STM corpus)",
    )
)
_register(
    DatasetSpec(
        name="wlpc",
        title="WLPC (Wet Lab Protocols)",
        types={
            "Action": "action",
            "Reagent": "reagent",
            "Location": "location",
            "Amount": "amount",
            "Modifier": "modifier",
            "Time": "time",
            "Device": "device",
            "Temperature": "temperature",
            "Concentration": "concentration",
            "Method": "method",
            "Speed": "speed",
            "Numerical": "numerical",
            "Generic-Measure": "generic measure",
            "Size": "size",
            "Measure-Type": "measure type",
            "Seal": "seal",
            "Mention": "mention",
            "pH": "pH",
        },
        domain="biology",
        dropped_types=("Misc", "Unit"),
        citation="Kulkarni et al. 2018, An Annotated Corpus for Machine Reading of "
        "Instructions in Wet Lab Protocols, NAACL",
        source="github chaitanya2334/WLP-Dataset @ 1f51ae6; raw folder wlpc",
        license="MIT",
        errata={
            "protocol_352.ann:T59": "the text field runs on into the next line "
            "('ca.' + '25 µmol quanta m–2s–1'); the offsets cover 'ca.'",
        },
    )
)
_register(
    DatasetSpec(
        name="conll2003",
        title="CoNLL-2003 (English)",
        types={
            "PER": "person",
            "ORG": "organization",
            "LOC": "location",
            "MISC": "miscellaneous",
        },
        domain="news",
        shipped=False,
        citation="Tjong Kim Sang and De Meulder 2003, Introduction to the CoNLL-2003 Shared "
        "Task: Language-Independent Named Entity Recognition, CoNLL",
        source="original release files eng.train / eng.testa / eng.testb; raw folder conll2003; "
        "or the Hub dataset eriktks/conll2003",
        license="Reuters RCV1 terms: not redistributed by sciner",
        # IEPile's CoNLL-2003 schema is person, organization, location, else (zjunlp/IEPile
        # README example; data/hard_negative/hard_dict.json).
        family_types={"iepile": {"MISC": "else"}},
    )
)
for _domain, _labels in CROSSNER_TYPES.items():
    _register(
        DatasetSpec(
            name=f"crossner_{_domain}",
            title=f"CrossNER {_domain}",
            types={label: CROSSNER_VERBALISATIONS.get(label, label) for label in _labels.split()},
            domain=CROSSNER_DOMAINS[_domain],
            citation=CROSSNER_CITATION,
            source=f"github zliucr/CrossNER @ 2e7ba2a; raw folder crossner/ner_data/{_domain}",
            license="MIT",
            # UniNER's own CrossNER test data (universal-ner src/eval/test_data/CrossNER_*.json)
            # asks "organization" and "program language", and never asks misc.
            family_types={
                "uniner": {k: v for k, v in CROSSNER_UNINER_TYPES.items() if k in _labels.split()}
            },
            upstream_unasked={"uniner": ["misc"]},
        )
    )
