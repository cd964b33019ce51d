"""Pool the replicas of a material and the orderings of a disordered one.

Two kinds of members, pooled the same way per temperature:

- the replicas ``<id>``, ``<id>#r2``, ... (``n_replicas``,
  :mod:`ionmd.analysis.members`): copies differing only in their initial
  velocities, pooled into ``pooled_replicas.<id>``;
- the orderings ``<id>#o1``, ``<id>#o2``, ... (``occupancy = "order"``) of one
  material, run at the same temperatures, pooled into ``pooled_orderings.<id>``;
  an ordering with replicas enters with its replicas' pooled value (two stages:
  the replicas of each ordering, then the orderings).

Each member is analysed as its own material (so a user sees whether the
ordering matters, and how far replicas scatter); pooled per temperature:

- ``D_cm2_s``: the mean of the orderings' D (each ordering is an equally likely
  realisation of the disorder; their Li counts agree to the rounding tolerance).
- ``D_ci95_cm2_s``: a random-effects interval for the mean over orderings,
  mean +- max(t(0.975, n - 1) s / sqrt(n), 1.96 sqrt(sum sigma_i^2) / n) with s
  the sample standard deviation between orderings and sigma_i an ordering's own
  statistical error (its 95 % interval width / 3.92); lower end floored at 0.
  Why: s already contains each run's own error (Var y_i = tau^2 + sigma_i^2), so
  s^2 / n with Student's t on n - 1 degrees of freedom is the interval of the
  mean whatever the spread between orderings (Hartung-Knapp-Sidik-Jonkman with
  equal weights); adding sum sigma_i^2 / n^2 again and using 1.96, as before,
  covered 0.75 (2 orderings) to 0.92 (8) when the spread is 5x the own errors
  and 0.99 when they are near copies. The second term floors the interval at
  what the own errors alone give, so members that agree by chance do not give
  an interval narrower than their own statistics allow. Measured coverage
  >= 0.95 for spread / own error 0-5 and 2-8 orderings
  (``python -m benchmarks.pooling_coverage``, docs/uncertainty.md). With two
  orderings t(1) = 12.7: the interval is honest, and wide; more orderings (or
  replicas) narrow it quickly (t(3) = 3.2).
- ``D_spread_cm2_s``: s, and ``D_by_ordering_cm2_s`` (``D_by_replica_cm2_s``):
  each member's D.
- the same for sigma (mS/cm).

Members without a finite D at a temperature are left out there;
``n_orderings`` (``n_replicas``) says how many contributed.

Over temperatures: an Arrhenius fit of the pooled D (weighted by their 95 %
intervals; only temperatures used in the fit of every ordering), D and sigma at
``extrapolate_K`` (sigma from the mean Li count and volume of the orderings),
and, when the experiment is known (under the base id), the log10 error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ionmd.analysis.members import replica_of
from ionmd.structures.ordering import base_material_id

__all__ = ["pool_orderings", "pool_replicas", "pooled_value"]


def pooled_value(values: list[float], ci95: list[tuple[float, float]]) -> dict[str, Any]:
    """Mean, spread and random-effects 95 % interval of the members (orderings or
    replicas) of one material at one temperature (see the module docstring).
    ``ci95``: each member's own 95 % interval (a non-finite one counts as no own
    error)."""
    from ionmd.analysis.arrhenius import Z95, t_quantile_95

    n = len(values)
    mean = math.fsum(values) / n
    spread = (
        math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    )
    sig = [
        (hi - lo) / (2 * Z95) if math.isfinite(hi) and math.isfinite(lo) else 0.0
        for lo, hi in ci95
    ]
    half = Z95 * math.sqrt(math.fsum(s * s for s in sig)) / n  # own errors alone
    if n > 1:
        half = max(half, t_quantile_95(dof=n - 1) * spread / math.sqrt(n))
    return {
        "value": mean,
        "ci95": [max(0.0, mean - half), mean + half],
        "spread": spread,
        "members": list(values),
    }


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def pool_replicas(
    materials: Mapping[str, Mapping[str, Any]],
    *,
    sigma_exp_mS_cm: Mapping[str, float] | None = None,
    extrapolate_K: float = 300.0,
) -> dict[str, Any]:
    """Per material (or ordering) with replicas: the replicas and, per
    temperature, the pooled D and sigma, then the Arrhenius fit of the pooled D.
    ``materials``: results.json's ``materials``; the first replica is the id
    itself, the others ``<id>#rK``."""
    groups: dict[str, list[str]] = {}
    for mid in materials:
        parent, k = replica_of(mid)
        if k > 1:
            groups.setdefault(parent, [parent] if parent in materials else []).append(mid)
    members = {
        parent: {
            m: _rows(materials[m]) for m in sorted(mids, key=lambda m: replica_of(m)[1])
        }
        for parent, mids in groups.items()
    }
    return _pool(
        members, word="replica", sigma_exp=sigma_exp_mS_cm, extrapolate_K=extrapolate_K
    )


