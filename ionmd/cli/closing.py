"""The closing lines of ``ionmd run`` and ``ionmd analyze``: per material σ(300 K)
with its 95 % interval and its verdict (prediction or not, and why), the MAE over
the predictions, and where the report is."""

from __future__ import annotations

from ionmd.results import Results


def closing_lines(res: Results) -> list[str]:
    """What the terminal shows once a run or an analysis is done."""
    from ionmd.analysis.report_text import mae_headline
    from ionmd.analysis.verdict import verdict_lines

    lines = verdict_lines(res.document)
    lines += mae_headline(dict(res.summary))
    lines.append(f"results: {res.results_json}")
    if res.report_html is not None:
        lines.append(f"report: {res.report_html}")
    return lines


__all__ = ["closing_lines"]
