"""The campaign's part of the report goes through the analysis report writer
(one table renderer): cells escaped for HTML and Markdown, and the report
rewritten whole, so writing it twice leaves the campaign tables once."""

from __future__ import annotations

import json

import pytest

from ionmd.campaign.report import finish_reports
from ionmd.report.tables import Table, html_table, markdown_table

from .tiny import ionmd, keep_signal_handlers, write_config  # noqa: F401

ODD_ID = "li<&>'x|y"


def _record() -> dict:
    return {
        "config": {"temperatures_K": [600, 800], "min_cell_length_A": 10},
        "supercells": {ODD_ID: [2, 2, 2, 32]},
        "failed_materials": {"bad<b>": "reason with <tag> & | pipe"},
        "batches": [],
    }


def test_html_and_markdown_escape_a_material_id(tmp_path):
    finish_reports(tmp_path, _record())
    page = (tmp_path / "report.html").read_text()
    assert "<td>li&lt;&amp;&gt;&#x27;x|y</td>" in page
    assert ODD_ID not in page and "<b>" not in page and "<tag>" not in page
    md = (tmp_path / "report.md").read_text()
    # a '|' in a cell must not split the Markdown row
    assert r"| li<&>'x\|y | 2×2×2 | 32 | 64 |" in md
    assert r"reason with <tag> & \| pipe" in md


def test_one_renderer_for_both_formats():
    table = Table("T <1>", ["a&b", "c"], [["x|y", "1"]])
    assert markdown_table(table) == [
        "## T <1>",
        "",
        "| a&b | c |",
        "|---|---|",
        r"| x\|y | 1 |",
        "",
    ]
    assert html_table(table) == [
        "<h2>T &lt;1&gt;</h2><table><tr><th>a&amp;b</th><th>c</th></tr>",
        "<tr><td>x|y</td><td>1</td></tr>",
        "</table>",
    ]


@pytest.mark.usefixtures("keep_signal_handlers")
def test_report_written_twice_has_the_campaign_tables_once(tmp_path):
    assert ionmd("run", str(write_config(tmp_path, "run", duration_ps=1.0))) == 0
    out = tmp_path / "run"
    record = json.loads((out / "campaign.json").read_text())
    first = (out / "report.md").read_text(), (out / "report.html").read_text()
    finish_reports(out, record)
    md, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    assert (md, page) == first
    assert md.count("# Campaign") == 1 and md.count("## Supercells") == 1
    assert md.count("# ionmd analysis") == 1 and md.count("## Materials") == 1
    assert page.count("<h1>Campaign</h1>") == 1 and page.count("Supercells") == 1
    # the analysis figures inlined, once each
    assert "src='msd_" not in page
    assert page.count("data:image/png;base64") == 2  # msd and arrhenius of lj_li
