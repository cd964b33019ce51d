"""The adaptive protocol's cheap D estimate (ionmd.numerics.diffusion_estimate)."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from ionmd.errors import InputError
from ionmd.numerics.diffusion_estimate import (
    accumulator_origin_spacing_steps,
    default_fit_start_ps,
    estimate_diffusion,
    estimates_from_msd_result,
    overlap_matrix,
)


def _accumulator_grid(*, n_samples, stride_ps, block=10):
    """(lag_ps, n_origins) of the multiple-window accumulator after n_samples."""
    lags, n_o = [], []
    k = 0
    while block**k <= n_samples - 1:
        for j in range(1, block):
            lag = j * block**k
            if lag > n_samples - 1:
                break
            lags.append(lag * stride_ps)
            n_o.append((n_samples - 1 - lag) // block**k + 1)
        k += 1
    return np.array(lags), np.array(n_o)


def _line(*, D_A2_ps=0.1, run_ps=40.0, n_ions=27, intercept_A2=1.0):
    lag, n_o = _accumulator_grid(n_samples=int(round(run_ps / 0.01)) + 1, stride_ps=0.01)
    return estimate_diffusion(
        lag_ps=lag,
        msd_A2=6 * D_A2_ps * lag + intercept_A2,
        n_origins=n_o,
        n_ions=n_ions,
        run_ps=run_ps,
    )


def test_grid_helper_matches_the_accumulator():
    from ionmd.engine.msd import MultiWindowMSD

    acc = MultiWindowMSD(
        system_idx=torch.zeros(2, dtype=torch.long),
        mobile_mask=torch.ones(2, dtype=torch.bool),
        n_systems=1,
        stride_steps=1,
        n_samples=1234,
    )
    for _ in range(1234):
        acc.sample(torch.zeros(2, 3, dtype=torch.float64))
    res = acc.result()
    lag, n_o = _accumulator_grid(n_samples=1234, stride_ps=1.0)
    np.testing.assert_array_equal(res["lag_steps"], lag)
    np.testing.assert_array_equal(res["n_origins"], n_o)


def test_exact_D_on_a_linear_msd():
    est = _line(D_A2_ps=0.1)
    assert est.D_cm2_s == pytest.approx(1e-5, rel=1e-9)  # 0.1 Å²/ps
    lo, hi = est.ci95_cm2_s
    assert 0 < lo < est.D_cm2_s < hi
    assert est.log10_ci_width == pytest.approx(math.log10(hi / lo))
    assert est.fit_start_ps == 3.0 and est.fit_end_ps == pytest.approx(40.0)
    assert est.msd_max_A2 == pytest.approx(6 * 0.1 * 40.0 + 1.0)


def test_fit_window_mirrors_the_analysis():
    from ionmd.analysis.diffusion import DiffusionSettings

    for run_ps in (0.4, 5.0, 11.9, 12.0, 40.0, 1000.0):
        assert default_fit_start_ps(run_ps=run_ps) == DiffusionSettings().start_for(
            duration_ps=run_ps
        )
    assert _line(run_ps=10.0).fit_start_ps == 2.5


def test_interval_shrinks_like_one_over_sqrt_ions_and_run():
    base = _line(n_ions=16, run_ps=40.0).relative_sigma
    assert _line(n_ions=64, run_ps=40.0).relative_sigma == pytest.approx(base / 2, rel=1e-6)
    # a 4× longer run: the window grows too; within 10 % of 1/sqrt(4)
    longer = _line(n_ions=16, run_ps=160.0).relative_sigma
    assert longer / base == pytest.approx(0.5, rel=0.1)


def test_overlaps_of_simple_origin_sets():
    # one window of length τ: S = τ², M = τ (Var(m) = (2/d)·m²/N + a²·m/N)
    s, m = overlap_matrix(lag_ps=np.array([5.0]), n_origins=np.array([1]), run_ps=5.0)
    assert s[0, 0] == pytest.approx(25.0) and m[0, 0] == pytest.approx(5.0)
    # 10 non-overlapping windows of one lag: S = τ² / 10, M = τ / 10
    s, m = overlap_matrix(lag_ps=np.array([1.0]), n_origins=np.array([10]), run_ps=10.0)
    assert s[0, 0] == pytest.approx(0.1) and m[0, 0] == pytest.approx(0.1)
    # lags 1 and 2 from 0 only: the windows share [0, 1]
    s, m = overlap_matrix(
        lag_ps=np.array([1.0, 2.0]), n_origins=np.array([1, 1]), run_ps=2.0
    )
    assert s[0, 1] == pytest.approx(1.0) and m[0, 1] == pytest.approx(1.0)
    assert s[1, 1] == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("lag", "msd", "n_o"),
    [
        ([], [], []),  # no lags
        ([1.0], [6.0], [5]),  # one lag
        ([0.1, 0.2], [0.6, 1.2], [10, 9]),  # all lags before the fit start
        ([4.0, 8.0], [np.nan, np.nan], [3, 1]),  # nothing finite
    ],
)
def test_nothing_to_fit_is_nan_and_infinitely_wide(lag, msd, n_o):
    est = estimate_diffusion(
        lag_ps=np.array(lag),
        msd_A2=np.array(msd),
        n_origins=np.array(n_o),
        n_ions=10,
        run_ps=10.0,
    )
    assert math.isnan(est.D_cm2_s) and all(math.isnan(x) for x in est.ci95_cm2_s)
    assert est.log10_ci_width == math.inf and est.n_effective == 0.0


def test_nothing_moved_is_zero_and_infinitely_wide():
    lag, n_o = _accumulator_grid(n_samples=2001, stride_ps=0.01)
    est = estimate_diffusion(
        lag_ps=lag, msd_A2=np.zeros_like(lag), n_origins=n_o, n_ions=10, run_ps=20.0
    )
    assert est.D_cm2_s == 0.0 and est.log10_ci_width == math.inf
    assert est.msd_max_A2 == 0.0


def test_unresolved_slope_has_infinite_width():
    """A cage plateau with a little noise: the interval reaches zero."""
    lag, n_o = _accumulator_grid(n_samples=2001, stride_ps=0.01)
    msd = 2.0 + 0.01 * np.sin(lag)
    est = estimate_diffusion(lag_ps=lag, msd_A2=msd, n_origins=n_o, n_ions=27, run_ps=20.0)
    assert est.ci95_cm2_s[0] <= 0 < est.ci95_cm2_s[1]
    assert est.log10_ci_width == math.inf


def test_bad_input_is_refused():
    with pytest.raises(InputError, match="one shape"):
        estimate_diffusion(
            lag_ps=np.ones(3), msd_A2=np.ones(2), n_origins=np.ones(3), n_ions=1, run_ps=1
        )
    with pytest.raises(InputError, match="jump_length_A"):
        estimate_diffusion(
            lag_ps=np.ones(2),
            msd_A2=np.ones(2),
            n_origins=np.ones(2),
            n_ions=1,
            run_ps=1,
            jump_length_A=-1.0,
        )
    with pytest.raises(InputError, match="n_ions"):
        estimate_diffusion(
            lag_ps=np.ones(2), msd_A2=np.ones(2), n_origins=np.ones(2), n_ions=0, run_ps=1
        )


def test_imports_no_heavy_package():
    code = (
        "import sys, ionmd.numerics.diffusion_estimate\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'scipy', 'kinisi', 'scipp', 'matplotlib', 'pymatgen')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- random walks through the on-device accumulator ----------------------------


@pytest.fixture(scope="module")
def random_walks():
    """200 independent runs (systems) of 32 Gaussian walkers, D = 0.1 Å²/ps,
    1,001 samples 10 fs apart (10 ps), through MultiWindowMSD on the CPU."""
    from ionmd.engine.msd import MultiWindowMSD

    n_sys, n_ions, n_samples, dt_ps, D = 200, 32, 1001, 0.01, 0.1
    rng = np.random.default_rng(12345)
    idx = torch.arange(n_sys).repeat_interleave(n_ions)
    acc = MultiWindowMSD(
        system_idx=idx,
        mobile_mask=torch.ones(idx.numel(), dtype=torch.bool),
        n_systems=n_sys,
        stride_steps=1,
        n_samples=n_samples,
    )
    pos = np.zeros((idx.numel(), 3))
    steps = rng.normal(scale=math.sqrt(2 * D * dt_ps), size=(n_samples - 1, *pos.shape))
    acc.sample(torch.from_numpy(pos))
    for step in steps:
        pos += step
        acc.sample(torch.from_numpy(pos))
    res = acc.result()
    return res, dict(n_ions=n_ions, run_ps=(n_samples - 1) * dt_ps, dt_ps=dt_ps, D=D)


def _coverage(walks, **options):
    res, p = walks
    hits, D = [], []
    for msd in res["mobile_A2"]:
        est = estimate_diffusion(
            lag_ps=res["lag_steps"] * p["dt_ps"],
            msd_A2=msd,
            n_origins=res["n_origins"],
            n_ions=p["n_ions"],
            run_ps=p["run_ps"],
            **options,
        )
        lo, hi = est.ci95_cm2_s
        hits.append(lo <= p["D"] * 1e-4 <= hi)
        D.append(est.D_cm2_s)
    return float(np.mean(hits)), np.array(D) * 1e4


def test_interval_covers_the_true_D_of_gaussian_walks(random_walks):
    coverage, D = _coverage(random_walks, jump_length_A=0.0)
    assert 0.85 <= coverage <= 0.99, coverage
    assert np.mean(D) == pytest.approx(0.1, rel=0.03)  # unbiased


def test_estimates_from_the_accumulator_result(random_walks):
    res, p = random_walks
    timestep_fs = p["dt_ps"] * 1e3  # stride 1 step
    ests = estimates_from_msd_result(
        res, timestep_fs=timestep_fs, run_ps=p["run_ps"], n_ions=[p["n_ions"]] * 200
    )
    one = estimate_diffusion(
        lag_ps=res["lag_steps"] * p["dt_ps"],
        msd_A2=res["mobile_A2"][7],
        n_origins=res["n_origins"],
        n_ions=p["n_ions"],
        run_ps=p["run_ps"],
    )
    assert len(ests) == 200 and ests[7] == one
    with pytest.raises(InputError, match="n_ions has 1 entries for 200 systems"):
        estimates_from_msd_result(res, timestep_fs=timestep_fs, run_ps=10.0, n_ions=[32])


def test_accumulator_origin_spacing():
    lag = np.array([5, 10, 45, 50, 100, 450, 500, 1000, 4500])  # stride 5, B = 10
    np.testing.assert_array_equal(
        accumulator_origin_spacing_steps(lag, stride_steps=5, block_size=10),
        [5, 5, 5, 50, 50, 50, 500, 500, 500],
    )
    # B = 4: lags 1, 2, 3 (every sample), 4, 8, 12 (every 4th), 16 (every 16th)
    np.testing.assert_array_equal(
        accumulator_origin_spacing_steps(
            np.array([1, 2, 3, 4, 8, 12, 16]), stride_steps=1, block_size=4
        ),
        [1, 1, 1, 4, 4, 4, 16],
    )


def test_exact_spacing_matches_the_accumulator_origins(random_walks):
    """With the accumulator's stride and B the spacing is exact; the inferred one
    gives nearly the same interval (its origins span [0, T - lag] exactly)."""
    res, p = random_walks
    kw = dict(timestep_fs=p["dt_ps"] * 1e3, run_ps=p["run_ps"], n_ions=[p["n_ions"]] * 3)
    sub = {**res, "mobile_A2": res["mobile_A2"][:3]}
    exact = estimates_from_msd_result(sub, stride_steps=1, block_size=10, **kw)
    inferred = estimates_from_msd_result(sub, **kw)
    for e, i in zip(exact, inferred, strict=True):
        assert e.relative_sigma == pytest.approx(i.relative_sigma, rel=0.05)


def test_coverage_check_catches_a_wrong_variance(random_walks):
    """The coverage test can fail: a variance 4× too small (or large) leaves it."""
    assert _coverage(random_walks, jump_length_A=0.0, variance_scale=0.25)[0] < 0.85
    assert _coverage(random_walks, jump_length_A=0.0, variance_scale=4.0)[0] > 0.99


@pytest.fixture(scope="module")
def jump_walks():
    """200 runs of 32 ions hopping 2.5 Å in random directions at a Poisson rate
    (D = rate·a²/6 = 0.1 Å²/ps: a few hops per ion in 10 ps, far from Gaussian),
    1,001 samples 10 fs apart, through MultiWindowMSD on the CPU."""
    from ionmd.engine.msd import MultiWindowMSD

    n_sys, n_ions, n_samples, dt_ps, D, a = 200, 32, 1001, 0.01, 0.1, 2.5
    rate = 6 * D / a**2
    rng = np.random.default_rng(54321)
    idx = torch.arange(n_sys).repeat_interleave(n_ions)
    acc = MultiWindowMSD(
        system_idx=idx,
        mobile_mask=torch.ones(idx.numel(), dtype=torch.bool),
        n_systems=n_sys,
        stride_steps=1,
        n_samples=n_samples,
    )
    pos = np.zeros((idx.numel(), 3))
    acc.sample(torch.from_numpy(pos))
    for _ in range(n_samples - 1):
        hop = rng.random(idx.numel()) < rate * dt_ps
        if hop.any():
            u = rng.normal(size=(int(hop.sum()), 3))
            pos[hop] += a * u / np.linalg.norm(u, axis=1, keepdims=True)
        acc.sample(torch.from_numpy(pos))
    return acc.result(), dict(
        n_ions=n_ions, run_ps=(n_samples - 1) * dt_ps, dt_ps=dt_ps, D=D
    )


def test_jump_term_covers_the_true_D_of_hopping_ions(jump_walks):
    """Hops of the default length: the jump term is what makes the interval
    honest; without it (Gaussian only) the interval is far too narrow."""
    coverage, D = _coverage(jump_walks, jump_length_A=2.5)
    assert 0.85 <= coverage <= 0.99, coverage
    assert np.mean(D) == pytest.approx(0.1, rel=0.05)
    assert _coverage(jump_walks, jump_length_A=0.0)[0] < 0.85


@pytest.mark.slow
def test_width_is_within_a_factor_of_kinisis_on_a_toy_trajectory(tmp_path):
    """A 10 ps toy-fast run at 1000 K (~1 min): our interval width (decades) from
    the accumulator within a factor 2.5 of kinisi's on the stored trajectory, and
    both D within each other's interval."""
    pytest.importorskip("kinisi")
    from benchmarks.d_uncertainty_vs_kinisi import compare, simulate

    path = simulate(out=tmp_path, duration_ps=10.0, temperatures_K=(1000.0,))
    (row,) = compare(path, durations_ps=(10.0,))
    print(row)
    assert 1 / 2.5 <= row["ratio"] <= 2.5
    assert row["D_ours"] == pytest.approx(row["D_kinisi"], rel=0.5)
