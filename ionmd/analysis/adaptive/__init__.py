"""The adaptive protocol's part of the analysis: ``OUT/adaptive.json`` (written by
the adaptive campaign loop; format in docs/analysis.md, "Adaptive campaigns") read
and checked (:mod:`.read`), turned into results.json's ``"adaptive"`` section
(:mod:`.results`); its tables and figures are the report's
(:mod:`ionmd.report.adaptive_tables`, :mod:`ionmd.report.adaptive_figures`)."""

from ionmd.analysis.adaptive.read import ADAPTIVE_FILE, find_adaptive_json, load_adaptive
from ionmd.analysis.adaptive.results import adaptive_results

__all__ = ["ADAPTIVE_FILE", "adaptive_results", "find_adaptive_json", "load_adaptive"]
