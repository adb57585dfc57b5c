"""The pages' own CSS and JavaScript (files in `page_assets/`), inlined into every page so
that it works from file:// and loads nothing."""

from __future__ import annotations

from importlib import resources


def asset(name: str) -> str:
    return resources.files(__package__).joinpath("page_assets", name).read_text(encoding="utf-8")
