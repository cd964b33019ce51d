"""The report's first screen: per material, σ(300 K) with its interval and a
verdict a reader can act on, before any table.

A material is *resolved* when every requested temperature was analysed and
reached the study's 20 Å² Li MSD, and the Arrhenius fit gave σ(300 K) as a
prediction (at least three temperatures in the fit, docs/analysis.md). Anything
else is said to be not a prediction, with the reason: how many temperatures
were diffusive, which ones had a mobile framework (melting), which failed or are
missing, or why there is no fit at all. After an adaptive campaign, a material
the protocol left unresolved adds its reason (``adaptive protocol: unresolved:
hottest stable temperature 1100 K: Li MSD 6 Å² after 1000 ps``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ionmd.analysis.reliability import LI_MSD_THRESHOLD_A2


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _g(x: Any) -> str:
    return format(x, ".3g") if _finite(x) else "–"


def _temps(values: Any) -> str:
    return ", ".join(f"{t:g}" for t in values or [])


def verdict(
    material_id: str,
    m: Mapping[str, Any],
    req: Mapping[str, Any],
    *,
    adaptive: Mapping[str, Any] | None = None,
) -> str:
    """One line for one material (``m``: its ``materials`` entry in results.json,
    possibly empty; ``req``: its ``requested_materials`` entry, possibly empty;
    ``adaptive``: its entry in results.json's ``adaptive.materials``, when the
    adaptive protocol ran: its status and reason are then the verdict)."""
    formula = m.get("formula") or req.get("formula") or ""
    head = f"{material_id} ({formula})" if formula else material_id
    exp = m.get("sigma_exp_mS_cm", req.get("sigma_exp_mS_cm"))
    exp_text = f"; experiment {_g(exp)} mS/cm" if _finite(exp) else ""
    status = req.get("status") or ("fitted" if m else "no_fit")
    if status == "not_simulated":
        return f"{head}: not simulated: {req.get('reason') or 'could not be prepared'}"
    sigma = m.get("sigma_300K_mS_cm")
    if status == "no_fit" or not _finite(sigma):
        why = req.get("reason") or "fewer than two usable temperatures"
        return f"{head}: no σ(300 K), not a prediction: {why}{exp_text}"
    lo, hi = (m.get("sigma_300K_ci95_mS_cm") or [None, None])[:2]
    value = f"σ(300 K) = {_g(sigma)} mS/cm [95 %: {_g(lo)}, {_g(hi)}]"
    if m.get("arrhenius_prediction") is False:  # too few temperatures in the fit
        why = m.get("arrhenius_prediction_reason") or "too few temperatures in the fit"
        own = (
            f"; adaptive protocol: {adaptive.get('status') or '?'}: "
            f"{adaptive.get('reason') or ''}"
            if adaptive
            else ""
        )
        return f"{head}: {value}: not a prediction ({why}){own}{exp_text}"
    if adaptive:  # the protocol's own targets decided (docs/adaptive.md)
        state, why = adaptive.get("status") or "?", adaptive.get("reason") or ""
        return f"{head}: {value}: adaptive protocol: {state}: {why}{exp_text}"
    temps = m.get("temperatures") or []
    requested = m.get("temperatures_requested_K") or [t["temperature_K"] for t in temps]
    n_ok = sum(bool(t.get("reliable")) for t in temps)
    melted = [t["temperature_K"] for t in temps if t.get("framework_mobile")]
    missing = m.get("temperatures_missing_K") or []
    if m.get("all_reliable"):
        width = (
            f"; the interval spans {math.log10(hi / lo):.1f} decades"
            if _finite(lo) and _finite(hi) and lo > 0
            else ""
        )
        return f"{head}: {value}: resolved{width}{exp_text}"
    reasons = [
        f"{n_ok} of {len(requested)} requested temperatures reached the "
        f"{LI_MSD_THRESHOLD_A2:g} Å² Li MSD"
    ]
    if melted:
        reasons.append(f"framework mobile (melting?) at {_temps(melted)} K")
    if missing:
        reasons.append(f"no result at {_temps(missing)} K")
    return f"{head}: {value}: not a prediction ({'; '.join(reasons)}){exp_text}"


def pooled_verdict(base: str, p: Mapping[str, Any]) -> str:
    """One line for a disordered material pooled over its orderings."""
    temps = p.get("temperatures") or []
    n = len(p.get("orderings") or [])
    sigma = p.get("sigma_300K_mS_cm")
    if not _finite(sigma):
        return f"{base} (pooled over {n} orderings): no σ(300 K), not a prediction"
    lo, hi = (p.get("sigma_300K_ci95_mS_cm") or [None, None])[:2]
    ok = sum(bool(t.get("reliable_all")) for t in temps)
    state = (
        "resolved"
        if temps and ok == len(temps)
        else f"not a prediction ({ok} of {len(temps)} temperatures diffusive in "
        "every ordering)"
    )
    exp = p.get("sigma_exp_mS_cm")
    exp_text = f"; experiment {_g(exp)} mS/cm" if _finite(exp) else ""
    return (
        f"{base} (pooled over {n} orderings): σ(300 K) = {_g(sigma)} mS/cm "
        f"[95 %: {_g(lo)}, {_g(hi)}]: {state}{exp_text}"
    )


def verdict_lines(doc: Mapping[str, Any]) -> list[str]:
    """One verdict per requested (else analysed) material of a results.json; a
    disordered material first pooled over its orderings, then each ordering."""
    mats = doc.get("materials") or {}
    req = doc.get("requested_materials") or {}
    ids = list(req) + [mid for mid in mats if mid not in req]
    pooled = doc.get("pooled_orderings") or {}
    lines = [pooled_verdict(base, p) for base, p in pooled.items()]
    adaptive = doc.get("adaptive") or {}
    ids += [mid for mid in adaptive.get("materials") or {} if mid not in ids]
    by_adaptive = adaptive.get("materials") or {}
    return lines + [
        _with_adaptive(
            verdict(
                mid, mats.get(mid) or {}, req.get(mid) or {}, adaptive=by_adaptive.get(mid)
            ),
            adaptive,
            mid,
        )
        for mid in ids
    ]


def _with_adaptive(line: str, adaptive: Mapping[str, Any], material_id: str) -> str:
    """The line, then why the adaptive protocol left the material unresolved (when
    the line does not already say it: no σ(300 K) at all)."""
    from ionmd.analysis.adaptive.tables import verdict_note

    note = verdict_note(adaptive, material_id)
    return f"{line}; {note}" if note and "adaptive protocol:" not in line else line


__all__ = ["verdict", "verdict_lines"]
