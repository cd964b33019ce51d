"""One adaptive toy campaign against the fixed-length reference (numbers only).

Read by :mod:`benchmarks.adaptive_toy_reference`; kept apart so that a test can
feed it a synthetic results.json. Works on the layouts before and after issue
20: per material the campaign's status and atom-steps come from adaptive.json;
per temperature D, its 95 % interval and whether the σ(300 K) fit used it from
results.json (``used_in_fit``), or, for a campaign not analysed, the loop's own
per-system estimates in adaptive.json (counted: the loop's ``reliable_K``).
Which temperatures a campaign counts is the campaign's business: every
temperature with a reference point is compared, and flagged counted or not.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def load_campaign(path: Path) -> dict[str, Any]:
    """adaptive.json and, when the campaign was analysed, results.json of one
    adaptive campaign directory."""
    adaptive = json.loads((path / "adaptive.json").read_text())
    res = path / "results.json"
    return {
        "adaptive": adaptive,
        "results": json.loads(res.read_text()) if res.exists() else None,
    }


def _temperatures(
    material_id: str, *, adaptive: dict[str, Any], results: dict[str, Any] | None
) -> dict[float, dict[str, Any]]:
    """T -> {D_cm2_s, D_ci95_cm2_s, counted, run_ps} of one material in one campaign."""
    rows: dict[float, dict[str, Any]] = {}
    mat = ((results or {}).get("materials") or {}).get(material_id)
    if mat is not None:
        for t in mat.get("temperatures") or []:
            rows[float(t["temperature_K"])] = {
                "D_cm2_s": t.get("D_cm2_s"),
                "D_ci95_cm2_s": t.get("D_ci95_cm2_s"),
                "counted": t.get("used_in_fit") is not False,
                "run_ps": t.get("duration_ps"),
            }
        return rows
    counted = set(adaptive["materials"].get(material_id, {}).get("reliable_K") or [])
    for sysrec in adaptive["systems"].values():
        if sysrec["material_id"] != material_id:
            continue
        nums = sysrec.get("numbers") or {}
        rows[float(sysrec["temperature_K"])] = {
            "D_cm2_s": nums.get("D_cm2_s"),
            "D_ci95_cm2_s": nums.get("D_ci95_cm2_s"),
            "counted": float(sysrec["temperature_K"]) in counted,
            "run_ps": sysrec.get("run_ps"),
        }
    return rows


def _ln_ratio(D: Any, D_ref: float) -> float:
    if D is None or not math.isfinite(float(D)) or float(D) <= 0:
        return math.nan
    return math.log(float(D) / D_ref)


def _se_run(row: dict[str, Any]) -> float:
    """The campaign's own standard error of ln D at one temperature (from its
    95 % interval; NaN without one)."""
    from ionmd.analysis.arrhenius import sigma_ln_from_interval

    D, ci = row["D_cm2_s"], row["D_ci95_cm2_s"]
    if D is None or not ci or None in ci[:2]:
        return math.nan
    return sigma_ln_from_interval(D_cm2_s=float(D), ci95_cm2_s=(float(ci[0]), float(ci[1])))


def compare_campaign(
    *, campaign: dict[str, Any], reference: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Per reference material: the campaign's status, σ(300 K) [interval] and
    whether it covers the reference σ(300 K), ln(D / D_ref) at each reference
    temperature (with the reference's standard error in ln D, the run's own
    from its 95 % interval, z = ln ratio / both combined, whether the campaign
    counted it and how long that run ran), and the campaign's
    atom-steps (all materials).

    ``campaign``: :func:`load_campaign`'s; ``reference``: reference.json
    (``materials.<id>.points``: temperature_K, D_cm2_s, se_lnD;
    ``materials.<id>.sigma_300K_mS_cm``)."""
    adaptive, results = campaign["adaptive"], campaign["results"]
    out: dict[str, dict[str, Any]] = {}
    for mid, ref in reference["materials"].items():
        temps = _temperatures(mid, adaptive=adaptive, results=results)
        points = {}
        for p in ref["points"]:
            row = temps.get(float(p["temperature_K"]))
            if row is None:
                continue
            ln_ratio = _ln_ratio(row["D_cm2_s"], float(p["D_cm2_s"]))
            se_run = _se_run(row)
            points[float(p["temperature_K"])] = {
                "ln_ratio": ln_ratio,
                "se_ref": float(p["se_lnD"]),
                "se_run": se_run,
                "z": ln_ratio / math.hypot(float(p["se_lnD"]), se_run),
                "counted": bool(row["counted"]),
                "run_ps": row["run_ps"],
            }
        fit = ((results or {}).get("materials") or {}).get(mid) or {}
        sigma = fit.get("sigma_300K_mS_cm")
        lo, hi = (fit.get("sigma_300K_ci95_mS_cm") or [None, None])[:2]
        s_ref = ref.get("sigma_300K_mS_cm")
        covered = None
        if None not in (sigma, lo, hi, s_ref):
            covered = bool(float(lo) <= float(s_ref) <= float(hi))
        status = adaptive["materials"].get(mid, {}).get("status")
        out[mid] = {
            "status": status,
            "resolved": status == "resolved",
            "counted_K": sorted(T for T, r in temps.items() if r["counted"]),
            "sigma_300K_mS_cm": sigma,
            "sigma_300K_ci95_mS_cm": [lo, hi],
            "prediction": (fit.get("verdict") or {}).get("prediction"),
            "covered": covered,
            "points": points,
            "atom_steps": float(adaptive["atom_steps"]),
        }
    return out
