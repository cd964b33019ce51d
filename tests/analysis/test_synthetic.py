"""Synthetic trajectories with a known answer: a random walk's D is recovered
within kinisi's interval; a frozen system and a melting framework are flagged."""

import numpy as np
import pytest
from analysis_helpers import random_walk

from ionmd.analysis.diffusion import DiffusionSettings, analyse_trajectory
from ionmd.analysis.summarise import summarise_material
from ionmd.analysis.trajectory import MobileTrajectory

CELL = np.diag([22.0, 22.0, 22.0])
D_TRUE_CM2_S = 1e-5  # = 0.1 A2/ps
D_TRUE_A2_PS = D_TRUE_CM2_S * 1e4


def _traj(li, *, fw=None, T=1000.0, dt_ps=0.1, mid="rw"):
    return MobileTrajectory(
        positions_A=li,
        time_ps=np.arange(li.shape[0]) * dt_ps,
        cell_A=CELL,
        temperature_K=T,
        material_id=mid,
        framework_positions_A=fw,
        source="synthetic",
    )


def _vibrating(n_frames, n_atoms, amp_A=0.15, seed=5):
    rng = np.random.default_rng(seed)
    sites = rng.uniform(0, 22, size=(1, n_atoms, 3))
    return sites + rng.normal(scale=amp_A, size=(n_frames, n_atoms, 3))


@pytest.fixture(scope="module")
def walk_result():
    li = random_walk(n_frames=1001, n_walkers=128, D_A2_ps=D_TRUE_A2_PS, dt_ps=0.1, seed=3)
    fw = _vibrating(1001, 64)
    return analyse_trajectory(traj=_traj(li, fw=fw))


def test_random_walk_D_recovered_within_uncertainty(walk_result):
    r = walk_result
    lo, hi = r.D_ci95_cm2_s
    assert lo <= D_TRUE_CM2_S <= hi
    assert r.D_cm2_s == pytest.approx(D_TRUE_CM2_S, rel=0.15)
    assert r.D_ols_cm2_s == pytest.approx(D_TRUE_CM2_S, rel=0.15)
    # 100 ps at D = 0.1 A2/ps: MSD reaches 6 D t = 60 A2
    assert r.reliable and r.msd_max_A2 == pytest.approx(60, rel=0.3)
    assert not r.framework_mobile and r.framework_msd_max_A2 < 0.5
    assert r.used_in_fit


def test_independent_walkers_have_haven_ratio_one(walk_result):
    assert walk_result.haven_ratio == pytest.approx(1.0, abs=0.6)


def test_frozen_system_is_unreliable():
    li = _vibrating(400, 32, seed=7)
    r = analyse_trajectory(
        traj=_traj(li, fw=_vibrating(400, 16, seed=8)),
        settings=DiffusionSettings(use_kinisi=False),
    )
    assert not r.reliable and r.msd_max_A2 < 0.2
    m = summarise_material(results=[r])
    assert m.n_reliable == 0 and not m.all_reliable


def test_melting_framework_is_flagged_and_excluded_from_the_fit():
    temps = [800.0, 1000.0, 1200.0]
    results = []
    for k, T in enumerate(temps):
        D = D_TRUE_A2_PS * np.exp(-0.2 / 8.617333262e-5 * (1 / T - 1 / 1000))
        li = random_walk(n_frames=301, n_walkers=32, D_A2_ps=D, dt_ps=0.1, seed=10 + k)
        if T == 1200.0:  # molten framework: its atoms diffuse too
            fw = random_walk(n_frames=301, n_walkers=16, D_A2_ps=0.05, dt_ps=0.1, seed=99)
        else:
            fw = _vibrating(301, 16, seed=20 + k)
        results.append(
            analyse_trajectory(
                traj=_traj(li, fw=fw, T=T), settings=DiffusionSettings(use_kinisi=False)
            )
        )
    flags = [r.framework_mobile for r in results]
    assert flags == [False, False, True]
    m = summarise_material(results=results)
    assert m.arrhenius is not None and m.arrhenius.temperatures_K == [800.0, 1000.0]
    assert any("excluded" in n for n in m.notes)


