"""The report's first screen (issue 22): the verdict, then the materials table;
what the results were made with (model, protocol) below them, folded in
``<details>``; then the adaptive section and the rest of the analysis."""

import re
from html.parser import HTMLParser

import pytest
from adaptive_helpers import adaptive_run_dir

from ionmd.analysis.diffusion import DiffusionSettings
from ionmd.analysis.results_file import read_results_json
from ionmd.report.analysis_files import analyze_run_dir
from ionmd.report.pages import write_text_reports

PREFACE = "Made with model lj (test) on cpu; NVT at 800, 900 K, 2 fs steps."


class _Outline(HTMLParser):
    """The page as a list of (what, text): headings, verdict items, tables, and
    the paragraphs with the depth of ``<details>`` they sit in."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, str, int]] = []
        self._tag: str | None = None
        self._details = 0

    def handle_starttag(self, tag, attrs):
        if tag == "details":
            self._details += 1
        if tag == "table":
            self.items.append(("table", "", self._details))
        if tag in ("h1", "h2", "li", "p", "summary"):
            self._tag = tag
            self.items.append((tag, "", self._details))

    def handle_endtag(self, tag):
        if tag == "details":
            self._details -= 1
        if tag == self._tag:
            self._tag = None

    def handle_data(self, data):
        if self._tag is not None:
            what, text, depth = self.items[-1]
            self.items[-1] = (what, text + data, depth)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    run = adaptive_run_dir(tmp_path_factory.mktemp("layout"))
    analyze_run_dir(run, settings=DiffusionSettings(use_kinisi=False), figures=False)
    write_text_reports(doc=read_results_json(run), out_dir=run, preface=[PREFACE])
    return run


def _index(items, pred):
    return next(i for i, it in enumerate(items) if pred(it))


def test_html_verdict_then_table_then_folded_parameters(report):
    p = _Outline()
    p.feed((report / "report.html").read_text())
    items = p.items
    verdict = _index(items, lambda it: it[0] == "li" and it[1].startswith("toy-fast"))
    first_h2 = _index(items, lambda it: it[0] == "h2")
    table = _index(items, lambda it: it[0] == "table")
    params = _index(items, lambda it: PREFACE in it[1])
    adaptive = _index(items, lambda it: it[0] == "h1" and "Adaptive" in it[1])
    assert items[0] == ("h1", "ionmd analysis", 0)
    assert verdict < first_h2 < table < params < adaptive
    assert items[first_h2][1] == "Materials"
    assert items[params][2] == 1  # inside <details>
    assert any(it[0] == "summary" and it[2] == 1 for it in items[:params])


def test_markdown_has_the_same_order(report):
    md = (report / "report.md").read_text()
    first_table = md.index("\n|")
    assert md.index("- toy-fast") < md.index("## Materials") < first_table
    fold = re.search(r"<details><summary>.*?</summary>(.*?)</details>", md, re.S)
    assert fold and PREFACE in fold.group(1) and md.index(PREFACE) > first_table
    assert md.index(PREFACE) < md.index("# Adaptive protocol") < md.index("# Analysis")
    assert md.index("# Analysis") < md.index("## Temperatures")
