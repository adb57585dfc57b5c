"""index.html: one self-contained file (inline CSS, JS and SVG) that works from file://.

Tables sort by any column on a click (or Enter): numbers numerically, text alphabetically,
empty cells last in both directions; a second click reverses.
"""

from __future__ import annotations

from html import escape

from .assets import asset
from .export import BEST, NOTE, format_cell, interval_text, summary, unseen_text
from .site import Site
from .tables import DIFFERENCE, REPORTED, Row, Table

ROW_CLASSES = {REPORTED: "reported", DIFFERENCE: "difference"}


def cell(row: Row, index: int) -> str:
    """A cell; a number keeps its value in data-value (what sorting reads) and shows its 95%
    interval and best mark, if any, after it."""
    value = row.cells[index]
    text = escape(format_cell(value, row.kind))
    if value is None or value == "":
        return f'<td class="empty">{text}</td>'
    if not isinstance(value, (int, float)):
        return f"<td>{text}</td>"
    css = "num"
    if row.kind == DIFFERENCE and value:
        css += " pos" if value > 0 else " neg"
    bounds = interval_text(row, index)
    if bounds:
        text += f' <span class="interval" title="95% interval">{bounds}</span>'
    if index in row.best:
        css += " best"
        text += f' <span class="best-mark" title="{escape(row.best[index])}">{BEST}</span>'
    unseen = unseen_text(row, index)
    if unseen:
        title = "F1 on the test sentences whose text is not in train (f1_unseen)"
        text += f' <span class="unseen" title="{title}">{unseen}</span>'
    return f'<td class="{css}" data-value="{value!r}">{text}</td>'


def linked(text: str, link: str) -> str:
    """A row's first cell as a link to its run's error page."""
    return (
        f'<td><a class="errors-link" href="{escape(link)}" title="every sentence of this run, '
        f'its errors marked">{escape(text)}</a></td>'
    )


def table_html(table: Table) -> str:
    heading = f'<h2 id="{table.key}">{escape(table.title)}</h2>'
    if not table.rows:
        return heading + "<p>No runs in these results.</p>"
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in table.headers)
    body = []
    for row in table.rows:
        css = ROW_CLASSES.get(row.kind)
        opening = f'<tr class="{css}">' if css else "<tr>"
        cells = [cell(row, i) for i in range(len(row.cells))]
        if row.link:
            cells[0] = linked(row.cells[0], row.link)
        body.append(opening + "".join(cells) + "</tr>")
    return (
        f'{heading}<div class="scroll"><table class="sortable" data-key="{table.key}">'
        f"<caption>{escape(table.caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure_html(svg: str | None, caption: str) -> str:
    if svg is None:
        return f"<p>{escape(caption)}: nothing to plot in these results.</p>"
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def problems_html(site: Site) -> str:
    problems = site.collection.problems
    if not problems:
        return '<h2 id="problems">Input problems</h2><p>None.</p>'
    items = "".join(
        f"<li>{'skipped' if p.skipped else 'warning'}: {escape(str(p))}</li>" for p in problems
    )
    return f'<h2 id="problems">Input problems</h2><ul class="problems">{items}</ul>'


def render(site: Site) -> str:
    parts = [
        "<h1>sciner leaderboard</h1>",
        f'<p id="summary">{escape(summary(site))}</p>',
        f"<p>{escape(NOTE)}</p>",
    ]
    for table in site.study:
        parts.append(table_html(table))
        if table.key == "cross_dataset":
            parts.append(figure_html(site.figures["figure2"], "Figure 2: cross-dataset F1"))
    parts.append(table_html(site.averages))
    parts += [
        '<h2 id="figure1">Precision vs recall</h2>',
        figure_html(
            site.figures["figure1"],
            "Figure 1: precision against recall of every run (dashed: equal F1); hover a point "
            "for its run",
        ),
        table_html(site.runs),
        table_html(site.per_type),
        table_html(site.errors),
        problems_html(site),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>sciner leaderboard</title><style>\n{asset('page.css')}</style></head><body>"
        + "\n".join(parts)
        + f"<script>\n{asset('page.js')}</script></body></html>\n"
    )
