"""The stylesheet of ionmd's self-contained HTML pages: readable at laptop width
(1366 px) and on a phone; wide tables scroll inside their own box instead of
widening the page (on a narrow screen in a smaller font, so that more columns
fit), figures shrink to the column."""

from __future__ import annotations

from collections.abc import Sequence

STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:72em;"
    "margin:1em auto;padding:0 1em;line-height:1.45;color:#222;"
    "overflow-wrap:break-word}"
    "h1{font-size:1.6em;margin-bottom:.3em}h2{font-size:1.2em;margin-top:1.6em}"
    "h3{font-size:1em;margin:1em 0 .2em}"
    ".wide{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;font-size:.9em}"
    "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;"
    "vertical-align:top;overflow-wrap:break-word}"
    "th{background:#f2f2f2}"
    "img{max-width:100%;height:auto}"
    ".figs{display:flex;flex-wrap:wrap;gap:1em}.figs figure{margin:0}"
    "figcaption{font-size:.85em;color:#555}"
    ".answer{background:#f7f9fc;border-left:4px solid #4a7bd0;padding:.2em 1em}"
    ".answer li{margin:.15em 0}.note{color:#555}small{color:#555}"
    "summary{cursor:pointer;margin:.5em 0}"
    "@media (max-width:45em){body{padding:0 .5em}table{font-size:.8em}"
    "td,th{padding:2px 4px}}"
)


def page_head(title: str) -> list[str]:
    """The first lines of a page: doctype, charset, viewport, title (already
    escaped by the caller), the stylesheet and the ``<h1>``."""
    return [
        "<!doctype html><html lang='en'><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{title}</title><style>{STYLE}</style><h1>{title}</h1>",
    ]


def wide(lines: Sequence[str]) -> list[str]:
    """``lines`` (e.g. a table) in a box that scrolls sideways when too wide."""
    return ["<div class='wide'>", *lines, "</div>"]


__all__ = ["STYLE", "page_head", "wide"]
