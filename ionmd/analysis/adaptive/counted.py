"""The temperatures an adaptive campaign fits per material and why it does not
fit the others it ran: what the analysis fits (:mod:`ionmd.analysis.fit_temperatures`).

The set is computed from adaptive.json's system outcomes by the protocol's own
definition (:func:`ionmd.analysis.fit_set.fit_set`, which the judge calls too):
every diffusive temperature (reliable or slow_diffusive) below any melt. An
adaptive.json written before that rule (``reliable_K`` only, no ``fit_K``)
reads the same way: its short runs are named ``sub_diffusive`` (counted as
caged), so its fit set is its ``reliable_K``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ionmd.analysis.fit_set import FitSet, fit_set
from ionmd.analysis.fit_temperatures import CountedTemperatures

#: a system's outcome → why the protocol does not fit its temperature
_WHY = {
    "caged": "caged (Li MSD on a plateau below the target at max_duration_ps)",
    "sub_diffusive": "sub-diffusive (Li MSD below the target at max_duration_ps; "
    "an old adaptive.json, read as caged)",
    "melted": "melted",
    "cancelled": "cancelled",
    "failed": "failed",
    "budget": "stopped by the budget",
    "uncertain": "D's interval too wide",
    "running": "still running",
    "queued": "never ran (queued)",
}
#: a fitted system's outcome → why it is fitted
_WHY_FITTED = {
    "reliable": "fitted by the adaptive protocol: diffusive, Li MSD reached the target",
    "slow_diffusive": "fitted by the adaptive protocol: diffusive, Li MSD short of the "
    "target but growing linearly (slow_diffusive; fewer hops, a wider interval)",
}


def _why(s: Mapping[str, Any], *, members: FitSet) -> str:
    outcome = s.get("outcome")
    T = float(s["temperature_K"])
    if outcome in _WHY_FITTED and members.above_melt(T):
        return (
            f"at or above the melt at {members.melt_K:g} K (a crystalline run there "
            "was too short to see it)"
        )
    why = _WHY.get(str(outcome), f"outcome {outcome}")
    reason = s.get("reason")
    return f"{why}: {reason}" if reason else why


def _old_file_note(material: Mapping[str, Any], members: FitSet) -> str:
    """A note when the file predates ``fit_K`` and its protocol decided on another
    set (its ``reliable_K``) than the one fitted now; else ""."""
    if "fit_K" in material or material.get("status") not in ("resolved", "unresolved"):
        return ""
    decided = sorted(float(t) for t in material.get("reliable_K") or [])
    if decided == list(members.fit_K):
        return ""
    return (
        f"adaptive.json predates the fit set: the protocol decided on {_temps(decided)} K "
        f"(reliable_K), the fit uses every diffusive temperature below any melt "
        f"({_temps(members.fit_K)} K), so its sigma300_log10_ci is not this fit's"
    )


def _temps(values: Any) -> str:
    return ", ".join(f"{t:g}" for t in values) or "none"


def material_fit_set(doc: Mapping[str, Any], material_id: str) -> FitSet:
    """The fit set of one material of a checked adaptive.json, from its systems'
    outcomes (the judge's definition)."""
    return fit_set(
        {
            float(s["temperature_K"]): str(s.get("outcome"))
            for s in (doc.get("systems") or {}).values()
            if s.get("material_id") == material_id
        }
    )


def adaptive_counted(doc: Mapping[str, Any]) -> dict[str, CountedTemperatures]:
    """Per material of a checked adaptive.json (:func:`load_adaptive`): the
    temperatures fitted, why each is, and why each other one it ran is not."""
    out: dict[str, CountedTemperatures] = {}
    systems = [s for s in (doc.get("systems") or {}).values()]
    for mid in doc.get("materials") or {}:
        members = material_fit_set(doc, mid)
        own = [s for s in systems if s.get("material_id") == mid]
        fitted = {float(s["temperature_K"]) for s in own} & set(members.fit_K)
        out[mid] = CountedTemperatures(
            counted_K=members.fit_K,
            note=_old_file_note(doc["materials"][mid], members),
            why_counted={
                float(s["temperature_K"]): _WHY_FITTED[s["outcome"]]
                for s in own
                if float(s["temperature_K"]) in fitted
            },
            why_not={
                float(s["temperature_K"]): _why(s, members=members)
                for s in own
                if float(s["temperature_K"]) not in fitted
            },
        )
    return out


__all__ = ["adaptive_counted", "material_fit_set"]
