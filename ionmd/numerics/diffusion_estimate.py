"""A cheap tracer D with a 95 % interval from an MSD on a lag grid (numpy only).

The adaptive protocol judges each system after every chunk from the on-device
multiple-window MSD accumulator (``ionmd.engine.msd.MultiWindowMSD.result()``:
per lag the mean over ions and origins, and the number of origins). It needs D
and how uncertain D is, without a pass over the trajectory and without kinisi.

**The fit window mirrors the analysis.** ``ionmd.analysis.diffusion`` fits
kinisi from ``DiffusionSettings.start_for`` (3 ps, or a quarter of the run when
the run is shorter than 12 ps) to the longest lag; so does this, with an
intercept (kinisi's ``fit_intercept=True``). D = slope / (2 d).

**Variance model: a Gaussian random walk, exact for the origins used.** For a
process with Gaussian, stationary, independent increments (Brownian motion),
the one-axis displacements over two windows [a, a+τ] and [b, b+σ] have
covariance 2D·ov, ov = the length of the windows' overlap, and for Gaussian
variables Cov(X², Y²) = 2 Cov(X, Y)². Summed over d axes and averaged over N
independent ions and the origins a ∈ O_τ, b ∈ O_σ of each lag,

    Cov(m_τ, m_σ) = (2 d / N) · (2D)² · S_τσ,   S_τσ = mean_{a, b} ov(a, b)²,

which holds for every pair of lags, overlapping or not, so the correlation
between lags (the reason an ordinary least-squares error bar is wrong) is in
the model, not assumed away. S is computed on the origin grid the MSD was
actually averaged over: the accumulator averages lag j·B^k over origins every
B^k samples, so its j = 1 lags use non-overlapping windows (3× the variance
of all-origin averaging, Qian, Sheetz & Elson, Biophys. J. 60, 910 (1991)) and
the longest lags one or two origins. Origins are taken evenly spread over
[0, T − τ] (``n_origins`` of them; or ``origin_spacing_ps`` when given).
For one origin the diagonal reduces to Var(m) = (2/d)·m²/N, the
relative variance 2/d of a squared Gaussian displacement.

The scale is taken per lag from the fitted line m̂ (the measured MSD where the
line is not positive): 2D → m̂_τ / (d τ), so that a cage plateau (an intercept)
widens the interval instead of a flat slope making it vanish; for a pure
random walk m̂_τ / (d τ) = 2D exactly, and for one origin the diagonal is the
exact Gaussian (2/d)·m̂²/N. The line is a generalised least-squares fit with
this covariance (first with the Brownian S alone, where the scale cancels,
then twice with the scaled covariance), and the 95 % interval is D ± 1.96 σ_D.

What the model leaves out, on purpose (it has to be cheap and host-free):
non-Gaussian displacements (hops: heavier tails at lags of a few hop times,
which kinisi sees through the measured variance of the squared displacements)
and correlations between ions. One global ``variance_scale`` multiplies the
covariance; its default :data:`VARIANCE_SCALE` is the one choice tuned against
kinisi on the toy conductor (``python -m benchmarks.d_uncertainty_vs_kinisi``,
docs/adaptive_uncertainty.md).

``n_effective`` is the number of independent Gaussian squared displacements
that would give D the same relative precision: (2/d) / (σ_D / D)².
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ionmd.errors import InputError

#: Å²/ps → cm²/s.
A2_PS_TO_CM2_S = 1e-4
#: 95 % two-sided normal quantile.
Z95 = 1.959963984540054
#: The one global factor on the Gaussian covariance (tuned against kinisi: see
#: the module docstring).
VARIANCE_SCALE = 1.0
#: Origins of the longer-origin-list lag averaged exactly per pair (more are
#: subsampled evenly: the inner sum over the other lag's origins stays exact).
_MAX_OUTER_ORIGINS = 256


@dataclass(frozen=True, kw_only=True)
class DiffusionEstimate:
    """Tracer D and its 95 % interval from one MSD curve (cm²/s).

    ``D_cm2_s`` is nan when there is nothing to fit (fewer than two lags in the
    window) and 0 when nothing moved; ``log10_ci_width`` = log10(hi / lo), the
    width of the interval in decades, inf when lo <= 0 or nothing could be fit.
    ``msd_max_A2`` the largest mobile MSD on the grid (the study's 20 Å² check,
    as ``ionmd.analysis.reliability.is_reliable`` reads it).
    """

    D_cm2_s: float
    ci95_cm2_s: tuple[float, float]
    log10_ci_width: float
    msd_max_A2: float
    fit_start_ps: float
    fit_end_ps: float
    n_lags: int
    n_effective: float

    @property
    def relative_sigma(self) -> float:
        """σ_D / D (nan when D is not positive)."""
        lo, hi = self.ci95_cm2_s
        if not (self.D_cm2_s > 0 and math.isfinite(hi - lo)):
            return float("nan")
        return (hi - lo) / (2 * Z95 * self.D_cm2_s)


def default_fit_start_ps(*, run_ps: float) -> float:
    """The analysis's start of the diffusive regime (``DiffusionSettings.start_for``):
    kinisi's documented 3 ps, or a quarter of the run when it is shorter than 12 ps."""
    return 3.0 if run_ps >= 12.0 else run_ps / 4.0


