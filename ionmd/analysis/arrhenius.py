"""Arrhenius fit D(T) = D0 exp(-Ea / kB T) with the parameters' covariance and
95 % intervals that stay honest with few temperatures (issue 20).

Least squares in ln D against -1/(kB T). With a 95 % interval at every
temperature each point is weighted by its ln D variance,
``sigma_lnD = (ln hi - ln lo) / (2 * 1.96)``; otherwise the fit is unweighted.

The 95 % interval of any linear function of (ln D0, Ea) (Ea itself, ln D at
300 K) is ``± q σ``:

- **weighted, n ≥ 3** (dof = n − 2 ≥ 1): the wider of two intervals, one that
  trusts the per-point errors (σ from ``(XᵀWX)⁻¹``, q = 1.96) and one that trusts
  only the scatter (σ scaled by the reduced χ², q = Student's t(0.975, dof)).
  The second covers 95 % exactly whatever the factor by which every per-point
  error is misstated (the stated errors then only fix the relative weights), so
  the union covers at least 95 % when the errors are right *and* when they are
  understated. The old rule scaled only when χ²_red > 1 and fell back to 1.96
  when a small χ² (likely with 1–3 dof) hid understated errors: with three
  temperatures and errors understated 2× it covered 0.88.
- **weighted, n = 2** (no residual): σ from the stated errors with 1.96. Nothing
  can check those errors (kinisi's understate the seed-to-seed scatter ~1.6× on
  the toy conductor, docs/adaptive_uncertainty.md); coverage was 0.66 when they
  were 2× low. Such a fit is therefore *not a prediction* (``prediction``).
- **unweighted, n ≥ 3**: the wider of the homoscedastic residual interval and
  the heteroscedasticity-robust (HC3 sandwich) one, both with t(0.975, n − 2).
  Without weights the per-point errors are unequal in practice (colder runs
  diffuse less); the homoscedastic interval alone covered 0.91 when the coldest
  points had the largest errors.
- **unweighted, n = 2**: no interval (NaN), not a prediction.

Coverage before/after: ``python -m benchmarks.arrhenius_coverage`` (table in
docs/analysis.md).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ionmd.errors import InputError
from ionmd.units import KB_EV_PER_K

Z95 = 1.959963984540054
#: fewest temperatures whose extrapolation can be called a prediction: with two
#: there is no residual to check the per-point errors the interval rests on
MIN_PREDICTION_TEMPERATURES = 3


@dataclass(kw_only=True)
class ArrheniusFit:
    """Fit result. ``cov (2, 2)`` is the covariance of ``(ln D0, Ea_eV)``;
    ``cov_robust (2, 2)`` the HC3 sandwich one (unweighted fits only): a variance
    is the larger of the two."""

    Ea_eV: float
    Ea_sigma_eV: float
    ln_D0: float
    cov: np.ndarray
    temperatures_K: list[float]
    weighted: bool
    chi2_reduced: float
    #: degrees of freedom of the residuals (n − 2)
    dof: int = 0
    #: "t": σ from the residuals with Student's t; "z": σ from the stated
    #: per-point errors with 1.96; "t_robust": unweighted, max of the
    #: residual and HC3 variances with t
    interval: str = "z"
    cov_robust: np.ndarray | None = None

    @property
    def quantile95(self) -> float:
        """The two-sided 95 % quantile the intervals use (see the module doc)."""
        return t_quantile_95(dof=self.dof) if self.interval != "z" else Z95

    @property
    def prediction(self) -> bool:
        """Whether the intervals can be trusted as a prediction: at least
        :data:`MIN_PREDICTION_TEMPERATURES` temperatures and a finite interval."""
        _, sd = self.ln_D(temperature_K=300.0)
        return (
            len(set(self.temperatures_K)) >= MIN_PREDICTION_TEMPERATURES
            and np.isfinite(sd)
            and np.isfinite(self.quantile95)
        )

    @property
    def Ea_ci95_eV(self) -> tuple[float, float]:
        q = self.quantile95 * self.Ea_sigma_eV
        return float(self.Ea_eV - q), float(self.Ea_eV + q)

    @property
    def D0_cm2_s(self) -> float:
        return float(np.exp(self.ln_D0))

    def ln_D(self, *, temperature_K: float) -> tuple[float, float]:
        """Mean and standard deviation of ln D (D in cm²/s) at ``temperature_K``."""
        x = np.array([1.0, -1.0 / (KB_EV_PER_K * temperature_K)])
        mean = float(x @ np.array([self.ln_D0, self.Ea_eV]))
        var = float(x @ self.cov @ x)
        if self.cov_robust is not None:
            var = max(var, float(x @ self.cov_robust @ x))
        return mean, float(np.sqrt(max(var, 0.0)))

    def D_at(self, *, temperature_K: float) -> tuple[float, tuple[float, float]]:
        """D in cm²/s at ``temperature_K`` and its 95 % interval."""
        mean, sd = self.ln_D(temperature_K=temperature_K)
        q = self.quantile95
        return float(np.exp(mean)), (
            float(np.exp(mean - q * sd)),
            float(np.exp(mean + q * sd)),
        )


def t_quantile_95(*, dof: int) -> float:
    """Student's t quantile for a two-sided 95 % interval (NaN for dof < 1)."""
    return _t_quantile_95(int(dof))


