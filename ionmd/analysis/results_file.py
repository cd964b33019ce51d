"""Read a results.json (written by :mod:`ionmd.report.results_json`): the one
reader of it, for the comparison of runs, the campaign and :class:`ionmd.Results`.
Also the reader of its parts that the analysis computes again from a document:
the pooling's members (:func:`member_rows_of_document`) and the pools
(:func:`pooled_of_dict`, as :class:`ionmd.analysis.pooled_types.PooledMaterial`).
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


__all__ = [
    "POOLED_SECTIONS",
    "member_rows_of_document",
    "pooled_of_dict",
    "pooled_of_document",
    "read_results_json",
]
