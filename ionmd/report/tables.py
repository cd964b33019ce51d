"""The one table renderer of the reports: a :class:`Table` (title, header, rows
of text) as Markdown or HTML, each cell escaped for its format; a
:class:`Section` groups tables under a heading (the campaign's part of the
report is one)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import NamedTuple


class Table(NamedTuple):
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


class Section(NamedTuple):
    """Tables under a top-level heading, after the analysis in the report, and
    the figures (PNG file names in the report's folder) that follow them."""

    title: str
    tables: Sequence[Table]
    figures: Sequence[str] = ()


def _md_cell(text: str) -> str:
    """A cell that cannot break the Markdown row: ``|`` escaped, one line."""
    return " ".join(str(text).replace("|", r"\|").split("\n"))


def markdown_table(table: Table) -> list[str]:
    """``## title``, the pipe table, then a blank line."""
    head = [_md_cell(c) for c in table.header]
    lines = [f"## {table.title}", "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "---|" * len(head))
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def html_table(table: Table) -> list[str]:
    """``<h2>`` and the table, one line per row; every cell HTML-escaped."""
    e = html.escape
    lines = [
        f"<h2>{e(table.title)}</h2><table><tr>"
        + "".join(f"<th>{e(str(c))}</th>" for c in table.header)
        + "</tr>"
    ]
    lines += [
        "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>"
        for row in table.rows
    ]
    return [*lines, "</table>"]


__all__ = ["Section", "Table", "html_table", "markdown_table"]