def pool_orderings(
    materials: Mapping[str, Mapping[str, Any]],
    *,
    sigma_exp_mS_cm: Mapping[str, float] | None = None,
    extrapolate_K: float = 300.0,
    replicas: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Per base material: its orderings and, per temperature, the pooled D and
    sigma, then the Arrhenius fit of the pooled D. ``materials``: results.json's
    ``materials`` (id -> material dict); ids that are not orderings are ignored.
    ``replicas``: :func:`pool_replicas`' result; an ordering found there enters
    with its replicas' pooled D and interval."""
    groups: dict[str, list[str]] = {}
    for mid in materials:
        base, k = base_material_id(mid)
        if k is not None:
            groups.setdefault(base, []).append(mid)
    pooled_rows = {
        mid: [{**t, "reliable": t["reliable_all"]} for t in p["temperatures"]]
        for mid, p in (replicas or {}).items()
    }
    members = {
        base: {
            m: pooled_rows.get(m) or _rows(materials[m])
            for m in sorted(mids, key=lambda m: base_material_id(m)[1] or 0)
        }
        for base, mids in groups.items()
    }
    return _pool(
        members, word="ordering", sigma_exp=sigma_exp_mS_cm, extrapolate_K=extrapolate_K
    )


def _rows(material: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(material.get("temperatures") or [])


def _pool(
    groups: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    *,
    word: str,
    sigma_exp: Mapping[str, float] | None,
    extrapolate_K: float,
) -> dict[str, Any]:
    """base -> {``<word>s``: members, temperatures: pooled rows, Arrhenius fit};
    ``groups``: base -> member id -> the member's temperature rows."""
    out: dict[str, Any] = {}
    for base, members in sorted(groups.items()):
        by_t: dict[float, list[tuple[str, dict]]] = {}
        for mid, rows in members.items():
            for row in rows:
                by_t.setdefault(float(row["temperature_K"]), []).append((mid, row))
        temps = []
        for t in sorted(by_t):
            rows = [(m, r) for m, r in by_t[t] if _finite(r.get("D_cm2_s"))]
            if rows:
                temps.append(_pooled_temperature(t, rows, word=word))
        out[base] = {f"{word}s": list(members), "temperatures": temps}
        out[base] |= _arrhenius(
            temps, extrapolate_K=extrapolate_K, sigma_exp=(sigma_exp or {}).get(base)
        )
    return out


def _pooled_temperature(
    t: float, rows: list[tuple[str, dict[str, Any]]], *, word: str
) -> dict[str, Any]:
    """One temperature's pooled D and sigma over the members' ``rows``."""
    d = pooled_value(
        [float(r["D_cm2_s"]) for _, r in rows],
        [tuple(r.get("D_ci95_cm2_s") or (math.nan, math.nan)) for _, r in rows],
    )
    entry: dict[str, Any] = {
        "temperature_K": t,
        f"n_{word}s": len(rows),
        f"{word}s": [m for m, _ in rows],
        "D_cm2_s": d["value"],
        "D_ci95_cm2_s": d["ci95"],
        "D_spread_cm2_s": d["spread"],
        f"D_by_{word}_cm2_s": d["members"],
        "reliable_all": all(bool(r.get("reliable")) for _, r in rows),
        "used_in_fit": all(r.get("used_in_fit", True) is not False for _, r in rows),
        "n_mobile": float(np.mean([r.get("n_mobile", np.nan) for _, r in rows])),
        "volume_A3": float(np.mean([r.get("volume_A3", np.nan) for _, r in rows])),
    }
    if all(_finite(r.get("sigma_mS_cm")) for _, r in rows):
        s = pooled_value(
            [float(r["sigma_mS_cm"]) for _, r in rows],
            [tuple(r.get("sigma_ci95_mS_cm") or (math.nan, math.nan)) for _, r in rows],
        )
        entry |= {
            "sigma_mS_cm": s["value"],
            "sigma_ci95_mS_cm": s["ci95"],
            "sigma_spread_mS_cm": s["spread"],
            f"sigma_by_{word}_mS_cm": s["members"],
        }
    return entry


def _arrhenius(
    temps: list[dict[str, Any]], *, extrapolate_K: float, sigma_exp: float | None
) -> dict[str, Any]:
    from ionmd.analysis.arrhenius import fit_arrhenius, sigma_ln_from_interval
    from ionmd.analysis.conductivity import sigma_mS_cm
    from ionmd.analysis.experiment import log10_error
    from ionmd.errors import InputError

    use = [t for t in temps if t["used_in_fit"] and t["D_cm2_s"] > 0]
    empty = {"Ea_eV": None, "D_300K_cm2_s": None, "sigma_300K_mS_cm": None}
    if len({t["temperature_K"] for t in use}) < 2:
        return empty | {"arrhenius_temperatures_K": []}
    sig = np.array(
        [
            sigma_ln_from_interval(
                D_cm2_s=t["D_cm2_s"], ci95_cm2_s=tuple(t["D_ci95_cm2_s"])
            )
            for t in use
        ]
    )
    try:
        fit = fit_arrhenius(
            temperature_K=np.array([t["temperature_K"] for t in use]),
            D_cm2_s=np.array([t["D_cm2_s"] for t in use]),
            sigma_lnD=sig if np.all(np.isfinite(sig)) else None,
        )
    except InputError:
        return empty | {"arrhenius_temperatures_K": []}
    d, (lo, hi) = fit.D_at(temperature_K=extrapolate_K)
    n_mobile = float(np.nanmean([t["n_mobile"] for t in use]))
    volume = float(np.nanmean([t["volume_A3"] for t in use]))

    def to_sigma(x: float) -> float:
        return sigma_mS_cm(
            D_cm2_s=x, n_mobile=n_mobile, volume_A3=volume, temperature_K=extrapolate_K
        )

    sigma = to_sigma(d)
    return {
        "arrhenius_temperatures_K": [t["temperature_K"] for t in use],
        "Ea_eV": fit.Ea_eV,
        "Ea_ci95_eV": list(fit.Ea_ci95_eV),
        "extrapolation_K": extrapolate_K,
        "D_300K_cm2_s": d,
        "D_300K_ci95_cm2_s": [lo, hi],
        "sigma_300K_mS_cm": sigma,
        "sigma_300K_ci95_mS_cm": [to_sigma(lo), to_sigma(hi)],
        "sigma_exp_mS_cm": sigma_exp,
        "log10_error": (
            log10_error(sigma_pred_mS_cm=sigma, sigma_exp_mS_cm=sigma_exp)
            if sigma_exp is not None
            else None
        ),
    }
