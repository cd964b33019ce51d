"""Host MSD against a naive double loop written here, and the lag grids."""

import numpy as np
import pytest

from ionmd.errors import InputError
from ionmd.numerics.host_msd import linear_lag_grid, log_lag_grid, msd_on_lag_grid


def naive_msd(pos, lag):
    tr, co = [], []
    for t0 in range(pos.shape[0] - lag):
        d = pos[t0 + lag] - pos[t0]
        tr.append(np.mean(np.sum(d * d, axis=1)))
        s = d.sum(axis=0)
        co.append(s @ s)
    return np.mean(tr), np.mean(co), len(tr)


def test_msd_matches_naive():
    rng = np.random.default_rng(0)
    pos = np.cumsum(rng.normal(size=(60, 7, 3)), axis=0)
    lags = np.array([1, 2, 5, 17, 59])
    tracer, coll, n = msd_on_lag_grid(positions_A=pos, lag_frames=lags)
    for k, lag in enumerate(lags):
        t_ref, c_ref, n_ref = naive_msd(pos, lag)
        assert tracer[k] == pytest.approx(t_ref, rel=1e-12)
        assert coll[k] == pytest.approx(c_ref, rel=1e-12)
        assert n[k] == n_ref


def test_msd_ballistic_is_v2t2():
    v = np.array([0.3, -0.1, 0.2])
    t = np.arange(50.0)
    pos = np.repeat((t[:, None] * v)[:, None, :], 4, axis=1)
    lags = log_lag_grid(n_frames=50, n_lags=10)
    tracer, coll, _ = msd_on_lag_grid(positions_A=pos, lag_frames=lags, max_origins=5)
    np.testing.assert_allclose(tracer, (v @ v) * lags**2, rtol=1e-12)
    np.testing.assert_allclose(coll, 16 * (v @ v) * lags**2, rtol=1e-12)


def test_lag_grids_are_bounded():
    lin = linear_lag_grid(n_frames=50_001, max_lags=200)
    assert lin.size <= 200 and lin[0] >= 1 and lin[-1] <= 50_000
    assert np.all(np.diff(lin) == lin[0])
    lg = log_lag_grid(n_frames=50_001, n_lags=100)
    assert lg.size <= 100 and lg[0] == 1 and lg[-1] == 50_000
    assert np.all(np.diff(lg) > 0)


def test_bad_lag_is_a_clear_error():
    with pytest.raises(InputError, match="lags must lie"):
        msd_on_lag_grid(positions_A=np.zeros((5, 2, 3)), lag_frames=np.array([5]))
