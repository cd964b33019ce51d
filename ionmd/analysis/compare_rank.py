"""Which model is best, and only when that can be said: the rank of ``ionmd
compare`` (and of the ``models = [...]`` page).

A model is ranked by the MAE of log10 σ(300 K) against experiment over the
materials where *every* ranked model gives a prediction (its verdict,
:mod:`ionmd.analysis.verdict`) that has an experimental value, so that no model
is crowned on a number that is not a prediction nor on materials the others
lack. A model with fewer predictions than :data:`MIN_MATERIALS_TO_RANK` is left
out of the rank (and says why); with fewer common materials than that there is
no rank at all: "too few to rank". Three is the least that gives a bootstrap
over materials more than a handful of distinct resamples (n materials give
C(2n−1, n) distinct ones: 1 for one material, 3 for two, 10 for three) and a
mean that is not one or two materials' errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ionmd.analysis.compare_bootstrap import bootstrap_difference, bootstrap_mae

#: fewer common predicted materials than this: no rank ("too few to rank")
MIN_MATERIALS_TO_RANK = 3


def rank_models(
    errors: Mapping[str, Mapping[str, float]], *, n_bootstrap: int, seed: int
) -> dict[str, Any]:
    """The ranking section of comparison.json from, per model label, material →
    |log10 error| over its predictions with an experimental value."""
    ranked = [label for label, e in errors.items() if len(e) >= MIN_MATERIALS_TO_RANK]
    not_ranked = {
        label: f"{len(e)} prediction(s) with an experimental value "
        f"(< {MIN_MATERIALS_TO_RANK})"
        for label, e in errors.items()
        if label not in ranked
    }
    common = sorted(set.intersection(*(set(errors[x]) for x in ranked))) if ranked else []
    out: dict[str, Any] = {
        "over": "materials where every ranked model's σ(300 K) is a prediction and "
        "that have an experimental value",
        "min_materials": MIN_MATERIALS_TO_RANK,
        "materials": common,
        "n_materials": len(common),
        "not_ranked": not_ranked,
        "mae_log10": {},
        "rank": [],
        "top_two_difference": None,
    }
    if len(common) < MIN_MATERIALS_TO_RANK:
        out["status"] = "too_few_to_rank"
        return out
    for label in ranked:
        mae, ci = bootstrap_mae(
            [errors[label][k] for k in common], n=n_bootstrap, seed=seed
        )
        out["mae_log10"][label] = {"mae": mae, "ci95": ci}
    out["rank"] = sorted(ranked, key=lambda x: out["mae_log10"][x]["mae"])
    if len(out["rank"]) > 1:
        a, b = out["rank"][:2]
        only = {k: errors[a][k] for k in common}, {k: errors[b][k] for k in common}
        out["top_two_difference"] = {
            "a": a, "b": b, **bootstrap_difference(*only, n=n_bootstrap, seed=seed)
        }  # fmt: skip
    out["status"] = "ranked"
    return out


def rank_headline(ranking: Mapping[str, Any]) -> str:
    """One sentence: the best model over the common predictions, or "too few to
    rank" and why."""
    n, least = ranking["n_materials"], ranking["min_materials"]
    if ranking.get("status") != "ranked":
        why = "; ".join(f"{k}: {v}" for k, v in (ranking.get("not_ranked") or {}).items())
        return (
            f"Too few to rank: {n} material(s) where every model's σ(300 K) is a "
            f"prediction with an experimental value (at least {least} needed)"
            + (f"; not ranked: {why}" if why else "")
            + "."
        )
    best = ranking["rank"][0]
    mae = ranking["mae_log10"][best]
    lo, hi = mae["ci95"]
    text = (
        f"Lowest MAE of log10 σ(300 K) vs OBELiX: {best}, {mae['mae']:.2f} "
        f"[{lo:.2f}, {hi:.2f}] over the {n} material(s) where every ranked model "
        "gives a prediction"
    )
    pair = ranking.get("top_two_difference")
    if pair is not None:
        other = pair["b"]
        if pair.get("too_few_materials"):
            text += f"; too few materials to tell it apart from {other}"
        else:
            told = (
                "told apart from" if pair.get("distinguishable") else "not told apart from"
            )
            text += f"; {told} {other} by the paired bootstrap"
    return text + "."


__all__ = ["MIN_MATERIALS_TO_RANK", "rank_headline", "rank_models"]
