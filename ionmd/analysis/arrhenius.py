"""Arrhenius fit D(T) = D0 exp(-Ea / kB T) with the parameters' covariance.

Weighted least squares in ln D against -1/(kB T): each point is weighted by the
variance of its ln D, taken from its 95 % interval as
``sigma_lnD = (ln hi - ln lo) / (2 * 1.96)``. The parameter covariance
``(Xᵀ W X)⁻¹`` is scaled by the reduced chi² when that exceeds 1 and there are
more points than parameters (the scatter is then larger than the stated
uncertainties). Without uncertainties the fit is unweighted and the covariance
comes from the residuals (at least 3 points).

95 % intervals (of Ea and of an extrapolated ln D) are ``± q σ``: q = 1.96 (the
normal quantile) when the covariance comes from the stated uncertainties alone;
q = Student's t(0.975, n − 2) when it was scaled by the fit's own residuals (an
unweighted fit, or a weighted one whose reduced χ² exceeded 1), because σ is
then itself estimated from n − 2 degrees of freedom. With five temperatures
that is t(0.975, 3) = 3.18: z = 1.96 would cover ~86 %, not 95 % (simulated in
tests/analysis/test_interval_coverage.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ionmd.errors import InputError
from ionmd.units import KB_EV_PER_K

Z95 = 1.959963984540054


@dataclass(kw_only=True)
class ArrheniusFit:
    """Fit result. ``cov (2, 2)`` is the covariance of ``(ln D0, Ea_eV)``."""

    Ea_eV: float
    Ea_sigma_eV: float
    ln_D0: float
    cov: np.ndarray
    temperatures_K: list[float]
    weighted: bool
    chi2_reduced: float
    #: degrees of freedom of the residuals (n − 2)
    dof: int = 0
    #: "t" when the covariance was scaled by the residuals, else "z"
    interval: str = "z"

    @property
    def quantile95(self) -> float:
        """The two-sided 95 % quantile the intervals use (see the module doc)."""
        return t_quantile_95(dof=self.dof) if self.interval == "t" else Z95

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


def fit_arrhenius(
    *, temperature_K: np.ndarray, D_cm2_s: np.ndarray, sigma_lnD: np.ndarray | None = None
) -> ArrheniusFit:
    """Fit ln D = ln D0 - Ea / (kB T).

    ``temperature_K (T,)``, ``D_cm2_s (T,)`` positive, ``sigma_lnD (T,)`` standard
    deviations of ln D or None (unweighted).
    """
    T = np.asarray(temperature_K, dtype=np.float64)
    D = np.asarray(D_cm2_s, dtype=np.float64)
    if T.shape != D.shape or T.ndim != 1:
        raise InputError("temperature_K and D_cm2_s must be 1-D arrays of the same length")
    if np.any(D <= 0) or np.any(~np.isfinite(D)) or np.any(T <= 0):
        raise InputError("Arrhenius fit needs positive finite D and T")
    if np.unique(T).size < 2:
        raise InputError("Arrhenius fit needs at least two distinct temperatures")
    X = np.column_stack([np.ones_like(T), -1.0 / (KB_EV_PER_K * T)])
    y = np.log(D)
    weighted = sigma_lnD is not None and bool(
        np.all(np.isfinite(sigma_lnD)) and np.all(np.asarray(sigma_lnD) > 0)
    )
    if weighted:
        w = 1.0 / np.asarray(sigma_lnD, dtype=np.float64) ** 2
    else:
        w = np.ones_like(T)
    XtW = X.T * w
    cov = np.linalg.inv(XtW @ X)
    beta = cov @ (XtW @ y)
    resid = y - X @ beta
    dof = T.size - 2
    chi2_red = float((w * resid**2).sum() / dof) if dof > 0 else float("nan")
    scaled = False
    if weighted:
        if dof > 0 and chi2_red > 1.0:
            cov, scaled = cov * chi2_red, True
    elif dof > 0:
        cov, scaled = cov * chi2_red, True
    else:
        cov = np.full((2, 2), np.nan)
    return ArrheniusFit(
        Ea_eV=float(beta[1]),
        Ea_sigma_eV=float(np.sqrt(cov[1, 1])),
        ln_D0=float(beta[0]),
        cov=cov,
        temperatures_K=T.tolist(),
        weighted=weighted,
        chi2_reduced=chi2_red,
        dof=int(dof),
        interval="t" if scaled else "z",
    )
