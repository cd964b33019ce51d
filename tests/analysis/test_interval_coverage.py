"""The Arrhenius 95 % interval covers the truth at least 95 % of the time
(simulated).

Five temperatures, ln D with Gaussian scatter: when the covariance comes from
the fit's own residuals (3 degrees of freedom) the interval needs Student's t
quantile; z = 1.96 covers ~86 %. Issue 20: with few temperatures, per-point
errors understated 2× or no per-point errors at all, what is still called a
prediction covers ≥ 0.93 (benchmarks/arrhenius_coverage.py's scenarios)."""

import time

import numpy as np
import pytest

from benchmarks.arrhenius_coverage import SCENARIOS, run
from ionmd.analysis.arrhenius import fit_arrhenius
from ionmd.analysis.extrapolation import ArrheniusPoint, extrapolate_D
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
    # equal errors: the residual interval alone is exact; its union with the
    # HC3 one (issue 20, for unequal errors) is somewhat conservative
    assert 0.93 <= cov_D <= 0.99, cov_D
    assert 0.93 <= cov_Ea <= 0.99, cov_Ea
    assert time.perf_counter() - t0 < 15  # a loaded 2-core box


def test_known_weights_interval_is_not_too_narrow():
    """Weights from known uncertainties: z when chi2_red <= 1; the covariance and
    t when the scatter exceeds them (conservative, never below 95 %)."""
    cov_D, cov_Ea = _coverage(weighted=True, seed=1)
    assert 0.94 <= cov_D <= 0.995, cov_D
    assert 0.94 <= cov_Ea <= 0.995, cov_Ea


def test_interval_quantile_is_recorded():
    lnD = LN_D0 - EA_EV / (KB_EV_PER_K * T_K) + np.array([0.1, -0.1, 0.05, 0, -0.05])
    fit = fit_arrhenius(temperature_K=T_K, D_cm2_s=np.exp(lnD))
    assert fit.dof == 3 and fit.interval == "t_robust"
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


N_SCENARIO_FITS = 2000


def _scenario(name):
    return next(sc for sc in SCENARIOS if sc.name == name)


@pytest.mark.parametrize(
    "name",
    ["5 T, errors right", "3 T, errors 2x low", "5 T, unweighted, unequal"],
)
def test_what_is_called_a_prediction_covers_95_percent(name):
    """Issue 20's scenarios: 5 temperatures (was 0.97), 3 with per-point errors
    understated 2× (was 0.88), unweighted with the largest scatter at the
    coldest point (was 0.91): every fit is still a prediction and covers ≥ 0.93."""
    _, after = run(_scenario(name), n_fits=N_SCENARIO_FITS, seed=7, before_too=False)
    assert after.n_predictions == N_SCENARIO_FITS
    assert after.coverage >= 0.93, after.coverage


def test_two_temperatures_are_not_a_prediction():
    """Two temperatures leave no residual to check the per-point errors (2× low
    covered 0.66-0.70): none of those fits is called a prediction, and the
    judge's σ(300 K) width is then None (never resolves a material)."""
    from ionmd.campaign.adaptive.judge import sigma300_log10_ci

    _, after = run(_scenario("2 T, errors 2x low"), n_fits=200, seed=7, before_too=False)
    assert after.n_predictions == 0
    pts = [
        (T, {"D_cm2_s": 1e-5 * T / 1000, "D_ci95_cm2_s": [5e-6, 2e-5]}) for T in (900, 1000)
    ]
    assert sigma300_log10_ci(pts) is None
    ex = extrapolate_D(
        points=[
            ArrheniusPoint(
                temperature_K=T, D_cm2_s=n["D_cm2_s"], D_ci95_cm2_s=tuple(n["D_ci95_cm2_s"])
            )
            for T, n in pts
        ]
    )
    assert not ex.prediction and "2 temperatures" in ex.reason
    assert ex.log10_ci is not None  # the value and its interval are still reported


def test_five_temperature_interval_not_much_wider():
    """The union with the residual interval costs little at five temperatures:
    the median width grows by less than 30 %."""
    before, after = run(_scenario("5 T, errors right"), n_fits=1000, seed=3)
    assert after.median_width_decades < 1.3 * before.median_width_decades
