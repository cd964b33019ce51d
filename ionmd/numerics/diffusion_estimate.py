"""PLACEHOLDER (replaced by engineer B's validated estimator at merge)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class DiffusionEstimate:
    D_cm2_s: float
    ci95_cm2_s: tuple[float, float]
    log10_ci_width: float
    msd_max_A2: float
    fit_start_ps: float
    fit_end_ps: float
    n_effective: float


def estimate_diffusion(
    *,
    lag_ps: np.ndarray,
    msd_A2: np.ndarray,
    n_origins: np.ndarray,
    n_ions: int,
    run_ps: float,
    dimensions: int = 3,
) -> DiffusionEstimate:
    lag = np.asarray(lag_ps, dtype=float)
    msd = np.asarray(msd_A2, dtype=float)
    ok = np.isfinite(msd)
    msd_max = float(np.max(msd[ok])) if ok.any() else float("nan")
    sel = ok & (lag >= 0.1 * lag.max()) & (lag <= 0.5 * lag.max()) if lag.size else ok
    if sel.sum() < 2:
        nan = float("nan")
        return DiffusionEstimate(
            D_cm2_s=nan,
            ci95_cm2_s=(nan, nan),
            log10_ci_width=math.inf,
            msd_max_A2=msd_max,
            fit_start_ps=nan,
            fit_end_ps=nan,
            n_effective=0.0,
        )
    slope = np.polyfit(lag[sel], msd[sel], 1)[0]
    D = slope / (2 * dimensions) * 1e-4  # Å²/ps -> cm²/s
    tau = float(lag[sel].max())
    n_eff = max(n_ions * run_ps / tau, 1.0)
    rel = math.sqrt(2.0 / (dimensions * n_eff))
    lo, hi = D * (1 - 1.96 * rel), D * (1 + 1.96 * rel)
    width = math.log10(hi / lo) if lo > 0 and D > 0 else math.inf
    return DiffusionEstimate(
        D_cm2_s=float(D),
        ci95_cm2_s=(float(lo), float(hi)),
        log10_ci_width=width,
        msd_max_A2=msd_max,
        fit_start_ps=float(lag[sel].min()),
        fit_end_ps=tau,
        n_effective=n_eff,
    )
