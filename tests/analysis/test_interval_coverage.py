"""The Arrhenius 95 % interval covers the truth 95 % of the time (simulated).

Five temperatures, ln D with Gaussian scatter: when the covariance comes from
the fit's own residuals (3 degrees of freedom) the interval needs Student's t
quantile; z = 1.96 covers ~86 %."""

import time

import numpy as np

from ionmd.analysis.arrhenius import fit_arrhenius
from ionmd.units import KB_EV_PER_K

T_K = np.array([500.0, 600.0, 700.0, 800.0, 900.0])
EA_EV, LN_D0 = 0.3, np.log(1e-3)
N_FITS = 2000


def _coverage(*, weighted: bool, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    truth_300 = LN_D0 - EA_EV / (KB_EV_PER_K * 300.0)
    # scatter of ln D: known and unequal for the weighted fit, equal (what an
    # unweighted fit assumes) otherwise
    sd = 0.15 * (1 + rng.uniform(size=T_K.size)) if weighted else np.full(T_K.size, 0.2)
    hit_D = hit_Ea = 0
    for _ in range(N_FITS):
        lnD = LN_D0 - EA_EV / (KB_EV_PER_K * T_K) + rng.normal(0, sd)
        fit = fit_arrhenius(
            temperature_K=T_K, D_cm2_s=np.exp(lnD), sigma_lnD=sd if weighted else None
        )
        _, (lo, hi) = fit.D_at(temperature_K=300.0)
        hit_D += np.log(lo) <= truth_300 <= np.log(hi)
        ea_lo, ea_hi = fit.Ea_ci95_eV
        hit_Ea += ea_lo <= EA_EV <= ea_hi
    return hit_D / N_FITS, hit_Ea / N_FITS


def test_residual_scaled_interval_has_95_percent_coverage():
    t0 = time.perf_counter()
    cov_D, cov_Ea = _coverage(weighted=False)
    assert 0.93 <= cov_D <= 0.97, cov_D
    assert 0.93 <= cov_Ea <= 0.97, cov_Ea
    assert time.perf_counter() - t0 < 5


def test_known_weights_interval_is_not_too_narrow():
    """Weights from known uncertainties: z when chi2_red <= 1; the covariance and
    t when the scatter exceeds them (conservative, never below 95 %)."""
    cov_D, cov_Ea = _coverage(weighted=True, seed=1)
    assert 0.94 <= cov_D <= 0.995, cov_D
    assert 0.94 <= cov_Ea <= 0.995, cov_Ea


def test_interval_quantile_is_recorded():
    lnD = LN_D0 - EA_EV / (KB_EV_PER_K * T_K) + np.array([0.1, -0.1, 0.05, 0, -0.05])
    fit = fit_arrhenius(temperature_K=T_K, D_cm2_s=np.exp(lnD))
    assert fit.dof == 3 and fit.interval == "t"
    assert abs(fit.quantile95 - 3.182446305284263) < 1e-9  # t(0.975, 3)


def test_kinisi_D_is_the_posterior_mean():
    """kinisi's documentation reports the posterior mean (was the median)."""
    import pytest

    pytest.importorskip("kinisi")
    from ionmd.analysis.kinisi_fit import _summary

    samples = np.random.default_rng(0).lognormal(np.log(1e-5), 0.6, 4000)  # skewed
    s = _summary(samples, start_dt_ps=1.0, n_lags=10, dimension="xyz")
    assert s.D_cm2_s == pytest.approx(samples.mean(), rel=1e-12)
    assert abs(np.median(samples) / s.D_cm2_s - 1) > 0.1  # the choice matters here
    assert s.D_ci95_cm2_s == pytest.approx(tuple(np.percentile(samples, [2.5, 97.5])))
