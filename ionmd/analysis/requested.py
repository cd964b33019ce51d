"""``results.json["requested_materials"]``: every material the run was asked for,
fitted or not, with its measured σ, its requested and analysed temperatures, the
status of each temperature and, where no fit was possible, why.

``results.json["materials"]`` keeps only the materials with at least one analysed
temperature (its layout is unchanged); this list is the complete one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ionmd.analysis import skips

if TYPE_CHECKING:
    from ionmd.analysis.material_summary import MaterialSummary

MATERIAL_FITTED = "fitted"  # a value at the extrapolation temperature
MATERIAL_NO_FIT = "no_fit"  # simulated (or partly), but no value: see reason
MATERIAL_NOT_SIMULATED = "not_simulated"  # could not be prepared: see reason


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def requested_temperatures(
    *,
    trajectories_meta: Sequence[tuple[str, tuple[float, ...] | None]],
    skipped: Sequence[str],
    explicit: Mapping[str, Sequence[float] | None] | None = None,
) -> dict[str, list[float] | None]:
    """Requested temperatures per material: stated by the run files' configs
    (``(material_id, temperatures)`` of each trajectory, and of each skipped
    system) or given explicitly; None where nobody stated them."""
    out: dict[str, set[float] | None] = {}

    def add(mid: str, temps: Sequence[float] | None) -> None:
        if temps is None:
            out.setdefault(mid, None)
            return
        cur = out.get(mid)
        out[mid] = (cur or set()) | {float(t) for t in temps}

    for mid, temps in (explicit or {}).items():
        add(mid, temps)
    for mid, temps in trajectories_meta:
        add(mid, temps)
    for s in skipped:
        if isinstance(s, skips.SkippedSystem):
            add(s.material_id, s.requested_temperatures_K)
    return {k: None if v is None else sorted(v) for k, v in out.items()}


def _has(rows: list[dict[str, Any]], t: float) -> bool:
    """Whether ``rows`` already hold a row at temperature ``t``."""
    return any(
        row["temperature_K"] is not None and _same(row["temperature_K"], t) for row in rows
    )


def _analysed_rows(m: MaterialSummary | None) -> list[dict[str, Any]]:
    """One row per analysed temperature of ``m``."""
    rows: list[dict[str, Any]] = []
    for r in m.temperatures if m else []:
        status, reason = skips.STATUS_ANALYSED, None
        if r.framework_mobile:
            status = skips.STATUS_FRAMEWORK_MOBILE
            reason = "framework MSD above the melting threshold: not in the Arrhenius fit"
        if r.unwrap_unreliable:
            status = skips.STATUS_UNWRAP_UNRELIABLE
            reason = f"{r.unwrap_unreliable}: not in the Arrhenius fit"
        rows.append(
            {
                "temperature_K": r.temperature_K,
                "status": status,
                "reason": reason,
                "reliable": r.reliable,
            }
        )
    return rows


def _add_skipped_rows(
    rows: list[dict[str, Any]], skipped: Sequence[skips.SkippedSystem]
) -> None:
    """A row per skipped temperature that has no row yet."""
    for s in skipped:
        t = s.temperature_K
        if _has(rows, t):
            continue
        rows.append(
            {
                "temperature_K": t if math.isfinite(t) else None,
                "status": s.status,
                "reason": s.reason,
                "reliable": False,
            }
        )


def _add_missing_rows(
    rows: list[dict[str, Any]], requested: Sequence[float], not_simulated: str | None
) -> None:
    """A row per requested temperature that no run file holds."""
    for t in requested:
        if _has(rows, t):
            continue
        missing = (
            (skips.STATUS_NOT_SIMULATED, not_simulated)
            if not_simulated is not None
            else (skips.STATUS_MISSING, "requested, but no run file holds it")
        )
        rows.append(
            {
                "temperature_K": t,
                "status": missing[0],
                "reason": missing[1],
                "reliable": False,
            }
        )


def _status_and_reason(row: Mapping[str, Any]) -> str:
    """``failed (non-finite forces)``: a reason that already starts with its
    status (the run file's "failed (...)") is not wrapped a second time."""
    status, reason = str(row["status"]), row.get("reason")
    if not reason:
        return status
    return str(reason) if str(reason).startswith(status) else f"{status} ({reason})"


def _material_status(
    *,
    m: MaterialSummary | None,
    rows: list[dict[str, Any]],
    not_simulated: str | None,
) -> tuple[str, str | None]:
    """(status, reason) of one material."""
    if not_simulated is not None and m is None:
        return MATERIAL_NOT_SIMULATED, not_simulated
    if m is not None and math.isfinite(m.sigma_extrap_mS_cm):
        return MATERIAL_FITTED, None
    why = [
        f"{_t(row['temperature_K'])}: {_status_and_reason(row)}"
        for row in rows
        if row["status"] != skips.STATUS_ANALYSED
    ]
    head = (
        "fewer than two temperatures usable for an Arrhenius fit"
        if m is None or not math.isfinite(m.D_extrap_cm2_s)
        else "no value at the extrapolation temperature"
    )
    return MATERIAL_NO_FIT, head + (": " + "; ".join(why) if why else "")


def requested_materials(
    *,
    materials: Sequence[MaterialSummary],
    skipped: Sequence[str],
    requested: Mapping[str, Sequence[float] | None],
    unprepared: Mapping[str, str] | None = None,
    sigma_exp_mS_cm: Mapping[str, float] | None = None,
) -> dict[str, dict[str, Any]]:
    """One entry per material (requested, analysed or skipped), in that order."""
    sigma_exp = sigma_exp_mS_cm or {}
    unprepared = dict(unprepared or {})
    by_id = {m.material_id: m for m in materials}
    skips_by_id: dict[str, list[skips.SkippedSystem]] = {}
    for s in skipped:
        if isinstance(s, skips.SkippedSystem):
            skips_by_id.setdefault(s.material_id, []).append(s)
    order = list(dict.fromkeys([*requested, *unprepared, *by_id, *skips_by_id]))
    out: dict[str, dict[str, Any]] = {}
    for mid in order:
        m = by_id.get(mid)
        req = requested.get(mid)
        rows = _analysed_rows(m)
        _add_skipped_rows(rows, skips_by_id.get(mid, []))
        _add_missing_rows(rows, req or [], unprepared.get(mid))
        rows.sort(key=lambda r: (r["temperature_K"] is None, r["temperature_K"] or 0.0))
        analysed = [
            row["temperature_K"]
            for row in rows
            if row["status"]
            in (
                skips.STATUS_ANALYSED,
                skips.STATUS_FRAMEWORK_MOBILE,
                skips.STATUS_UNWRAP_UNRELIABLE,
            )
        ]
        status, reason = _material_status(m=m, rows=rows, not_simulated=unprepared.get(mid))
        out[mid] = {
            "status": status,
            "reason": reason,
            "formula": m.formula if m else None,
            "sigma_exp_mS_cm": sigma_exp.get(mid),
            "temperatures_requested_K": list(req) if req is not None else analysed,
            "temperatures_analysed_K": analysed,
            "temperatures": rows,
            "all_reliable": bool(m.all_reliable) if m else False,
            "sigma_300K_mS_cm": m.sigma_extrap_mS_cm if m else None,
            "log10_error": m.log10_error if m else None,
        }
    return out


def _t(t: float | None) -> str:
    return "? K" if t is None else f"{t:g} K"
