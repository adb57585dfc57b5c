"""Error pages: one self-contained HTML page per run with logged samples, showing every
sentence with its gold and predicted entities marked in the text.

A page is its run's sentences as JSON (`page_data`) and a script that builds one page of
PAGE_SIZE sentences at a time from it, so a 2,861-sentence WLPC run stays a few megabytes and
quick to open. Model output is untrusted: the JSON is escaped for the script element
(`script_json`) and the script builds the DOM from text nodes only.

Every prediction is one mark of its error class (`sciner_tasks.scoring.classify_predictions`,
run once per sentence when the samples are scored: `SampleScore.classified`),
in the text or, where its string does not occur there (hallucinated, or empty), listed beside
the sentence; every missed gold entity is one mark too. So the marks of a class, counted over
the page, are the run's count in the leaderboard's error-class table.

The JSON, `{"pageSize", "types", "classes", "labels", "sentences"}`, has one array per sentence:
[id, text, failed generations, gold marks, predicted marks, gold segments, predicted segments].
A mark is [type, class, other, start, end] when located in the text and [type, class, other,
string] when not; type and class index `types` and `classes`. `other` links the two lines: a
predicted mark's gold mark (-1: spurious), a gold mark's predicted mark (-1: missed) or, for a
repeated mention, the gold mark it repeats. Gold marks are `classify_predictions`'s gold in its
order (so a prediction's match indexes them), then the repeated mentions. A segment is
[start, end, mark, ...]: a piece of text and the marks covering it, outermost first (`segments`).
Offsets are UTF-16 code units, as JavaScript indexes strings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from itertools import accumulate, pairwise
from typing import Any

from sciner_tasks.scoring import (
    CORRECT,
    SPURIOUS,
    WRONG_BOUNDARY,
    WRONG_TYPE,
    Classification,
    SentencePredictions,
    Span,
    count_hallucinated,
)

from .assets import asset
from .numbers import percent_text
from .runs import Run

PAGE_SIZE = 20  # sentences in the DOM at a time
MISSED = "missed"  # a gold entity no prediction was matched to (counted)
REPEAT = "repeat"  # a gold entity's repeated mention, which the scorer counts once (not counted)
CLASSES = (CORRECT, WRONG_TYPE, WRONG_BOUNDARY, SPURIOUS, MISSED, REPEAT)
COUNTED = CLASSES[:5]  # the error-class table's columns (`ErrorCounts`' fields)
LABELS = {
    CORRECT: "correct",
    WRONG_TYPE: "wrong type",
    WRONG_BOUNDARY: "wrong boundary",
    SPURIOUS: "spurious",
    MISSED: "missed",
    REPEAT: "repeated mention",
}
HALLUCINATED = "hallucinated"  # the filter of predictions whose string is not in the sentence
# One colour per entity type, in sorted type order (repeated past the last); no reds, which
# mark errors.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#7b4173",
    "#00796b",
    "#e6a50d",
    "#3182bd",
    "#31a354",
    "#756bb1",
    "#5d4037",
    "#9c9ede",
    "#a55194",
)
TINT = 0.22  # opacity of a type's colour behind its marks: overlapping marks show darker

Location = tuple[int, int]  # [start, end) in the sentence text


# ------------------------------------------------------------------ where marks sit in the text


def find(string: str, text: str, overlapping: Location | None = None) -> Location | None:
    """The first occurrence of `string` in `text` (the first that shares a character with
    `overlapping`, when given); None for an empty string or none found."""
    if not string:
        return None
    start = 0 if overlapping is None else max(0, overlapping[0] - len(string) + 1)
    found = text.find(string, start)  # from here on, an occurrence ends after overlapping[0]
    if found == -1 or (overlapping is not None and found >= overlapping[1]):
        return None
    return found, found + len(string)


def gold_location(span: Span, text: str) -> Location | None:
    """A gold entity's offsets, where they hold its string; else the string's first occurrence
    (offsets of another version of the text), else None."""
    if 0 <= span.start < span.end <= len(text) and text[span.start : span.end] == span.text:
        return span.start, span.end
    return find(span.text, text)


def predicted_location(
    label: str, string: str, gold: Location | None, text: str
) -> Location | None:
    """Where a prediction of class `label` is marked. Correct and wrong type: on the gold
    entity it matched (its string is that entity's). Wrong boundary: its string's first
    occurrence overlapping that entity, which the scorer's match guarantees. Spurious: its
    string's first occurrence. None: the string is not in the text (listed beside it)."""
    if label in (CORRECT, WRONG_TYPE):
        return gold
    if label == WRONG_BOUNDARY and gold is not None:
        return find(string, text, gold) or find(string, text)
    return find(string, text)


def repeated_mentions(
    gold: Sequence[dict[str, Any]], counted: Sequence[Span]
) -> list[tuple[Span, int]]:
    """The gold mentions the scorer counts once through another mention of the same type and
    string (`gold_spans`), each with the index of that counted mention, in text order."""
    first = {(span.type, span.text): j for j, span in enumerate(counted)}
    spans = {Span(e["start"], e["end"], e["type"], e["text"]) for e in gold} - set(counted)
    return [(span, first[span.type, span.text]) for span in sorted(spans)]


def segments(locations: Sequence[Location | None]) -> list[list[int]]:
    """The text cut at every mark's start and end: each piece covered by marks as [start, end,
    mark, ...], the covering marks (indices of `locations`) outermost first: earlier start,
    then longer. Nesting one element per mark in that order draws overlapping marks, a mark
    being the elements of every piece it covers."""
    located = [i for i, location in enumerate(locations) if location is not None]
    nesting = {
        i: rank
        for rank, i in enumerate(sorted(located, key=lambda i: (locations[i][0], -locations[i][1])))
    }
    opening: dict[int, list[int]] = {}
    closing: dict[int, list[int]] = {}
    for i in located:
        opening.setdefault(locations[i][0], []).append(i)
        closing.setdefault(locations[i][1], []).append(i)
    bounds = sorted(opening.keys() | closing.keys())
    covering: set[int] = set()
    pieces = []
    for start, end in pairwise(bounds):
        covering.difference_update(closing.get(start, ()))
        covering.update(opening.get(start, ()))
        if covering:
            pieces.append([start, end, *sorted(covering, key=nesting.__getitem__)])
    return pieces


def utf16_offsets(text: str) -> list[int] | None:
    """Each code point offset's UTF-16 offset (JavaScript's string index), None where they are
    the same: a character outside the Basic Multilingual Plane takes two units."""
    if all(ord(c) <= 0xFFFF for c in text):
        return None
    return list(accumulate((2 if ord(c) > 0xFFFF else 1 for c in text), initial=0))


def in_utf16(locations: Sequence[Location | None], offsets: list[int]) -> list[Location | None]:
    return [None if at is None else (offsets[at[0]], offsets[at[1]]) for at in locations]


# ------------------------------------------------------------------ the page's data


def mark(type_code: int, label: str, other: int, location: Location | None, string: str) -> list:
    if location is None:
        return [type_code, CLASSES.index(label), other, string]
    return [type_code, CLASSES.index(label), other, *location]


def sentence_record(
    sentence_id: str,
    sentence: SentencePredictions,
    classes: Classification,
    failed: int,
    type_codes: dict[str, int],
) -> list:
    """One sentence of the page's data (see the module's docstring); `classes`: its
    `classify_predictions`, the one the error-class table counted."""
    text = sentence.text or ""
    taken_by = {j: i for i, j in enumerate(classes.matched) if j is not None}
    counted_at = [gold_location(span, text) for span in classes.gold]
    repeats = repeated_mentions(sentence.gold, classes.gold)
    predicted_at = [
        predicted_location(label, string, None if j is None else counted_at[j], text)
        for (_, string), label, j in zip(
            sentence.predictions, classes.labels, classes.matched, strict=True
        )
    ]
    repeat_at = [gold_location(span, text) for span, _ in repeats]
    to_utf16 = utf16_offsets(text)
    if to_utf16 is not None:
        counted_at, repeat_at, predicted_at = (
            in_utf16(locations, to_utf16) for locations in (counted_at, repeat_at, predicted_at)
        )
    gold = [
        mark(
            type_codes[span.type],
            MISSED if j not in taken_by else classes.labels[taken_by[j]],
            taken_by.get(j, -1),
            at,
            span.text,
        )
        for j, (span, at) in enumerate(zip(classes.gold, counted_at, strict=True))
    ]
    gold += [
        mark(type_codes[span.type], REPEAT, first, at, span.text)
        for (span, first), at in zip(repeats, repeat_at, strict=True)
    ]
    predicted = [
        mark(type_codes[type_], label, -1 if j is None else j, at, string)
        for (type_, string), label, j, at in zip(
            sentence.predictions, classes.labels, classes.matched, predicted_at, strict=True
        )
    ]
    return [
        sentence_id,
        text,
        failed,
        gold,
        predicted,
        segments(counted_at + repeat_at),
        segments(predicted_at),
    ]


def run_types(sentences: Sequence[SentencePredictions]) -> list[str]:
    """Every entity type of the run, gold and predicted, sorted: the palette's order."""
    types = {e["type"] for s in sentences for e in s.gold}
    return sorted(types | {t for s in sentences for t, _ in s.predictions})


def page_data(run: Run) -> dict[str, Any]:
    samples = run.samples
    if samples is None:
        raise ValueError(f"{run.model} on {run.task}: no logged samples, so no error page")
    types = run_types(samples.logged)
    codes = {t: k for k, t in enumerate(types)}
    return {
        "pageSize": PAGE_SIZE,
        "types": types,
        "classes": list(CLASSES),
        "labels": [LABELS[c] for c in CLASSES],
        "sentences": [
            sentence_record(i, s, c, samples.failed_by_sentence.get(i, 0), codes)
            for i, s, c in zip(samples.ids, samples.logged, samples.classified, strict=True)
        ],
        # Per sentence, whether its text is in the train split (null where the run's samples
        # do not say): the "text in train" filter.
        "seen": None
        if samples.seen_in_train is None
        else [i in samples.seen_in_train for i in samples.ids],
    }


# No string may end the script element or open a comment in it ("</script", "<!--"): <, > and
# & are written as JSON escapes, as HTML-safe JSON usually is; ensure_ascii escapes the rest
# (U+2028/2029, which older parsers take for line ends, and lone surrogates, which UTF-8 cannot
# encode) the same way.
SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_json(data: Any) -> str:
    """`data` as JSON that is safe inside <script type="application/json">: whatever strings
    it holds, it cannot end the element, and JSON.parse reads it back unchanged."""
    return json.dumps(data, separators=(",", ":")).translate(SCRIPT_ESCAPES)


# ------------------------------------------------------------------ the page


def tint(colour: str) -> str:
    red, green, blue = (int(colour[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {TINT})"


def type_style(types: Sequence[str]) -> str:
    """Each type's colours, as the class t<index> its marks carry."""
    return "".join(
        f".t{k} {{ --colour: {PALETTE[k % len(PALETTE)]}; "
        f"--tint: {tint(PALETTE[k % len(PALETTE)])}; }}\n"
        for k in range(len(types))
    )


def options(values: Sequence[tuple[str, str]]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(text)}</option>' for v, text in values)


def header_html(run: Run, hallucinated: int) -> str:
    samples = run.samples
    score, errors = samples.score, samples.score.errors  # errors: a field per counted class
    facts = (
        f"{run.task} \u00b7 {run.setting} \u00b7 {run.format_name} prompt \u00b7 "
        f"F1 {percent_text(score.f1)} (from the logged samples) \u00b7 "
        f"{samples.sentences} sentences, "
        f"{samples.generations} generations, {samples.failed} failed to parse \u00b7 "
        f"hallucination rate {percent_text(score.hallucination_rate)}"
    )
    swatches = "".join(
        f'<span><span class="m neutral c-{c} swatch">{escape(LABELS[c])}</span> '
        f"{getattr(errors, c)}</span>"
        for c in COUNTED
    )
    return (
        '<p><a href="../index.html">\u2190 leaderboard</a></p>'
        f"<h1>Errors of {escape(run.model)}</h1>"
        f'<p id="run">{escape(facts)}</p>'
        f'<div class="legend" id="classes"><b>Error classes</b>{swatches}'
        f'<span><span class="m neutral c-repeat swatch">{escape(LABELS[REPEAT])}</span> '
        "(gold, not counted)</span>"
        f'<span><span class="m neutral c-spurious swatch">"\u2026"</span> not in the sentence '
        f"{hallucinated} (hallucinated, listed beside it)</span></div>"
        '<p class="note">Predictions: correct (solid underline), wrong type (dashed), wrong '
        "boundary (dotted), spurious (red wave). Gold: the same style as the prediction it was "
        "matched to, missed (red dashes), a repeated mention (grey double line; the scorer "
        "counts each type and string once). Hover a mark for its match.</p>"
    )


def types_html(types: Sequence[str]) -> str:
    swatches = "".join(
        f'<span class="m t{k} swatch">{escape(t)}</span>' for k, t in enumerate(types)
    )
    return f'<div class="legend" id="types"><b>Entity types</b>{swatches}</div>'


def toolbar_html(types: Sequence[str], seen: bool) -> str:
    """The filters; `seen`: the samples say which sentences' text is in train."""
    classes = [(c, LABELS[c]) for c in COUNTED]
    seen_filter = (
        '<label>Text in train <select id="seen">'
        + options([("all", "all"), ("unseen", "not in train"), ("seen", "in train")])
        + "</select></label>"
        if seen
        else ""
    )
    return (
        '<div id="toolbar">'
        '<label>Error class <select id="class">'
        + options([("all", "all"), *classes, (HALLUCINATED, "not in the sentence")])
        + '</select></label><label>Entity type <select id="type">'
        + options([("all", "all"), *((str(k), t) for k, t in enumerate(types))])
        + "</select></label>"
        + seen_filter
        + '<label><input type="checkbox" id="failed"> only sentences with a '
        'parse failure</label><span id="count" aria-live="polite"></span>'
        '<span><button type="button" id="prev">\u2190 previous</button> <span id="page"></span> '
        '<button type="button" id="next">next \u2192</button></span></div>'
    )


def render(run: Run) -> str:
    """The run's error page: one self-contained HTML file (needs the run's samples)."""
    data = page_data(run)
    samples = run.samples
    hallucinated = sum(count_hallucinated(s.predictions, s.text or "") for s in samples.logged)
    title = f"Errors of {run.model} on {run.task} ({run.setting})"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>\n{asset('error_page.css')}{type_style(data['types'])}</style>"
        "</head><body>"
        + header_html(run, hallucinated)
        + types_html(data["types"])
        + toolbar_html(data["types"], data["seen"] is not None)
        + '<div id="sentences"></div><noscript>The sentences are drawn by JavaScript.</noscript>'
        + f'<script type="application/json" id="error-data">{script_json(data)}</script>'
        + f"<script>\n{asset('error_page.js')}</script></body></html>\n"
    )