def test_a_creeping_framework_is_not_mobile_however_long_the_run():
    """A crystalline framework (0.15 Å vibration) drifting with D = 1.5e-3 Å²/ps
    passes 5 Å² over a 1,000 ps run (6 D t = 9 Å²): the level alone (the rule
    before issue 20) called it molten. Its growth, 0.9 Å² per 100 ps, is far
    below 5: not mobile. A 100 ps run of a framework diffusing at 0.05 Å²/ps
    (30 Å² per 100 ps) still is."""
    li = random_walk(n_frames=1001, n_walkers=16, D_A2_ps=0.1, dt_ps=1.0, seed=31)
    drift = random_walk(n_frames=1001, n_walkers=32, D_A2_ps=1.5e-3, dt_ps=1.0, seed=32)
    fw = drift + _vibrating(1001, 32, seed=33) - _vibrating(1, 32, seed=33)
    r = analyse_trajectory(
        traj=_traj(li, fw=fw, dt_ps=1.0), settings=DiffusionSettings(use_kinisi=False)
    )
    assert r.framework_msd_max_A2 >= 5.0
    assert r.framework_growth_A2 == pytest.approx(0.9, abs=0.45)
    assert not r.framework_mobile and r.used_in_fit
    melt = random_walk(n_frames=1001, n_walkers=32, D_A2_ps=0.05, dt_ps=0.1, seed=34)
    li = random_walk(n_frames=1001, n_walkers=16, D_A2_ps=0.1, dt_ps=0.1, seed=35)
    r = analyse_trajectory(
        traj=_traj(li, fw=melt), settings=DiffusionSettings(use_kinisi=False)
    )
    assert r.framework_mobile and r.framework_growth_A2 == pytest.approx(30.0, rel=0.3)


def test_engine_style_trajectory_uses_stored_framework_msd():
    li = random_walk(n_frames=201, n_walkers=16, D_A2_ps=0.2, dt_ps=0.1, seed=4)
    t = MobileTrajectory(
        positions_A=li,
        time_ps=np.arange(201) * 0.1,
        cell_A=CELL,
        temperature_K=900.0,
        material_id="x",
        source="engine",
        framework_lag_ps=np.array([1.0, 10.0]),
        framework_msd_A2=np.array([0.5, 7.0]),
    )
    r = analyse_trajectory(traj=t, settings=DiffusionSettings(use_kinisi=False))
    assert r.framework_msd_max_A2 == 7.0 and r.framework_mobile


@pytest.mark.slow
def test_50000_frame_xdatcar_streams_with_bounded_memory(tmp_path):
    """A 100 ps run saved every 2 fs: read without a Structure per frame, kept
    frames bounded, D still recovered."""
    import time

    from analysis_helpers import write_xdatcar

    from ionmd.analysis.readers import read_xdatcar

    n_frames, L = 50_000, 12.0
    li = random_walk(
        n_frames=n_frames, n_walkers=32, D_A2_ps=D_TRUE_A2_PS, dt_ps=0.002, seed=11, box_A=L
    )
    fw = _vibrating(n_frames, 8, amp_A=0.1, seed=12) % L
    frac = np.concatenate([li, fw], axis=1) / L
    p = write_xdatcar(
        tmp_path / "XDATCAR",
        frac=frac % 1.0,
        symbols=["Li", "O"],
        counts=[32, 8],
        cell=np.diag([L] * 3),
    )
    del li, fw, frac
    t0 = time.perf_counter()
    tr = read_xdatcar(p, timestep_fs=2.0, step_skip=1, temperature_K=1000.0)
    assert tr.meta["frames_read"] == n_frames and tr.n_frames <= 10_000
    r = analyse_trajectory(traj=tr)
    assert time.perf_counter() - t0 < 120
    lo, hi = r.D_ci95_cm2_s
    assert lo <= D_TRUE_CM2_S <= hi or r.D_cm2_s == pytest.approx(D_TRUE_CM2_S, rel=0.2)


def test_kinisi_sees_our_unwrapped_displacements_in_any_cell():
    """Same unwrapped walk, cubic vs strongly triclinic cell: kinisi must get the
    same displacements (nothing re-unwrapped), hence the same D."""
    from ionmd.analysis.kinisi_fit import kinisi_diffusion
    from ionmd.numerics.host_msd import linear_lag_grid

    li = random_walk(n_frames=301, n_walkers=32, D_A2_ps=0.5, dt_ps=0.1, seed=21, box_A=8.0)
    tric = np.array([[8.0, 0.0, 0.0], [5.0, 7.0, 0.0], [-3.0, 2.0, 6.5]])
    lags = linear_lag_grid(n_frames=301, max_lags=60)
    kw = {
        "positions_A": li,
        "frame_interval_ps": 0.1,
        "lag_frames": lags,
        "start_dt_ps": 3.0,
    }
    a = kinisi_diffusion(cell_A=np.diag([8.0, 8.0, 8.0]), **kw)
    b = kinisi_diffusion(cell_A=tric, **kw)
    # identical up to round-off, which kinisi's MCMC amplifies to ~0.3 %
    assert b.D_cm2_s == pytest.approx(a.D_cm2_s, rel=1e-2)
    from ionmd.analysis.kinisi_fit import _parser

    p = _parser(cell_A=tric, dimension="xyz", **kw)
    np.testing.assert_allclose(p.displacements.values, li[1:] - li[0], atol=1e-9)
    assert a.D_ci95_cm2_s[0] <= 0.5e-4 <= a.D_ci95_cm2_s[1]