@functools.lru_cache(maxsize=64)
def _t_quantile_95(dof: int) -> float:
    if dof < 1:
        return float("nan")
    from scipy.stats import t

    return float(t.ppf(0.975, dof))


def sigma_ln_from_interval(*, D_cm2_s: float, ci95_cm2_s: tuple[float, float]) -> float:
    """Standard deviation of ln D implied by a 95 % interval (NaN if unusable)."""
    lo, hi = ci95_cm2_s
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return float("nan")
    if lo > 0:
        return float((np.log(hi) - np.log(lo)) / (2 * Z95))
    return float((hi - lo) / (2 * Z95) / D_cm2_s) if D_cm2_s > 0 else float("nan")


def _checked(
    temperature_K: np.ndarray, D_cm2_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    T = np.asarray(temperature_K, dtype=np.float64)
    D = np.asarray(D_cm2_s, dtype=np.float64)
    if T.shape != D.shape or T.ndim != 1:
        raise InputError("temperature_K and D_cm2_s must be 1-D arrays of the same length")
    if np.any(D <= 0) or np.any(~np.isfinite(D)) or np.any(T <= 0):
        raise InputError("Arrhenius fit needs positive finite D and T")
    if np.unique(T).size < 2:
        raise InputError("Arrhenius fit needs at least two distinct temperatures")
    return T, D


def _weighted_interval(
    cov: np.ndarray, *, chi2_red: float, dof: int
) -> tuple[np.ndarray, str]:
    """The wider of the stated-error (z) and the residual-scaled (t) intervals:
    a single covariance and quantile label (see the module doc)."""
    if dof >= 1 and t_quantile_95(dof=dof) ** 2 * chi2_red > Z95**2:
        return cov * chi2_red, "t"
    return cov, "z"


def _hc3(X: np.ndarray, cov_unscaled: np.ndarray, resid: np.ndarray) -> np.ndarray:
    """HC3 sandwich covariance of an unweighted fit (leverage-corrected: the
    small-sample version; with a point of leverage 1 it is infinite)."""
    h = np.einsum("ij,jk,ik->i", X, cov_unscaled, X)
    with np.errstate(divide="ignore", invalid="ignore"):
        omega = resid**2 / (1.0 - h) ** 2
    omega = np.where(h < 1.0 - 1e-12, omega, np.inf)
    return cov_unscaled @ (X.T * omega) @ X @ cov_unscaled


def fit_arrhenius(
    *, temperature_K: np.ndarray, D_cm2_s: np.ndarray, sigma_lnD: np.ndarray | None = None
) -> ArrheniusFit:
    """Fit ln D = ln D0 - Ea / (kB T).

    ``temperature_K (T,)``, ``D_cm2_s (T,)`` positive, ``sigma_lnD (T,)`` standard
    deviations of ln D or None (unweighted; also when any is not finite > 0).
    """
    T, D = _checked(temperature_K, D_cm2_s)
    X = np.column_stack([np.ones_like(T), -1.0 / (KB_EV_PER_K * T)])
    y = np.log(D)
    weighted = sigma_lnD is not None and bool(
        np.all(np.isfinite(sigma_lnD)) and np.all(np.asarray(sigma_lnD) > 0)
    )
    w = 1.0 / np.asarray(sigma_lnD, dtype=np.float64) ** 2 if weighted else np.ones_like(T)
    XtW = X.T * w
    cov = np.linalg.inv(XtW @ X)
    beta = cov @ (XtW @ y)
    resid = y - X @ beta
    dof = T.size - 2
    chi2_red = float((w * resid**2).sum() / dof) if dof > 0 else float("nan")
    robust = None
    if weighted:
        cov, interval = _weighted_interval(cov, chi2_red=chi2_red, dof=dof)
    elif dof > 0:
        robust = _hc3(X, cov, resid)
        cov, interval = cov * chi2_red, "t_robust"
    else:
        cov, interval = np.full((2, 2), np.nan), "t_robust"
    var_Ea = cov[1, 1] if robust is None else max(cov[1, 1], robust[1, 1])
    return ArrheniusFit(
        Ea_eV=float(beta[1]),
        Ea_sigma_eV=float(np.sqrt(var_Ea)),
        ln_D0=float(beta[0]),
        cov=cov,
        temperatures_K=T.tolist(),
        weighted=weighted,
        chi2_reduced=chi2_red,
        dof=int(dof),
        interval=interval,
        cov_robust=robust,
    )
