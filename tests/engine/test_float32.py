"""float32 validated against float64 on the CPU (issue 16); the bounds are derived
in tests/engine/float32_check.py. Default: LJ argon (fast); slow: mace-tiny on
α-Li3N and SevenNet-0."""

import numpy as np
import pytest
import torch

from .float32_check import compare, run_stats
from .helpers import argon, lj_model, quick_config, spec


def _assert_all(res: dict) -> None:
    bad = {k: v for k, v in res.items() if not v[0] <= v[1]}
    assert not bad, f"float32 vs float64 outside the bounds: {bad} (all: {res})"


def test_float32_matches_float64_lj_argon(tmp_path):
    """4 replicas × 32-atom LJ argon at 60 K, 5 fs × 300 steps (1.5 ps = 15
    thermostat times τ), first 0.3 ps discarded: mean T, drift and the
    'Li'-labelled atoms' MSD at 0.5 ps."""
    T, run_ps, dt = 60.0, 1.5, 5.0
    systems = [spec(argon(2), T, material_id=f"ar{i}", seed=i) for i in range(4)]
    cfg = quick_config(
        temperatures_K=(T,),
        duration_ps=run_ps,
        equilibration_ps=0.3,
        timestep_fs=dt,
        thermo_every_fs=25.0,
        sample_every_fs=500.0,
        msd_every_fs=25.0,
        fault_check_every_fs=500.0,
    )
    st = {
        dtype: run_stats(
            systems,
            lj_model(dtype=dtype),
            config=cfg,
            out=tmp_path / f"{dtype}.h5".replace("torch.", ""),
            msd_lag_ps=0.5,
        )
        for dtype in (torch.float32, torch.float64)
    }
    res = compare(
        st[torch.float32], st[torch.float64], temperature_K=T, timestep_fs=dt, run_ps=run_ps
    )
    _assert_all(res)
    # the comparison can fail: a float32 run 5 % hotter would be caught
    hot = st[torch.float32]
    hot.mean_T_K = hot.mean_T_K * 1.05
    res = compare(hot, st[torch.float64], temperature_K=T, timestep_fs=dt, run_ps=run_ps)
    assert not res["mean_T_K"][0] <= res["mean_T_K"][1]
    assert np.all(np.isfinite(st[torch.float32].msd_A2))


def _li3n_replicas(n: int, T: float):
    from benchmarks.gpu_check import ase_systems
    from ionmd.engine.systems import SystemSpec

    (base,) = ase_systems(min_cell_length_A=6.0, temperatures_K=(T,))
    return [
        SystemSpec(
            material_id=f"li3n-{i}",
            atoms=base.atoms.copy(),
            temperature_K=T,
            run_seed=i,
            supercell=base.supercell,
        )
        for i in range(n)
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model_name", "replicas", "steps"), [("mace-tiny", 4, 1000), ("sevennet-0", 3, 100)]
)
def test_float32_matches_float64_li3n(tmp_path, model_name, replicas, steps):
    """32-atom α-Li3N replicas at 1000 K, 2 fs steps (mace-tiny: 4 × 2 ps, ~5 min
    on one shared core; SevenNet-0: 3 × 0.2 ps, ~1.5 s per batched force call),
    first 20 % discarded; Li MSD at 0.1 ps."""
    from ionmd.calculators import load_model
    from ionmd.campaign.config import RunConfig

    T, dt = 1000.0, 2.0
    run_ps = steps * dt / 1000.0
    systems = _li3n_replicas(replicas, T)
    cfg = RunConfig(
        materials=("x",),
        temperatures_K=(T,),
        timestep_fs=dt,
        duration_ps=run_ps,
        equilibration_ps=0.2 * run_ps,
        thermo_every_fs=10.0,
        sample_every_fs=100.0,
        msd_every_fs=10.0,
        progress=False,
    )
    st = {
        dtype: run_stats(
            systems,
            load_model(model_name, dtype=dtype),
            config=cfg,
            out=tmp_path / f"{model_name}-{dtype}.h5".replace("torch.", ""),
            msd_lag_ps=0.1,
        )
        for dtype in (torch.float32, torch.float64)
    }
    res = compare(
        st[torch.float32], st[torch.float64], temperature_K=T, timestep_fs=dt, run_ps=run_ps
    )
    print(f"{model_name}: (difference, bound) {res}")
    _assert_all(res)
