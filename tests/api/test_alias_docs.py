"""The docs name each kept old class name as what it is: a compatibility alias
of the current class, with the current name beside it (a sentence such as
"`MaterialResult` is the old name, kept" left a reader unsure which one to
use); and each alias is the same class, so the sentence is true."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: (module, compatibility alias, module, current name)
ALIASES = [
    ("ionmd.results", "MaterialResult", "ionmd.results_entries", "MaterialEntry"),
    ("ionmd.results", "TemperatureResult", "ionmd.results_entries", "TemperatureEntry"),
    ("ionmd.engine.protocol", "Protocol", "ionmd.engine.md_settings", "MDSettings"),
]


@pytest.mark.parametrize(("old_mod", "old", "new_mod", "new"), ALIASES)
def test_alias_is_the_class_and_the_docs_say_which_is_current(
    old_mod: str, old: str, new_mod: str, new: str
) -> None:
    alias = getattr(importlib.import_module(old_mod), old)
    assert alias is getattr(importlib.import_module(new_mod), new)
    lines = [
        line
        for doc in DOCS.glob("*.md")
        for line in doc.read_text().splitlines()
        if f"`{old}`" in line or f"::{old}`" in line or f".{old}`" in line
    ]
    assert lines, f"no doc mentions {old}"
    for line in lines:
        assert "compatibility alias" in line and f"`{new}`" in line, line
