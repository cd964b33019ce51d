"""The temperatures the adaptive protocol counted per material (adaptive.json's
``reliable_K``) and why it did not count the others it ran: what the analysis
fits for an adaptive campaign (:mod:`ionmd.analysis.fit_temperatures`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ionmd.analysis.fit_temperatures import CountedTemperatures

#: a system's outcome → why the protocol does not count its temperature
_WHY = {
    "slow_diffusive": "slow but diffusive (Li MSD below the target at max_duration_ps)",
    "caged": "caged (Li MSD on a plateau below the target at max_duration_ps)",
    "sub_diffusive": "sub-diffusive (Li MSD below the target at max_duration_ps)",
    "melted": "melted",
    "cancelled": "cancelled",
    "failed": "failed",
    "budget": "stopped by the budget",
    "uncertain": "D's interval too wide",
    "running": "still running",
    "queued": "never ran (queued)",
}


def _why(s: Mapping[str, Any], *, melted_K: list[float]) -> str:
    outcome = s.get("outcome")
    T = float(s["temperature_K"])
    if outcome == "reliable" and melted_K and T >= min(melted_K):
        return (
            f"at or above the melt at {min(melted_K):g} K (a crystalline run there was "
            "too short to see it)"
        )
    why = _WHY.get(str(outcome), f"outcome {outcome}")
    reason = s.get("reason")
    return f"{why}: {reason}" if reason else why


def adaptive_counted(doc: Mapping[str, Any]) -> dict[str, CountedTemperatures]:
    """Per material of a checked adaptive.json (:func:`load_adaptive`): its
    ``reliable_K`` and, per other temperature among its systems, the reason."""
    out: dict[str, CountedTemperatures] = {}
    systems = doc.get("systems") or {}
    for mid, m in (doc.get("materials") or {}).items():
        counted = tuple(float(t) for t in m.get("reliable_K") or [])
        melted = [float(t) for t in m.get("melted_K") or []]
        why = {
            float(s["temperature_K"]): _why(s, melted_K=melted)
            for s in systems.values()
            if s.get("material_id") == mid
            and all(abs(float(s["temperature_K"]) - t) >= 1e-6 for t in counted)
        }
        out[mid] = CountedTemperatures(counted_K=counted, why_not=why)
    return out


__all__ = ["adaptive_counted"]
