"""The on-device multiple-window MSD against a naive MSD written here."""

import numpy as np
import pytest
import torch

from ionmd.engine.msd import MultiWindowMSD, n_levels


def naive_msd(traj, lag, origin_stride):
    """Mean over origins t0 = 0, s, 2s, ... (t0 + lag <= T) and atoms."""
    n = traj.shape[0]
    origins = np.arange(0, n - lag, origin_stride)
    d = traj[origins + lag] - traj[origins]
    return (d**2).sum(-1).mean(), (d.sum(1) ** 2).sum(-1).mean(), len(origins)


@pytest.mark.parametrize("block", [4, 10])
def test_multiwindow_equals_naive_same_estimator(block):
    rng = np.random.default_rng(1)
    n_frames, n_atoms = 230, 7
    traj = np.cumsum(rng.normal(size=(n_frames, n_atoms, 3)), axis=0)
    system_idx = torch.tensor([0, 0, 0, 1, 1, 1, 1])
    mobile = torch.tensor([True, True, False, True, True, False, False])
    acc = MultiWindowMSD(
        system_idx=system_idx,
        mobile_mask=mobile,
        n_systems=2,
        stride_steps=3,
        n_samples=n_frames,
        block_size=block,
    )
    for frame in traj:
        acc.sample(torch.as_tensor(frame))
    res = acc.result()
    assert res["lag_steps"][0] == 3  # first lag = one stride
    assert np.all(np.diff(res["lag_steps"]) > 0)
    for li, lag_steps in enumerate(res["lag_steps"]):
        lag = lag_steps // 3
        level_stride = block ** int(np.floor(np.log(lag) / np.log(block) + 1e-9))
        for s, (mob, fw) in enumerate([([0, 1], [2]), ([3, 4], [5, 6])]):
            m, c, n = naive_msd(traj[:, mob], lag, level_stride)
            f, _, _ = naive_msd(traj[:, fw], lag, level_stride)
            assert res["n_origins"][li] == n
            np.testing.assert_allclose(res["mobile_A2"][s, li], m, rtol=1e-12)
            np.testing.assert_allclose(res["framework_A2"][s, li], f, rtol=1e-12)
            np.testing.assert_allclose(res["collective_A2"][s, li], c, rtol=1e-12)


def test_levels_cover_the_run():
    assert n_levels(n_samples=1000, block_size=10) == 3  # lags up to 999 samples
    assert n_levels(n_samples=1001, block_size=10) == 4
    assert n_levels(n_samples=2, block_size=10) == 1


def test_memory_does_not_grow_with_run_length():
    idx = torch.zeros(5, dtype=torch.long)
    mob = torch.ones(5, dtype=torch.bool)
    short = MultiWindowMSD(
        system_idx=idx,
        mobile_mask=mob,
        n_systems=1,
        stride_steps=1,
        n_samples=10**3,
        block_size=10,
    )
    long = MultiWindowMSD(
        system_idx=idx,
        mobile_mask=mob,
        n_systems=1,
        stride_steps=1,
        n_samples=10**6,
        block_size=10,
    )
    # 1000x longer run: only log10 more levels (3 -> 6), no per-step storage
    assert long.K == 2 * short.K
    pos = torch.zeros(5, 3, dtype=torch.float64)
    for _ in range(50):
        long.sample(pos)
    assert long._buf.numel() == long.K * long.B * 5 * 3
