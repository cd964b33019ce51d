"""The closing lines of ``ionmd run`` and ``ionmd analyze``: per material σ(300 K)
with its 95 % interval and its verdict (prediction or not, and why), the MAE over
the predictions, and where the report is."""

from __future__ import annotations

from ionmd.results import Results


def _comparison_lines(res: Results) -> list[str]:
    """After ``models = [...]``: the comparison's rank (or "too few to rank") and
    where its page is (nothing when there is no comparison.json)."""
    import json

    from ionmd.analysis.compare_rank import rank_headline

    path = res.out_dir / "comparison.json"
    try:
        ranking = json.loads(path.read_text())["ranking"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [rank_headline(ranking), f"comparison: {path.with_suffix('.html')}"]


def closing_lines(res: Results) -> list[str]:
    """What the terminal shows once a run or an analysis is done."""
    from ionmd.analysis.verdict import verdict_lines
    from ionmd.report.pages import mae_headline

    if not res.document:
        return _comparison_lines(res)
    lines = verdict_lines(res.document)
    lines += mae_headline(dict(res.summary))
    lines.append(f"results: {res.results_json}")
    if res.report_html is not None:
        lines.append(f"report: {res.report_html}")
    return lines


__all__ = ["closing_lines"]
