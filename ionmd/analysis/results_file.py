"""Read a results.json (written by :mod:`ionmd.report.results_json`): the one
reader of it, for the comparison of runs, the campaign and :class:`ionmd.Results`.
Also the reader of its parts that the analysis computes again from a document:
the pooling's members (:func:`member_rows_of_document`) and the pools
(:func:`pooled_of_dict`, as :class:`ionmd.analysis.pooled_types.PooledMaterial`)
and what a verdict is decided on (:func:`verdict_basis_of_dict`,
:func:`requested_state_of_dict`, :func:`adaptive_decision_of_dict`, as
:mod:`ionmd.analysis.verdict_basis`'s types).
Reading is the analysis's side (like run files and campaign.json, a layout is its
contract); writing is the report's."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ionmd.analysis.pooled_types import (
    MemberRow,
    PooledMaterial,
    PooledTemperature,
    PooledValue,
)
from ionmd.analysis.verdict_basis import (
    AdaptiveDecision,
    RequestedState,
    TemperatureState,
    VerdictBasis,
)
from ionmd.errors import InputError


def _how_to_get_one(out: Path) -> str:
    """What makes a results.json in ``out``: a campaign that has not finished
    (stopped, killed, still running) needs its ``ionmd run``; ``ionmd analyze`` on
    it finds no complete trajectory."""
    try:
        status = json.loads((out / "campaign.json").read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        status = None
    if status is not None and status != "done":
        return f"its campaign has not finished (status {status}): re-run its `ionmd run`"
    return "run `ionmd analyze` on it first"


def read_results_json(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The results.json in ``out_dir``; InputError in one line when it is missing,
    unreadable or not a results document."""
    out = Path(out_dir)
    path = out / "results.json"
    if not path.is_file():
        raise InputError(f"{out}: no results.json ({_how_to_get_one(out)})")
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable results.json ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("materials"), dict):
        raise InputError(f"{path}: no 'materials' in this results.json")
    return doc


def _pair(x: Any) -> tuple[float, float] | None:
    """``[lo, hi]`` as a tuple; a missing or malformed interval: None."""
    if isinstance(x, Sequence) and not isinstance(x, str) and len(x) == 2:
        return (x[0], x[1])
    return None


def _number(x: Any) -> float:
    """A number of the document; null (a NaN written as null): NaN."""
    return math.nan if x is None else x


def member_rows_of_document(
    materials: Mapping[str, Mapping[str, Any]],
) -> dict[str, list[MemberRow]]:
    """Each material of results.json's ``materials`` as the rows pooling reads
    (:func:`ionmd.analysis.pooling.pool_replicas`); a row without
    ``used_in_fit`` counts as in the fit."""
    return {
        mid: [
            MemberRow(
                temperature_K=row["temperature_K"],
                D_cm2_s=row.get("D_cm2_s"),
                D_ci95_cm2_s=_pair(row.get("D_ci95_cm2_s")),
                sigma_mS_cm=row.get("sigma_mS_cm"),
                sigma_ci95_mS_cm=_pair(row.get("sigma_ci95_mS_cm")),
                reliable=bool(row.get("reliable")),
                used_in_fit=row.get("used_in_fit", True) is not False,
                n_mobile=_number(row.get("n_mobile")),
                volume_A3=_number(row.get("volume_A3")),
            )
            for row in m.get("temperatures") or []
        ]
        for mid, m in materials.items()
    }


def _pooled_value(t: Mapping[str, Any], *, name: str, unit: str, word: str) -> PooledValue:
    return PooledValue(
        value=t[f"{name}_{unit}"],
        ci95=_pair(t.get(f"{name}_ci95_{unit}")) or (math.nan, math.nan),
        spread=_number(t.get(f"{name}_spread_{unit}")),
        members=tuple(t.get(f"{name}_by_{word}_{unit}") or ()),
    )


def _pooled_temperature(t: Mapping[str, Any], *, word: str) -> PooledTemperature:
    has_sigma = t.get("sigma_mS_cm") is not None
    return PooledTemperature(
        temperature_K=t["temperature_K"],
        members=tuple(t.get(f"{word}s") or ()),
        D_cm2_s=_pooled_value(t, name="D", unit="cm2_s", word=word),
        sigma_mS_cm=(
            _pooled_value(t, name="sigma", unit="mS_cm", word=word) if has_sigma else None
        ),
        reliable_all=bool(t.get("reliable_all")),
        used_in_fit=t.get("used_in_fit", True) is not False,
        n_mobile=_number(t.get("n_mobile")),
        volume_A3=_number(t.get("volume_A3")),
    )


