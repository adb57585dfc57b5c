"""Scores as the pages show them: fractions as percentages."""

from __future__ import annotations


def percent(value: float | None) -> float | None:
    return None if value is None else 100 * value


def percent_text(value: float | None) -> str:
    """Two decimals, as the study's tables; "n/a" where there is no figure."""
    return "n/a" if value is None else f"{100 * value:.2f}"
