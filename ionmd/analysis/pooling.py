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

The members come in as :class:`ionmd.analysis.pooled_types.MemberRow` (from the
analysis's material summaries, :func:`member_rows`, or from a results.json,
:func:`ionmd.analysis.results_file.member_rows_of_document`) and the pools go out as
:class:`ionmd.analysis.pooled_types.PooledMaterial` (results.json's layout of them
is :mod:`ionmd.report.results_json`'s).

Over temperatures: an Arrhenius fit of the pooled D (weighted by their 95 %
intervals; only temperatures used in the fit of every ordering), D and sigma at
``extrapolate_K`` (sigma from the mean Li count and volume of the orderings),
and, when the experiment is known (under the base id), the log10 error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ionmd.analysis.members import replica_of
from ionmd.analysis.pooled_types import (
    MemberRow,
    PooledMaterial,
    PooledTemperature,
    PooledValue,
)
from ionmd.structures.ordering import base_material_id

if TYPE_CHECKING:
    from ionmd.analysis.material_summary import MaterialSummary

__all__ = ["member_rows", "pool_orderings", "pool_replicas", "pooled_value"]

#: member id -> its rows, one per temperature
Members = Mapping[str, Sequence[MemberRow]]


def pooled_value(
    values: Sequence[float], ci95: Sequence[tuple[float, float]]
) -> PooledValue:
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
    sig = [(hi - lo) / (2 * Z95) if _finite(hi) and _finite(lo) else 0.0 for lo, hi in ci95]
    half = Z95 * math.sqrt(math.fsum(s * s for s in sig)) / n  # own errors alone
    if n > 1:
        half = max(half, t_quantile_95(dof=n - 1) * spread / math.sqrt(n))
    return PooledValue(
        value=mean,
        ci95=(max(0.0, mean - half), mean + half),
        spread=spread,
        members=tuple(values),
    )


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def member_rows(summary: MaterialSummary) -> list[MemberRow]:
    """One material's (a member's) rows for pooling, from the analysis's summary."""
    from ionmd.analysis.summarise import temperature_sigma_mS_cm

    rows = []
    for r, (used, _) in zip(
        summary.temperatures, summary.fit_use_per_temperature(), strict=True
    ):
        sigma, sigma_ci = temperature_sigma_mS_cm(r)
        rows.append(
            MemberRow(
                temperature_K=r.temperature_K,
                D_cm2_s=r.D_cm2_s,
                D_ci95_cm2_s=tuple(r.D_ci95_cm2_s),
                sigma_mS_cm=sigma,
                sigma_ci95_mS_cm=tuple(sigma_ci),
                reliable=bool(r.reliable),
                used_in_fit=bool(used),
                n_mobile=r.n_mobile,
                volume_A3=r.volume_A3,
            )
        )
    return rows


def pool_replicas(
    members: Members,
    *,
    sigma_exp_mS_cm: Mapping[str, float] | None = None,
    extrapolate_K: float = 300.0,
) -> dict[str, PooledMaterial]:
    """Per material (or ordering) with replicas: the replicas and, per
    temperature, the pooled D and sigma, then the Arrhenius fit of the pooled D.
    ``members``: every analysed material's rows; the first replica is the id
    itself, the others ``<id>#rK``."""
    groups: dict[str, list[str]] = {}
    for mid in members:
        parent, k = replica_of(mid)
        if k > 1:
            groups.setdefault(parent, [parent] if parent in members else []).append(mid)
    pools = {
        parent: {m: members[m] for m in sorted(mids, key=lambda m: replica_of(m)[1])}
        for parent, mids in groups.items()
    }
    return _pool(
        pools, word="replica", sigma_exp=sigma_exp_mS_cm, extrapolate_K=extrapolate_K
    )


def pool_orderings(
    members: Members,
    *,
    sigma_exp_mS_cm: Mapping[str, float] | None = None,
    extrapolate_K: float = 300.0,
    replicas: Mapping[str, PooledMaterial] | None = None,
) -> dict[str, PooledMaterial]:
    """Per base material: its orderings and, per temperature, the pooled D and
    sigma, then the Arrhenius fit of the pooled D. ``members``: every analysed
    material's rows; ids that are not orderings are ignored. ``replicas``:
    :func:`pool_replicas`' result; an ordering found there enters with its
    replicas' pooled D and interval."""
    groups: dict[str, list[str]] = {}
    for mid in members:
        base, k = base_material_id(mid)
        if k is not None:
            groups.setdefault(base, []).append(mid)
    pooled_rows = {mid: _as_member(p) for mid, p in (replicas or {}).items()}
    pools = {
        base: {
            m: pooled_rows.get(m) or list(members[m])
            for m in sorted(mids, key=lambda m: base_material_id(m)[1] or 0)
        }
        for base, mids in groups.items()
    }
    return _pool(
        pools, word="ordering", sigma_exp=sigma_exp_mS_cm, extrapolate_K=extrapolate_K
    )


def _as_member(p: PooledMaterial) -> list[MemberRow]:
    """A pool's temperatures as the rows of one member of a pool above it (an
    ordering's replicas entering the ordering pool): reliable when reliable in
    every replica."""
    return [
        MemberRow(
            temperature_K=t.temperature_K,
            D_cm2_s=t.D_cm2_s.value,
            D_ci95_cm2_s=t.D_cm2_s.ci95,
            sigma_mS_cm=t.sigma_mS_cm.value if t.sigma_mS_cm else None,
            sigma_ci95_mS_cm=t.sigma_mS_cm.ci95 if t.sigma_mS_cm else None,
            reliable=t.reliable_all,
            used_in_fit=t.used_in_fit,
            n_mobile=t.n_mobile,
            volume_A3=t.volume_A3,
        )
        for t in p.temperatures
    ]


def _pool(
    groups: Mapping[str, Members],
    *,
    word: str,
    sigma_exp: Mapping[str, float] | None,
    extrapolate_K: float,
) -> dict[str, PooledMaterial]:
    """base -> its pool (members, pooled temperatures, Arrhenius fit);
    ``groups``: base -> member id -> the member's temperature rows."""
    out: dict[str, PooledMaterial] = {}
    for base, members in sorted(groups.items()):
        by_t: dict[float, list[tuple[str, MemberRow]]] = {}
        for mid, rows in members.items():
            for row in rows:
                by_t.setdefault(float(row.temperature_K), []).append((mid, row))
        temps = []
        for t in sorted(by_t):
            rows = [(m, r) for m, r in by_t[t] if _finite(r.D_cm2_s)]
            if rows:
                temps.append(_pooled_temperature(t, rows))
        pool = PooledMaterial(word=word, members=tuple(members), temperatures=tuple(temps))
        out[base] = _arrhenius(
            pool, extrapolate_K=extrapolate_K, sigma_exp=(sigma_exp or {}).get(base)
        )
    return out


def _own_ci(ci95: tuple[float, float] | None) -> tuple[float, float]:
    return ci95 or (math.nan, math.nan)


def _pooled_temperature(t: float, rows: list[tuple[str, MemberRow]]) -> PooledTemperature:
    """One temperature's pooled D and sigma over the members' ``rows``."""
    d = pooled_value(
        [float(r.D_cm2_s) for _, r in rows], [_own_ci(r.D_ci95_cm2_s) for _, r in rows]
    )
    sigma = None
    if all(_finite(r.sigma_mS_cm) for _, r in rows):
        sigma = pooled_value(
            [float(r.sigma_mS_cm) for _, r in rows],
            [_own_ci(r.sigma_ci95_mS_cm) for _, r in rows],
        )
    return PooledTemperature(
        temperature_K=t,
        members=tuple(m for m, _ in rows),
        D_cm2_s=d,
        sigma_mS_cm=sigma,
        reliable_all=all(r.reliable for _, r in rows),
        used_in_fit=all(r.used_in_fit for _, r in rows),
        n_mobile=float(np.mean([r.n_mobile for _, r in rows])),
        volume_A3=float(np.mean([r.volume_A3 for _, r in rows])),
    )


def _arrhenius(
    pool: PooledMaterial, *, extrapolate_K: float, sigma_exp: float | None
) -> PooledMaterial:
    """``pool`` with the weighted Arrhenius fit of its pooled D and D, σ at
    ``extrapolate_K`` (unchanged when fewer than two temperatures can be fitted)."""
    from ionmd.analysis.arrhenius import fit_arrhenius, sigma_ln_from_interval
    from ionmd.analysis.conductivity import sigma_mS_cm
    from ionmd.analysis.experiment import log10_error
    from ionmd.errors import InputError

    use = [t for t in pool.temperatures if t.used_in_fit and t.D_cm2_s.value > 0]
    if len({t.temperature_K for t in use}) < 2:
        return pool
    sig = np.array(
        [
            sigma_ln_from_interval(D_cm2_s=t.D_cm2_s.value, ci95_cm2_s=t.D_cm2_s.ci95)
            for t in use
        ]
    )
    try:
        fit = fit_arrhenius(
            temperature_K=np.array([t.temperature_K for t in use]),
            D_cm2_s=np.array([t.D_cm2_s.value for t in use]),
            sigma_lnD=sig if np.all(np.isfinite(sig)) else None,
        )
    except InputError:
        return pool
    d, (lo, hi) = fit.D_at(temperature_K=extrapolate_K)
    n_mobile = float(np.nanmean([t.n_mobile for t in use]))
    volume = float(np.nanmean([t.volume_A3 for t in use]))

    def to_sigma(x: float) -> float:
        return sigma_mS_cm(
            D_cm2_s=x, n_mobile=n_mobile, volume_A3=volume, temperature_K=extrapolate_K
        )

    sigma = to_sigma(d)
    return replace(
        pool,
        arrhenius_temperatures_K=tuple(t.temperature_K for t in use),
        Ea_eV=fit.Ea_eV,
        Ea_ci95_eV=tuple(fit.Ea_ci95_eV),
        extrapolation_K=extrapolate_K,
        D_300K_cm2_s=d,
        D_300K_ci95_cm2_s=(lo, hi),
        sigma_300K_mS_cm=sigma,
        sigma_300K_ci95_mS_cm=(to_sigma(lo), to_sigma(hi)),
        sigma_exp_mS_cm=sigma_exp,
        log10_error=(
            log10_error(sigma_pred_mS_cm=sigma, sigma_exp_mS_cm=sigma_exp)
            if sigma_exp is not None
            else None
        ),
    )
