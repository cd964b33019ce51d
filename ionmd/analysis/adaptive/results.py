"""results.json's ``"adaptive"`` section: the settings, the cost (atom-steps, batch
time, occupancy), every system with every decision taken on it and the numbers
behind each, and every material's status and reason (docs/analysis.md)."""

from __future__ import annotations

import math
from typing import Any

from ionmd.analysis.adaptive.counted import material_fit_set
from ionmd.analysis.adaptive.read import SYSTEM_EVENTS


def _finite(x: Any) -> Any:
    """JSON's NaN/Infinity (which results.json refuses) as null, recursively."""
    if isinstance(x, dict):
        return {str(k): _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _ps(step: int | None, timestep_fs: float) -> float | None:
    """Batch time of a global step, in ps."""
    return None if step is None else step * timestep_fs / 1000.0


def _decision(ev: dict[str, Any], timestep_fs: float) -> dict[str, Any]:
    """One event as results.json keeps it: when (step and batch ps), what, why, and
    the numbers it was taken on."""
    out = {
        "step": ev["step"],
        "batch_time_ps": _ps(ev["step"], timestep_fs),
        "event": ev["event"],
    }
    for name in ("outcome", "reason"):
        if ev.get(name) is not None:
            out[name] = ev[name]
    out["numbers"] = dict(ev.get("numbers") or {})
    return out


def _occupancy_mean(doc: dict[str, Any]) -> float | None:
    """The loop's own mean when it wrote one; else atoms / capacity weighted by
    steps over every chunk (None without chunks)."""
    if doc.get("occupancy_mean") is not None:
        return float(doc["occupancy_mean"])
    rows = [r for r in doc.get("occupancy") or [] if r["step_end"] > r["step_start"]]
    steps = sum(r["step_end"] - r["step_start"] for r in rows)
    if not steps:
        return None
    atoms = sum(r["atoms"] * (r["step_end"] - r["step_start"]) for r in rows)
    return atoms / steps / float(doc["capacity_atoms"])


def _system(key: str, s: dict[str, Any], events: list, dt_fs: float) -> dict[str, Any]:
    """``events``: this system's, in order."""
    decisions = [_decision(ev, dt_fs) for ev in events]
    return {
        "material_id": s["material_id"],
        "temperature_K": float(s["temperature_K"]),
        "outcome": s["outcome"],
        "reason": s.get("reason"),
        "entered_step": s.get("entered_step"),
        "left_step": s.get("left_step"),
        "entered_ps": _ps(s.get("entered_step"), dt_fs),
        "left_ps": _ps(s.get("left_step"), dt_fs),
        "run_ps": s.get("run_ps"),
        "n_extensions": sum(d["event"] == "extend" for d in decisions),
        "numbers": dict(s.get("numbers") or {}),
        "decisions": decisions,
    } | _stage(s, dt_fs)


def _stage(s: dict[str, Any], dt_fs: float) -> dict[str, Any]:
    """``cell = "npt"``: when the system entered its NPT stage and the batch time
    the stage took (none without a stage: results.json as before)."""
    if "stage_entered_step" not in s:
        return {}
    return {
        "stage_entered_ps": _ps(s.get("stage_entered_step"), dt_fs),
        "stage_ps": s.get("stage_ps"),
    }


def _material(
    mid: str, m: dict[str, Any], *, doc: dict[str, Any], events: list, dt_fs: float
) -> dict[str, Any]:
    """The material's status and the decisions taken on the material as a whole
    (temperatures added, the material done)."""
    own = [
        ev
        for ev in events
        if ev.get("material_id") == mid
        and (ev["event"] not in SYSTEM_EVENTS or ev["event"] == "add_temperature")
    ]
    return {
        "status": m["status"],
        "reason": m.get("reason"),
        "temperatures_K": [float(t) for t in m.get("temperatures_K") or []],
        # recomputed by the judge's definition (an old file has no fit_K)
        "fit_K": list(material_fit_set(doc, mid).fit_K),
        "reliable_K": [float(t) for t in m.get("reliable_K") or []],
        "melted_K": [float(t) for t in m.get("melted_K") or []],
        "sigma300_log10_ci": m.get("sigma300_log10_ci"),
        "decisions": [_decision(ev, dt_fs) for ev in own],
    }


def adaptive_results(doc: dict[str, Any], *, source: str) -> dict[str, Any]:
    """The ``"adaptive"`` section of results.json from a checked adaptive.json
    (:func:`ionmd.analysis.adaptive.load_adaptive`); ``source``: its path."""
    dt_fs = float(doc["timestep_fs"])
    events = list(doc.get("events") or [])
    systems = doc.get("systems") or {}
    by_key: dict[str, list] = {}
    for ev in events:
        if ev.get("key") is not None:
            by_key.setdefault(ev["key"], []).append(ev)
    return _finite(
        {
            "source": source,
            "schema": doc["schema"],
            "done": bool(doc.get("done", False)),
            "settings": dict(doc["settings"]),
            "timestep_fs": dt_fs,
            "capacity_atoms": doc["capacity_atoms"],
            "step": doc["step"],
            "batch_time_ps": _ps(doc["step"], dt_fs),
            "atom_steps": doc["atom_steps"],
            "occupancy_mean": _occupancy_mean(doc),
            "occupancy": [dict(r) for r in doc.get("occupancy") or []],
            "n_events": len(events),
            "systems": {
                k: _system(k, s, by_key.get(k, []), dt_fs) for k, s in systems.items()
            },
            "materials": {
                mid: _material(mid, m, doc=doc, events=events, dt_fs=dt_fs)
                for mid, m in (doc.get("materials") or {}).items()
            },
        }
    )


__all__ = ["adaptive_results"]