def _overlap_sq_mean(
    *, tau_a: float, origins_a: np.ndarray, tau_b: float, origins_b: np.ndarray
) -> float:
    """mean over a ∈ origins_a, b ∈ origins_b of overlap([a, a+τa], [b, b+τb])²."""
    if origins_a.size > _MAX_OUTER_ORIGINS:
        idx = np.unique(np.linspace(0, origins_a.size - 1, _MAX_OUTER_ORIGINS).round())
        outer = origins_a[idx.astype(np.int64)]
    else:
        outer = origins_a
    nb = origins_b.size
    if nb == 1:
        b = np.full((outer.size, 1), origins_b[0])
    else:
        step = (origins_b[-1] - origins_b[0]) / (nb - 1)
        # b overlaps a only for b in (a − τb, a + τa)
        first = np.clip(np.ceil((outer - tau_b - origins_b[0]) / step), 0, nb - 1)
        width = int(math.ceil((tau_a + tau_b) / step)) + 2
        j = first[:, None] + np.arange(width)[None, :]
        valid = j <= nb - 1
        b = origins_b[0] + np.minimum(j, nb - 1) * step
        b = np.where(valid, b, np.inf)
    ov = np.minimum(outer[:, None] + tau_a, b + tau_b) - np.maximum(outer[:, None], b)
    ov = np.where(np.isfinite(ov), np.clip(ov, 0.0, None), 0.0)
    return float((ov * ov).sum(axis=1).mean() / nb)


def overlap_matrix(
    *,
    lag_ps: np.ndarray,
    n_origins: np.ndarray,
    run_ps: float,
    origin_spacing_ps: np.ndarray | None = None,
) -> np.ndarray:
    """``S (L, L)``, ps²: the mean squared overlap of the windows of two lags over
    their origins (evenly spread over [0, run − lag], or ``origin_spacing_ps`` apart)."""
    lag = np.asarray(lag_ps, dtype=np.float64)
    n_o = np.maximum(np.asarray(n_origins, dtype=np.int64), 1)
    origins = []
    for i, (t, n) in enumerate(zip(lag, n_o, strict=True)):
        if origin_spacing_ps is not None:
            spacing = float(np.asarray(origin_spacing_ps)[i])
        else:
            spacing = max(run_ps - t, 0.0) / (n - 1) if n > 1 else 0.0
        origins.append(np.arange(n) * spacing)
    n = lag.size
    s = np.empty((n, n))
    for p in range(n):
        for q in range(p, n):
            # the lag with more origins outside (subsampled if need be), the
            # sparser one inside (its window count per outer origin is small)
            a, b = (p, q) if origins[p].size >= origins[q].size else (q, p)
            s[p, q] = s[q, p] = _overlap_sq_mean(
                tau_a=lag[a], origins_a=origins[a], tau_b=lag[b], origins_b=origins[b]
            )
    return s


