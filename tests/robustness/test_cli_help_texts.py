"""Every option and argument of every ``ionmd`` command says what it is in
``--help`` (``ionmd demo --duration-ps`` showed a number with no unit and no
default; ``--no-figures``, ``--steps``, ``RUN_DIR`` nothing at all), and no
description shows reStructuredText markup (``ionmd demo``'s did)."""

from __future__ import annotations

import argparse

from ionmd.cli import build_parser


def _parsers(parser: argparse.ArgumentParser, name: str):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, p in action.choices.items():
                yield from _parsers(p, f"{name} {sub}")


def test_every_option_has_a_help_text() -> None:
    missing = [
        f"{name} {a.option_strings or a.dest}"
        for name, p in _parsers(build_parser(), "ionmd")
        for a in p._actions
        if not a.help and not isinstance(a, argparse._SubParsersAction)
    ]
    assert not missing, missing


def test_no_rst_markup_in_descriptions() -> None:
    bad = [
        name
        for name, p in _parsers(build_parser(), "ionmd")
        if "``" in (p.description or "")
    ]
    assert not bad, bad
