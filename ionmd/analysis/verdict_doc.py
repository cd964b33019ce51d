"""The verdicts written into results.json, and the MAE over predictions only.

Per material ``materials.<id>.verdict`` and ``requested_materials.<id>.verdict``
(:class:`ionmd.analysis.verdict.Verdict` as a dict); in ``summary`` the MAE of
log10 σ(300 K) over the materials whose value is a prediction, with its count
and the material ids, and ``mae_over``: over which materials each MAE is taken
(the study's "all" and "reliable" figures are kept, labelled, as they reproduce
the study)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ionmd.analysis.experiment import mae_log10
from ionmd.analysis.verdict import MAX_SIGMA300_CI95_DECADES, Verdict, verdicts_of

#: what each MAE in results.json's summary is taken over
MAE_OVER = {
    "mae_log10_predictions": "materials whose σ(300 K) is a prediction (verdict "
    "status 'prediction') and that have an experimental value; the headline",
    "mae_log10_all": "every material with a σ(300 K) and an experimental value, "
    "predictions or not (the study's 'all' figure)",
    "mae_log10_all_reliable": "materials reliable at every requested temperature "
    "(the study's 'reliable' subset; its interval width is not checked)",
}


def attach_verdicts(
    doc: dict[str, Any], *, verdicts: Mapping[str, Verdict] | None = None
) -> dict[str, Any]:
    """Add every material's verdict, and the MAE over predictions, to a results.json
    document (after its optional sections: the adaptive protocol decides there);
    returns the document. ``verdicts``: as the analysis decided them from its
    typed results (:func:`ionmd.analysis.verdict.verdicts_of_summaries`); default:
    decided afresh from the document's numbers."""
    if verdicts is None:
        verdicts = verdicts_of(
            {
                **doc,
                "materials": _without_verdicts(doc, "materials"),
                "requested_materials": _without_verdicts(doc, "requested_materials"),
            }
        )
    mats = doc.get("materials") or {}
    req = doc.setdefault("requested_materials", {})
    for mid, v in verdicts.items():
        if mid in mats:
            mats[mid]["verdict"] = v.as_dict()
        if mid in req:
            req[mid]["verdict"] = v.as_dict()
    predicted = [mid for mid, v in verdicts.items() if v.prediction and mid in mats]
    mae, n = mae_log10(mats[mid].get("log10_error") for mid in predicted)
    with_error = [mid for mid in predicted if _finite(mats[mid].get("log10_error"))]
    summary = doc.setdefault("summary", {})
    summary["mae_log10_predictions"] = mae if n else None
    summary["n_materials_predictions_with_error"] = n
    summary["materials_predictions_with_error"] = with_error
    summary["n_materials_predictions"] = len(predicted)
    summary["max_sigma300_ci95_decades"] = MAX_SIGMA300_CI95_DECADES
    summary["mae_over"] = dict(MAE_OVER)
    return doc


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _without_verdicts(doc: dict[str, Any], key: str) -> dict[str, Any]:
    """``doc[key]`` with any verdict already there left out (recomputed fresh)."""
    return {
        mid: {k: v for k, v in entry.items() if k != "verdict"}
        for mid, entry in (doc.get(key) or {}).items()
    }


__all__ = ["MAE_OVER", "attach_verdicts"]
