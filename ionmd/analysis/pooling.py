"""Pool the orderings of a disordered material (``occupancy = "order"``).

The orderings ``<id>#o1``, ``<id>#o2``, ... of one material ran as replicas at
the same temperatures; each is analysed as its own material (so a user sees
whether the ordering matters), and here they are pooled per temperature:

- ``D_cm2_s``: the mean of the orderings' D (each ordering is an equally likely
  realisation of the disorder; their Li counts agree to the rounding tolerance).
- uncertainty: the standard error of that mean, combining the orderings' own
  statistical errors (sigma_i = 95 % interval width / 3.92) and the spread
  between orderings (sample standard deviation s):
  ``se^2 = sum(sigma_i^2) / n^2 + s^2 / n``; the 95 % interval is mean +- 1.96 se
  (its lower end floored at 0). With one ordering the spread term is 0.
- ``D_spread_cm2_s``: s, and ``D_by_ordering_cm2_s``: each ordering's D.
- the same for sigma (mS/cm).

Only temperatures with a finite D in every contributing ordering are pooled;
``n_orderings`` says how many contributed.

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

from ionmd.structures.ordering import base_material_id

__all__ = ["pool_orderings", "pooled_value"]


def pooled_value(values: list[float], ci95: list[tuple[float, float]]) -> dict[str, Any]:
    """Mean, spread and 95 % interval of replicas (see the module docstring)."""
    n = len(values)
    mean = math.fsum(values) / n
    spread = (
        math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    )
    sig = [
        (hi - lo) / 3.92 if math.isfinite(hi) and math.isfinite(lo) else 0.0
        for lo, hi in ci95
    ]
    se = math.sqrt(math.fsum(s * s for s in sig) / n**2 + spread**2 / n)
    return {
        "value": mean,
        "ci95": [max(0.0, mean - 1.96 * se), mean + 1.96 * se],
        "spread": spread,
        "by_ordering": list(values),
    }


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def pool_orderings(
    materials: Mapping[str, Mapping[str, Any]],
    *,
    sigma_exp_mS_cm: Mapping[str, float] | None = None,
    extrapolate_K: float = 300.0,
) -> dict[str, Any]:
    """Per base material: its orderings and, per temperature, the pooled D and
    sigma, then the Arrhenius fit of the pooled D. ``materials``: results.json's
    ``materials`` (id -> material dict); ids that are not orderings are ignored."""
    groups: dict[str, list[str]] = {}
    for mid in materials:
        base, k = base_material_id(mid)
        if k is not None:
            groups.setdefault(base, []).append(mid)
    out: dict[str, Any] = {}
    for base, mids in sorted(groups.items()):
        mids.sort(key=lambda m: base_material_id(m)[1] or 0)
        by_t: dict[float, list[tuple[str, dict]]] = {}
        for mid in mids:
            for row in materials[mid].get("temperatures") or []:
                by_t.setdefault(float(row["temperature_K"]), []).append((mid, row))
        temps = []
        for t in sorted(by_t):
            rows = [(m, r) for m, r in by_t[t] if _finite(r.get("D_cm2_s"))]
            if not rows:
                continue
            d = pooled_value(
                [float(r["D_cm2_s"]) for _, r in rows],
                [tuple(r.get("D_ci95_cm2_s") or (math.nan, math.nan)) for _, r in rows],
            )
            entry: dict[str, Any] = {
                "temperature_K": t,
                "n_orderings": len(rows),
                "orderings": [m for m, _ in rows],
                "D_cm2_s": d["value"],
                "D_ci95_cm2_s": d["ci95"],
                "D_spread_cm2_s": d["spread"],
                "D_by_ordering_cm2_s": d["by_ordering"],
                "reliable_all": all(bool(r.get("reliable")) for _, r in rows),
                "used_in_fit": all(
                    r.get("used_in_fit", True) is not False for _, r in rows
                ),
                "n_mobile": float(np.mean([r.get("n_mobile", np.nan) for _, r in rows])),
                "volume_A3": float(np.mean([r.get("volume_A3", np.nan) for _, r in rows])),
            }
            if all(_finite(r.get("sigma_mS_cm")) for _, r in rows):
                s = pooled_value(
                    [float(r["sigma_mS_cm"]) for _, r in rows],
                    [
                        tuple(r.get("sigma_ci95_mS_cm") or (math.nan, math.nan))
                        for _, r in rows
                    ],
                )
                entry |= {
                    "sigma_mS_cm": s["value"],
                    "sigma_ci95_mS_cm": s["ci95"],
                    "sigma_spread_mS_cm": s["spread"],
                    "sigma_by_ordering_mS_cm": s["by_ordering"],
                }
            temps.append(entry)
        out[base] = {"orderings": mids, "temperatures": temps}
        out[base] |= _arrhenius(
            temps,
            extrapolate_K=extrapolate_K,
            sigma_exp=(sigma_exp_mS_cm or {}).get(base),
        )
    return out


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
