"""The anisotropic NPT stage against the isotropic one and an independent 0 K
answer, on LJ argon (float64, 10 fs, the stage's defaults otherwise).

Three systems in one batch, each stage run with ``npt_cell = "anisotropic"``
and again with ``"isotropic"``:

1. fcc, cubic (32 atoms, the lattice-sum a0): both modes must end at the same
   volume within the stage's standard error (1-ps blocks of the second half),
   and the anisotropic cell must stay cubic (its three mean lengths equal
   within their statistical error; the 1-ps blocks' standard error is printed,
   an underestimate: the shape stays correlated for several ps).
2. fcc with c stretched by 4 %: anisotropic must bring c/a back to 1; the
   isotropic stage keeps 1.04 and a non-hydrostatic pressure (per axis).
3. hcp (36 atoms) started at c/a = 1.60, not the model's: the reference is the
   model's own c/a from ASE (its LJ calculator, FrechetCellFilter + FIRE, a
   code path shared with nothing here) at 0 K; at a few K the thermal change
   of c/a is far below the 0.03 moved.

Also the cost per step of both modes on the same batch (this CPU).

python -m benchmarks.npt_lj_aniso [--temperature-K 10] [--npt-ps 10]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch
from ase.build import bulk

from ionmd.calculators import load_model
from ionmd.cells.npt import SERIES_EVERY_FS, npt_systems
from ionmd.cells.settings import CellSettings
from ionmd.engine.systems import SystemSpec

TIMESTEP_FS = 10.0
HCP_START_C_OVER_A = 1.60


def systems(temperature_K: float) -> list[SystemSpec]:
    from tests.cells.test_relax_lj import analytic_fcc_a_A

    a0 = analytic_fcc_a_A()
    cubic = bulk("Ar", "fcc", a=a0, cubic=True).repeat((2, 2, 2))
    stretched = cubic.copy()
    stretched.set_cell(cubic.cell[:] * [[1.0], [1.0], [1.04]], scale_atoms=True)
    a_hcp = a0 / np.sqrt(2)
    hcp = bulk("Ar", "hcp", a=a_hcp, c=a_hcp * HCP_START_C_OVER_A).repeat((3, 3, 2))
    return [
        SystemSpec(material_id=m, atoms=at, temperature_K=temperature_K, run_seed=1)
        for m, at in (("fcc", cubic), ("fcc-c+4%", stretched), ("hcp", hcp))
    ]


def hcp_c_over_a_0K() -> float:
    """The LJ model's own hcp c/a at 0 K (ASE: its LJ calculator, FIRE on
    positions and cell, to 1e-4 eV/Å and 1e-5 eV/Å³)."""
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE

    from ionmd.calculators.lj import lj_ase_calculator

    atoms = systems(5.0)[2].atoms.copy()
    atoms.calc = lj_ase_calculator()
    FIRE(FrechetCellFilter(atoms), logfile=None).run(fmax=1e-4, steps=5000)
    a, _, c = atoms.cell.lengths()
    return float(c / a * 3 / 2)  # 3×3×2 supercell


def stage(mode: str, *, temperature_K: float, npt_ps: float, model: Any) -> tuple:
    t0 = time.perf_counter()
    out = npt_systems(
        systems(temperature_K),
        model=model,
        settings=CellSettings(cell="npt", npt_ps=npt_ps, npt_cell=mode),
        timestep_fs=TIMESTEP_FS,
        thermostat_tau_fs=100.0,
    )
    ms_per_step = 1000 * (time.perf_counter() - t0) / round(npt_ps * 1000 / TIMESTEP_FS)
    return out, ms_per_step


def block_se(x: np.ndarray) -> float:
    """Standard error of the second half's mean from 1-ps blocks."""
    half = x[len(x) // 2 :]
    per = round(1000 / SERIES_EVERY_FS)
    b = half[: len(half) // per * per].reshape(-1, per).mean(axis=1)
    return float(b.std(ddof=1) / np.sqrt(len(b))) if len(b) > 1 else float("nan")


def c_over_a(r: Any, *, repeat_ratio: float = 1.0) -> float:
    a, b, c = np.linalg.norm(r.cell_A, axis=1)
    return float(c / (0.5 * (a + b)) * repeat_ratio)


def measure(*, temperature_K: float, npt_ps: float) -> dict[str, float]:
    model = load_model("lj", device="cpu", dtype=torch.float64)
    aniso, ms_a = stage(
        "anisotropic", temperature_K=temperature_K, npt_ps=npt_ps, model=model
    )
    iso, ms_i = stage("isotropic", temperature_K=temperature_K, npt_ps=npt_ps, model=model)
    out: dict[str, float] = {"ms_per_step_anisotropic": ms_a, "ms_per_step_isotropic": ms_i}
    for name, r in (("aniso", aniso[0]), ("iso", iso[0])):
        out[f"fcc_V_{name}_A3"] = float(abs(np.linalg.det(r.cell_A)))
        out[f"fcc_V_{name}_se_A3"] = block_se(r.volume_A3)
    lengths = np.linalg.norm(aniso[0].cell_A, axis=1)
    out["fcc_aniso_lengths_max_dev_pct"] = float(100 * np.ptp(lengths) / lengths.mean())
    # each mean length's standard error (1-ps blocks), % of the length
    se = [block_se(aniso[0].lengths_A[:, k]) for k in range(3)]
    out["fcc_aniso_length_se_pct"] = float(100 * max(se) / lengths.mean())
    for name, r in (("aniso", aniso[1]), ("iso", iso[1])):
        out[f"fcc_c+4%_c_over_a_{name}"] = c_over_a(r)
        p = r.axis_pressure_GPa[len(r.axis_pressure_GPa) // 2 :].mean(axis=0)
        for k, ax in enumerate("abc"):
            out[f"fcc_c+4%_P_{ax}_{name}_GPa"] = float(p[k])
    out["hcp_c_over_a_start"] = HCP_START_C_OVER_A
    out["hcp_c_over_a_0K_ase"] = hcp_c_over_a_0K()
    a, b, _ = np.linalg.norm(aniso[2].cell_A, axis=1)
    out["hcp_a_over_b_minus_1_aniso_pct"] = float(100 * (a / b - 1))
    for name, r in (("aniso", aniso[2]), ("iso", iso[2])):
        out[f"hcp_c_over_a_{name}"] = c_over_a(r, repeat_ratio=1.5)
        c_series = r.lengths_A[:, 2] / r.lengths_A[:, :2].mean(axis=1) * 1.5
        out[f"hcp_c_over_a_{name}_se"] = block_se(c_series)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--temperature-K", type=float, default=10.0)
    ap.add_argument("--npt-ps", type=float, default=10.0)
    a = ap.parse_args()
    for k, v in measure(temperature_K=a.temperature_K, npt_ps=a.npt_ps).items():
        print(f"{k:34s} {v:.5g}")


if __name__ == "__main__":
    main()
