"""The NPT stage against independent answers, on fcc LJ argon (32 atoms, float64).

1. The production cell's pressure: NVT (torch-sim Langevin, not the stage's
   integrator) at the stage's mean cell; its mean pressure must be the target
   (0) within its standard error (blocks of 1 ps) combined with the error of
   the stage's mean volume (B0 · its block standard error).
2. The volume: the 0 K volume V0 of the analytic lattice sum (the minimum of
   the truncated LJ fcc sum, tests/cells/test_relax_lj.py) plus the thermal
   expansion to first order, ΔV/V0 = P_th / B0: P_th the mean pressure of NVT
   at V0 and T, B0 = V d²E/dV² of the lattice sum at V0. First order in a
   strain of ~1 %: its error is ~B0' ΔV/V0 / 2 ≈ 5 % of the shift at B0' ≈ 9
   (LJ), so the tolerance on the shift is 20 % plus the two standard errors.

python -m benchmarks.npt_lj [--temperature-K 30] [--npt-ps 20] [--nvt-ps 20]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import torch
from ase.build import bulk

from ionmd.calculators import load_model
from ionmd.cells.npt import SERIES_EVERY_FS, npt_systems, observe
from ionmd.cells.settings import CellSettings
from ionmd.cells.stress import stress_on
from ionmd.engine.systems import SystemSpec

TIMESTEP_FS = 10.0
#: NVT steps between pressure samples (each one more model call)
SAMPLE_EVERY = 5


def lattice_sum_v0_b0() -> tuple[float, float]:
    """V0 (Å³ per atom) and B0 (GPa) of the truncated LJ fcc lattice sum."""
    from tests.cells.test_relax_lj import analytic_fcc_a_A, fcc_energy_per_atom_eV

    a0 = analytic_fcc_a_A()
    v0 = a0**3 / 4

    def e_of_v(v: float) -> float:
        return fcc_energy_per_atom_eV((4 * v) ** (1 / 3))

    h = 1e-3 * v0
    d2 = (e_of_v(v0 + h) - 2 * e_of_v(v0) + e_of_v(v0 - h)) / h**2
    return v0, v0 * d2 * 160.21766208


def argon(v_per_atom_A3: float):
    return bulk("Ar", "fcc", a=(4 * v_per_atom_A3) ** (1 / 3), cubic=True).repeat((2, 2, 2))


def nvt_pressure_GPa(
    atoms: Any, *, model: Any, temperature_K: float, ps: float, seed: int = 1
) -> tuple[float, float]:
    """Mean pressure (GPa) and its standard error (1-ps blocks, first 2 ps left out)."""
    import torch_sim as ts
    from torch_sim.integrators import nvt_langevin_init, nvt_langevin_step
    from torch_sim.units import MetalUnits

    from ionmd.engine.integrator import time_internal

    state = ts.io.atoms_to_state([atoms], device=model.device, dtype=model.dtype)
    state.rng = seed
    kT = temperature_K * float(MetalUnits.temperature)
    dt = time_internal(TIMESTEP_FS)
    n = round(ps * 1000 / TIMESTEP_FS)
    p = []
    with stress_on(model):
        st = nvt_langevin_init(state, model, kT=kT, dt=dt)
        for k in range(n):
            st = nvt_langevin_step(st, model, dt=dt, kT=kT)
            if k % SAMPLE_EVERY == 0:
                p.append(float(observe(st, stress=model(st)["stress"])[2][0]))
    n = len(p)
    per_block = round(1000 / TIMESTEP_FS / SAMPLE_EVERY)
    skip = 2 * per_block
    blocks = np.array(p[skip:][: (n - skip) // per_block * per_block]).reshape(
        -1, per_block
    )
    means = blocks.mean(axis=1)
    return float(means.mean()), float(means.std(ddof=1) / np.sqrt(len(means)))


def measure(*, temperature_K: float, npt_ps: float, nvt_ps: float) -> dict[str, float]:
    model = load_model("lj", device="cpu", dtype=torch.float64)
    v0, b0 = lattice_sum_v0_b0()
    p_th, p_th_se = nvt_pressure_GPa(
        argon(v0), model=model, temperature_K=temperature_K, ps=nvt_ps
    )
    expected = p_th / b0
    spec = SystemSpec(material_id="Ar", atoms=argon(v0), temperature_K=temperature_K)
    (r,) = npt_systems(
        [spec],
        model=model,
        settings=CellSettings(cell="npt", npt_ps=npt_ps),
        timestep_fs=TIMESTEP_FS,
        thermostat_tau_fs=100.0,
    )
    v_npt = abs(np.linalg.det(r.cell_A)) / 32
    half = r.volume_A3[len(r.volume_A3) // 2 :]
    per_block = round(1000 / SERIES_EVERY_FS)
    vb = half[: len(half) // per_block * per_block].reshape(-1, per_block).mean(axis=1)
    v_se_rel = float(vb.std(ddof=1) / np.sqrt(len(vb)) / vb.mean())
    prod = argon(v0)
    prod.set_cell(r.cell_A, scale_atoms=True)
    p_prod, p_prod_se = nvt_pressure_GPa(
        prod, model=model, temperature_K=temperature_K, ps=nvt_ps, seed=2
    )
    return {
        "V0_A3_per_atom": v0,
        "B0_GPa": b0,
        "P_thermal_at_V0_GPa": p_th,
        "P_thermal_se_GPa": p_th_se,
        "expected_dV_pct": 100 * expected,
        "expected_dV_se_pct": 100 * p_th_se / b0,
        "npt_dV_pct": 100 * (v_npt / v0 - 1),
        "P_at_production_cell_GPa": p_prod,
        "P_at_production_cell_se_GPa": p_prod_se,
        # the stage's mean cell is itself a mean over ~10 barostat times: its
        # error moves the production pressure by B0 · δV/V
        "stage_volume_se_pct": 100 * v_se_rel,
        "P_se_with_stage_GPa": float(np.hypot(p_prod_se, b0 * v_se_rel)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--temperature-K", type=float, default=30.0)
    ap.add_argument("--npt-ps", type=float, default=20.0)
    ap.add_argument("--nvt-ps", type=float, default=20.0)
    a = ap.parse_args()
    for k, v in measure(
        temperature_K=a.temperature_K, npt_ps=a.npt_ps, nvt_ps=a.nvt_ps
    ).items():
        print(f"{k:32s} {v:.5g}")


if __name__ == "__main__":
    main()
