"""The figures as standalone SVG strings (no plotting library, no external resources).

Figure 1 after the study's: precision against recall of every run, with iso-F1 curves.
Figure 2: F1 bars of the cross-dataset runs (fine-tuned on SciERC, evaluated elsewhere).
Both axes are percent, 0 to 100, so figures built from different results compare by eye.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from .numbers import percent
from .runs import Run
from .tables import OURS, Table, title

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
TICKS = (0, 20, 40, 60, 80, 100)
ISO_F1 = (20, 40, 60, 80)
FONT = 'font-family="sans-serif" font-size="12"'
FIGURE_FILES = {"figure1": "figure1.svg", "figure2": "figure2.svg"}  # file names in SITE_DIR

# Characters XML 1.0 does not allow (C0 controls but tab and line ends, U+FFFE, U+FFFF): one
# in a model or type name would make the SVG file unreadable.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """`value` as SVG text: escaped, each character XML cannot hold shown as U+FFFD."""
    return escape(XML_INVALID.sub("\ufffd", value))


@dataclass(frozen=True)
class Point:
    label: str  # tooltip
    group: str  # legend entry (colour)
    x: float
    y: float


@dataclass(frozen=True)
class Frame:
    """The plot area of a figure, in SVG user units, mapping percent values onto it."""

    left: float
    top: float
    right: float
    bottom: float

    def x(self, value: float) -> float:
        return self.left + value / 100 * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.bottom - value / 100 * (self.bottom - self.top)


def svg(width: int, height: int, name: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT}><title>{xml_text(name)}</title>'
        + "".join(body)
        + "</svg>"
    )


def y_axis(frame: Frame, label: str) -> list[str]:
    parts = []
    for tick in TICKS:
        y = frame.y(tick)
        parts.append(
            f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.right}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    middle = (frame.top + frame.bottom) / 2
    parts.append(
        f'<text transform="translate(14 {middle:.1f}) rotate(-90)" '
        f'text-anchor="middle">{xml_text(label)}</text>'
    )
    return parts


def legend(entries: Sequence[str], x: float, y: float) -> list[str]:
    parts = []
    for index, entry in enumerate(entries):
        top = y + index * 18
        parts.append(
            f'<rect x="{x}" y="{top}" width="12" height="12" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        parts.append(f'<text x="{x + 18}" y="{top + 10}">{xml_text(entry)}</text>')
    return parts


def iso_f1_curve(frame: Frame, f1: float) -> str:
    """Points of equal F1: precision = F1 * recall / (2 recall - F1), from precision 100
    (recall = 100 F1 / (200 - F1)) to recall 100."""
    lowest = 100 * f1 / (200 - f1)
    points = []
    for step in range(101):
        recall = lowest + (100 - lowest) * step / 100
        precision = f1 * recall / (2 * recall - f1)
        points.append(f"{frame.x(recall):.1f},{frame.y(precision):.1f}")
    return (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="#bbb" '
        f'stroke-dasharray="3 3"/><text x="{frame.right + 3}" y="{frame.y(lowest) + 4:.1f}" '
        f'fill="#999">F1 {f1}</text>'
    )


def scatter_svg(points: Sequence[Point], name: str, x_label: str, y_label: str) -> str:
    width, height = 600, 430
    frame = Frame(left=56, top=16, right=400, bottom=height - 48)
    groups = sorted({p.group for p in points})
    body = y_axis(frame, y_label)
    for tick in TICKS:
        x = frame.x(tick)
        body.append(
            f'<line x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" y2="{frame.bottom}" stroke="#ddd"/>'
        )
        body.append(f'<text x="{x:.1f}" y="{frame.bottom + 16}" text-anchor="middle">{tick}</text>')
    body.append(
        f'<text x="{(frame.left + frame.right) / 2}" y="{height - 8}" '
        f'text-anchor="middle">{xml_text(x_label)}</text>'
    )
    body += [iso_f1_curve(frame, f1) for f1 in ISO_F1]
    for point in points:
        colour = PALETTE[groups.index(point.group) % len(PALETTE)]
        body.append(
            f'<circle cx="{frame.x(point.x):.1f}" cy="{frame.y(point.y):.1f}" r="5" '
            f'fill="{colour}" fill-opacity="0.75" stroke="#333" stroke-width="0.5">'
            f"<title>{xml_text(point.label)}</title></circle>"
        )
    body += legend(groups, frame.right + 50, frame.top)
    return svg(width, height, name, body)


def bars_svg(
    groups: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[str],
    name: str,
    y_label: str,
) -> str:
    """Grouped bars: one group per label, one bar per series (None: no bar)."""
    bar, gap = 22, 28
    group_width = bar * len(series) + gap
    frame = Frame(left=56, top=16, right=56 + group_width * len(groups), bottom=300)
    width = int(frame.right) + 40 + 10 * max(len(s) for s in series)
    height = int(frame.bottom) + 40 + 18 * len(series)
    body = y_axis(frame, y_label)
    for index, (label, values) in enumerate(groups):
        start = frame.left + index * group_width + gap / 2
        for k, value in enumerate(values):
            if value is None:
                continue
            x, top = start + k * bar, frame.y(value)
            body.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar - 2}" '
                f'height="{frame.bottom - top:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                f"<title>{xml_text(f'{label}, {series[k]}: {value:.2f}')}</title></rect>"
            )
            body.append(
                f'<text x="{x + bar / 2 - 1:.1f}" y="{top - 3:.1f}" font-size="9" '
                f'text-anchor="middle">{value:.1f}</text>'
            )
        body.append(
            f'<text x="{start + bar * len(values) / 2:.1f}" y="{frame.bottom + 16}" '
            f'text-anchor="middle">{xml_text(label)}</text>'
        )
    body += legend(series, frame.left, frame.bottom + 30)
    return svg(width, height, name, body)


def precision_recall_figure(runs: Sequence[Run]) -> str | None:
    """Figure 1: every run with precision and recall, coloured by dataset; None if none."""
    points = [
        Point(
            f"{r.model} ({r.setting}) on {r.task}: P {percent(r.metrics['precision']):.2f}, "
            f"R {percent(r.metrics['recall']):.2f}",
            title(r.dataset),
            percent(r.metrics["recall"]),
            percent(r.metrics["precision"]),
        )
        for r in runs
        if r.metrics["precision"] is not None and r.metrics["recall"] is not None
    ]
    if not points:
        return None
    return scatter_svg(points, "Figure 1: precision vs recall", "Recall (%)", "Precision (%)")


def cross_dataset_figure(table: Table) -> str | None:
    """Figure 2: F1 bars of the cross-dataset table's own rows; None if it has none."""
    first_value = 3  # Model, Family, Source, then the F1 columns
    groups = [(r.cells[0], r.cells[first_value:]) for r in table.rows if r.kind == OURS]
    if not groups:
        return None
    return bars_svg(groups, table.headers[first_value:], "Figure 2: cross-dataset F1", "F1 (%)")