def pooled_of_dict(p: Mapping[str, Any], *, word: str) -> PooledMaterial:
    """One entry of results.json's ``pooled_replicas`` (``word`` "replica") or
    ``pooled_orderings`` ("ordering") as the analysis computed it."""
    fit = tuple(p.get("arrhenius_temperatures_K") or ())
    pool = PooledMaterial(
        word=word,
        members=tuple(p.get(f"{word}s") or ()),
        temperatures=tuple(
            _pooled_temperature(t, word=word) for t in p.get("temperatures") or ()
        ),
    )
    if not fit:
        return pool
    return replace(
        pool,
        arrhenius_temperatures_K=fit,
        Ea_eV=p.get("Ea_eV"),
        Ea_ci95_eV=_pair(p.get("Ea_ci95_eV")),
        extrapolation_K=p.get("extrapolation_K"),
        D_300K_cm2_s=p.get("D_300K_cm2_s"),
        D_300K_ci95_cm2_s=_pair(p.get("D_300K_ci95_cm2_s")),
        sigma_300K_mS_cm=p.get("sigma_300K_mS_cm"),
        sigma_300K_ci95_mS_cm=_pair(p.get("sigma_300K_ci95_mS_cm")),
        sigma_exp_mS_cm=p.get("sigma_exp_mS_cm"),
        log10_error=p.get("log10_error"),
    )


#: results.json's pooled sections and the word of their members
POOLED_SECTIONS = (("pooled_orderings", "ordering"), ("pooled_replicas", "replica"))


def pooled_of_document(doc: Mapping[str, Any]) -> list[tuple[str, PooledMaterial]]:
    """Every pool of a results.json as (material id, pool): the disordered
    materials pooled over their orderings first, then the materials pooled over
    their replicas."""
    return [
        (str(base), pooled_of_dict(p, word=word))
        for key, word in POOLED_SECTIONS
        for base, p in (doc.get(key) or {}).items()
    ]


def verdict_basis_of_dict(m: Mapping[str, Any] | None) -> VerdictBasis | None:
    """A ``materials`` entry of results.json as the numbers its verdict is decided
    on (None for a missing or empty entry)."""
    if not m:
        return None
    temps = m.get("temperatures") or []
    return VerdictBasis(
        formula=str(m.get("formula") or ""),
        temperatures=tuple(
            TemperatureState(
                temperature_K=t["temperature_K"],
                reliable=bool(t.get("reliable")),
                framework_mobile=bool(t.get("framework_mobile")),
                unwrap_unreliable=bool(t.get("unwrap_unreliable")),
                unwrap_reason=t.get("unwrap_reason"),
            )
            for t in temps
        ),
        temperatures_requested_K=tuple(
            m.get("temperatures_requested_K") or [t["temperature_K"] for t in temps]
        ),
        temperatures_missing_K=tuple(m.get("temperatures_missing_K") or ()),
        all_reliable=bool(m.get("all_reliable")),
        sigma_300K_mS_cm=m.get("sigma_300K_mS_cm"),
        sigma_300K_ci95_mS_cm=_pair(m.get("sigma_300K_ci95_mS_cm")),
        sigma_exp_mS_cm=m.get("sigma_exp_mS_cm"),
        arrhenius_prediction=m.get("arrhenius_prediction"),
        arrhenius_prediction_reason=m.get("arrhenius_prediction_reason"),
    )


def requested_state_of_dict(req: Mapping[str, Any] | None) -> RequestedState | None:
    """A ``requested_materials`` entry of results.json (None: missing or empty)."""
    if not req:
        return None
    return RequestedState(
        status=req.get("status"),
        reason=req.get("reason"),
        formula=req.get("formula"),
        sigma_exp_mS_cm=req.get("sigma_exp_mS_cm"),
    )


def adaptive_decision_of_dict(entry: Mapping[str, Any] | None) -> AdaptiveDecision | None:
    """A material's entry in results.json's ``adaptive.materials`` (None: missing
    or empty)."""
    if not entry:
        return None
    return AdaptiveDecision(
        status=entry.get("status"),
        reason=entry.get("reason"),
        sigma300_log10_ci=entry.get("sigma300_log10_ci"),
    )


__all__ = [
    "POOLED_SECTIONS",
    "adaptive_decision_of_dict",
    "member_rows_of_document",
    "pooled_of_dict",
    "pooled_of_document",
    "read_results_json",
    "requested_state_of_dict",
    "verdict_basis_of_dict",
]