def _gls(x: np.ndarray, y: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(β (2,), Cov β (2, 2)) of y = β0 x + β1 under ``cov``."""
    design = np.stack([x, np.ones_like(x)], axis=1)
    w = np.linalg.pinv(cov, hermitian=True)
    info = design.T @ w @ design
    cov_beta = np.linalg.pinv(info, hermitian=True)
    return cov_beta @ design.T @ w @ y, cov_beta


def _nothing(*, msd_max: float, start: float, end: float, n_lags: int) -> DiffusionEstimate:
    nan = float("nan")
    return DiffusionEstimate(
        D_cm2_s=nan,
        ci95_cm2_s=(nan, nan),
        log10_ci_width=math.inf,
        msd_max_A2=msd_max,
        fit_start_ps=start,
        fit_end_ps=end,
        n_lags=n_lags,
        n_effective=0.0,
    )


def estimate_diffusion(
    *,
    lag_ps: np.ndarray,
    msd_A2: np.ndarray,
    n_origins: np.ndarray,
    n_ions: int,
    run_ps: float,
    dimensions: int = 3,
    fit_start_ps: float | None = None,
    origin_spacing_ps: np.ndarray | None = None,
    variance_scale: float = VARIANCE_SCALE,
) -> DiffusionEstimate:
    """D and its 95 % interval from a tracer MSD on a lag grid.

    Args:
        lag_ps: ``(L,)`` lags, ps (increasing).
        msd_A2: ``(L,)`` tracer MSD of the mobile ions (mean over ions and
            origins, summed over ``dimensions`` axes), Å².
        n_origins: ``(L,)`` time origins each lag was averaged over.
        n_ions: mobile ions the MSD is averaged over.
        run_ps: time from the first to the last sample, ps.
        dimensions: axes in the MSD (3 for xyz).
        fit_start_ps: start of the fit window (default: the analysis's rule,
            :func:`default_fit_start_ps`); the window ends at the longest lag.
        origin_spacing_ps: ``(L,)`` spacing of each lag's origins, ps, when
            known (default: evenly spread over [0, run − lag]).
        variance_scale: factor on the Gaussian covariance.
    """
    lag = np.asarray(lag_ps, dtype=np.float64).reshape(-1)
    msd = np.asarray(msd_A2, dtype=np.float64).reshape(-1)
    n_o = np.asarray(n_origins, dtype=np.int64).reshape(-1)
    if not (lag.shape == msd.shape == n_o.shape):
        raise InputError(
            f"lag_ps, msd_A2 and n_origins must have one shape, got "
            f"{lag.shape}, {msd.shape}, {n_o.shape}"
        )
    if n_ions < 1 or dimensions not in (1, 2, 3) or not math.isfinite(run_ps):
        raise InputError(
            f"need n_ions >= 1, dimensions 1-3 and a finite run, got {n_ions}, "
            f"{dimensions}, {run_ps}"
        )
    ok = np.isfinite(lag) & np.isfinite(msd) & (n_o > 0) & (lag > 0)
    msd_max = float(msd[ok].max()) if ok.any() else float("nan")
    start = default_fit_start_ps(run_ps=run_ps) if fit_start_ps is None else fit_start_ps
    sel = ok & (lag >= start - 1e-9)
    x, y, n_sel = lag[sel], msd[sel], n_o[sel]
    end = float(x[-1]) if x.size else float("nan")
    if x.size < 2:
        return _nothing(msd_max=msd_max, start=float(start), end=end, n_lags=int(x.size))
    spacing = None if origin_spacing_ps is None else np.asarray(origin_spacing_ps)[sel]
    s = overlap_matrix(
        lag_ps=x, n_origins=n_sel, run_ps=float(run_ps), origin_spacing_ps=spacing
    )
    # pass 1: the Brownian weights alone (the scale cancels in β)
    beta, _ = _gls(x, y, s)
    for _ in range(2):
        line = beta[0] * x + beta[1]
        fitted = np.where(line > 0, line, np.clip(y, 0.0, None))
        if not np.any(fitted > 0):
            # nothing moved: D is 0 and nothing bounds it from below yet
            return DiffusionEstimate(
                D_cm2_s=0.0,
                ci95_cm2_s=(float("nan"), float("nan")),
                log10_ci_width=math.inf,
                msd_max_A2=msd_max,
                fit_start_ps=float(start),
                fit_end_ps=end,
                n_lags=int(x.size),
                n_effective=0.0,
            )
        k = fitted / x  # the apparent 2·d·D per lag, Å²/ps
        # Cov(m_τ, m_σ) = (2 d / N)(2D)² S = (2 / (d N)) k_τ k_σ S
        cov = variance_scale * 2.0 / (dimensions * n_ions) * np.outer(k, k) * s
        beta, cov_beta = _gls(x, y, cov)
    to_D = A2_PS_TO_CM2_S / (2 * dimensions)
    D = float(beta[0] * to_D)
    sigma = float(math.sqrt(max(cov_beta[0, 0], 0.0)) * to_D)
    lo, hi = D - Z95 * sigma, D + Z95 * sigma
    width = math.log10(hi / lo) if lo > 0 else math.inf
    n_eff = (2.0 / dimensions) * (D / sigma) ** 2 if sigma > 0 else math.inf
    return DiffusionEstimate(
        D_cm2_s=D,
        ci95_cm2_s=(lo, hi),
        log10_ci_width=width,
        msd_max_A2=msd_max,
        fit_start_ps=float(start),
        fit_end_ps=end,
        n_lags=int(x.size),
        n_effective=float(n_eff),
    )


__all__ = [
    "DiffusionEstimate",
    "VARIANCE_SCALE",
    "default_fit_start_ps",
    "estimate_diffusion",
    "overlap_matrix",
]
