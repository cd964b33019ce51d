"""The NPT stage against independent answers, by replicas: fcc LJ argon (32 atoms,
float64), R copies differing only in their seed, all in one batch.

1. The production cell's pressure. Each replica's production cell (the mean
   cell of its stage's second half) is simulated in NVT with an independent
   integrator (torch-sim's Langevin, all the production cells in one batch);
   its mean pressure P_i. The replicas are independent, so the mean of P_i
   over them has the standard error std(P_i)/√R, which holds both the NVT's
   noise and the noise of each stage's mean cell; no correlated blocks.
   Expected: the target, up to the finite-size ensemble offset below.
2. The volume. The reference is independent of the NPT stage: V0 and the
   whole 0 K equation of state P_lat(V) of the analytic lattice sum (the
   truncated LJ fcc sum, tests/cells/test_relax_lj.py), plus the thermal
   pressure P_th(V) = P_NVT(V) − P_lat(V) measured by NVT replicas at V0 and
   at V1 (the volume where P_lat + P_th(V0) is the target). V* solves
   P_lat(V) + P_th(V) = target, P_th linear between V0 and V1 (it changes by
   a few % of itself over the 4 % between them; the lattice part, which holds
   the curvature, is exact). V* is the volume at which NVT has the target
   pressure.
3. The finite-size ensemble offset. MTK samples the NPT ensemble, in which
   ⟨P_NVT(V)⟩ = target exactly; P_NVT is convex in V, so at the mean volume
   P_NVT(⟨V⟩) = target − ½ P'' σ_V² = target − (1 + B') kT/(2V) to leading
   order (σ_V² = kT V/B; V the system's volume), and ⟨V⟩ = V* + (1 + B') kT/(2B).
   Both vanish as 1/N. Measured here through the stage's own volume
   distribution: ⟨V⟩ − V_mode = κ3/(2σ_V²) (κ3 the third cumulant), so the
   offset in pressure is −(B/V) κ3/(2σ_V²) with B = kT⟨V⟩/σ_V² (the
   fluctuation formula); and from the lattice sum's B' as a check.

Also printed: the Jensen gap between the volume of the mean cell (the
production cell) and the mean volume, and the replicas' mean volume in the
stage's four quarters (is the second half at equilibrium after a start at V0?).

python -m benchmarks.npt_lj [--replicas 16] [--temperature-K 30] [--npt-ps 20]
    [--nvt-ps 10] [--first-seed 16]   (another independent set of replicas)

~12 min on 2 loaded CPU cores (the batch of 16 costs little more than one
system: the steps are Python-bound). Numbers: docs/cells.md, "Measured (NPT)".
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import torch
from ase.build import bulk
from scipy.optimize import brentq

from ionmd.calculators import load_model
from ionmd.cells.npt import npt_systems, observe
from ionmd.cells.settings import GPA_IN_EV_A3, CellSettings
from ionmd.cells.stress import stress_on
from ionmd.engine.systems import SystemSpec

TIMESTEP_FS = 10.0
N_ATOMS = 32
#: Langevin NVT: the first this many ps of each run are left out of its mean
NVT_SKIP_PS = 2.0
#: NVT replicas at each of the reference's two volumes
REFERENCE_REPLICAS = 8
KB_EV_K = 8.617333262e-5


def lattice_energy_eV(v_A3: float) -> float:
    """Energy per atom (eV) of the truncated LJ fcc lattice sum at volume v per atom."""
    from tests.cells.test_relax_lj import fcc_energy_per_atom_eV

    return fcc_energy_per_atom_eV((4 * v_A3) ** (1 / 3))


def lattice_pressure_GPa(v_A3: float, *, h: float = 1e-4) -> float:
    """−dE/dV of the lattice sum (GPa), central difference (relative step h)."""
    d = h * v_A3
    de = lattice_energy_eV(v_A3 + d) - lattice_energy_eV(v_A3 - d)
    return -de / (2 * d) / GPA_IN_EV_A3


def lattice_b_GPa(v_A3: float, *, h: float = 1e-3) -> tuple[float, float]:
    """B = −V dP/dV and B' = dB/dP of the lattice sum at v (GPa, dimensionless)."""
    d = h * v_A3

    def b(v: float) -> float:
        return -v * (lattice_pressure_GPa(v + d) - lattice_pressure_GPa(v - d)) / (2 * d)

    dp = lattice_pressure_GPa(v_A3 + d) - lattice_pressure_GPa(v_A3 - d)
    return b(v_A3), (b(v_A3 + d) - b(v_A3 - d)) / dp


def lattice_v0_A3() -> float:
    from tests.cells.test_relax_lj import analytic_fcc_a_A

    return analytic_fcc_a_A() ** 3 / 4


def argon(v_A3: float) -> Any:
    """fcc argon, 2×2×2 conventional cells (32 atoms), volume v per atom."""
    return bulk("Ar", "fcc", a=(4 * v_A3) ** (1 / 3), cubic=True).repeat((2, 2, 2))


class _KeepsStress:
    """The model, its last stress kept (NVT states hold none)."""

    def __init__(self, model: Any) -> None:
        self.model, self.device, self.dtype = model, model.device, model.dtype
        self.stress: torch.Tensor | None = None

    def __call__(self, state: Any, **kw: Any) -> dict[str, torch.Tensor]:
        out = self.model(state, **kw)
        self.stress = out["stress"]
        return out


def nvt_mean_pressures_GPa(
    structures: list[Any], *, model: Any, temperature_K: float, ps: float, seed: int
) -> np.ndarray:
    """Per structure, its mean pressure (GPa) in Langevin NVT (torch-sim's
    BAOAB, friction 1/(100 dt)), all in one batch, the first NVT_SKIP_PS left out."""
    import torch_sim as ts
    from torch_sim.integrators import nvt_langevin_init, nvt_langevin_step
    from torch_sim.units import MetalUnits

    from ionmd.engine.integrator import time_internal

    state = ts.io.atoms_to_state(structures, device=model.device, dtype=model.dtype)
    state.rng = seed
    kT = temperature_K * float(MetalUnits.temperature)
    dt = time_internal(TIMESTEP_FS)
    n = round(ps * 1000 / TIMESTEP_FS)
    skip = round(NVT_SKIP_PS * 1000 / TIMESTEP_FS)
    keep = _KeepsStress(model)
    total = np.zeros(len(structures))
    with stress_on(model):
        st = nvt_langevin_init(state, keep, kT=kT, dt=dt)
        for k in range(n):
            st = nvt_langevin_step(st, keep, dt=dt, kT=kT)
            if k >= skip:
                total += observe(st, stress=keep.stress)[2]
    return total / (n - skip)


def reference_volume_A3(
    *, model: Any, temperature_K: float, pressure_GPa: float, ps: float, seed: int = 0
) -> dict[str, float]:
    """V* (per atom) where NVT has ``pressure_GPa``: the lattice sum's exact
    P_lat(V) plus the thermal pressure measured at V0 and V1, linear between."""
    v0 = lattice_v0_A3()
    r = REFERENCE_REPLICAS
    p0 = nvt_mean_pressures_GPa(
        [argon(v0)] * r, model=model, temperature_K=temperature_K, ps=ps, seed=11 + seed
    )
    th0 = float(p0.mean())  # P_lat(V0) = 0

    def solve(th: Any) -> float:
        def gap(v: float) -> float:
            return lattice_pressure_GPa(v) + th(v) - pressure_GPa

        return brentq(gap, 0.9 * v0, 1.3 * v0)

    v1 = solve(lambda v: th0)
    p1 = nvt_mean_pressures_GPa(
        [argon(v1)] * r, model=model, temperature_K=temperature_K, ps=ps, seed=12 + seed
    )
    th1 = float(p1.mean()) - lattice_pressure_GPa(v1)
    v_star = solve(lambda v: th0 + (th1 - th0) * (v - v0) / (v1 - v0))
    # its standard error: the thermal pressures' (replicas), through the slope B/V
    b_star = -v_star * (
        (lattice_pressure_GPa(v_star * 1.001) - lattice_pressure_GPa(v_star * 0.999))
        / (0.002 * v_star)
        + (th1 - th0) / (v1 - v0)
    )
    w1 = (v_star - v0) / (v1 - v0)  # the interpolation's weight on V1
    se_p = float(np.hypot((1 - w1) * p0.std(ddof=1), w1 * p1.std(ddof=1)) / np.sqrt(r))
    return {
        "V0_A3_per_atom": v0,
        "B0_GPa": lattice_b_GPa(v0)[0],
        "P_thermal_at_V0_GPa": th0,
        "P_thermal_at_V0_se_GPa": float(p0.std(ddof=1) / np.sqrt(r)),
        "V1_A3_per_atom": v1,
        "P_thermal_at_V1_GPa": th1,
        "V_ref_A3_per_atom": v_star,
        "B_at_V_ref_GPa": b_star,
        "Bprime_lattice_at_V_ref": lattice_b_GPa(v_star)[1],
        "V_ref_se_pct": 100 * se_p / b_star,
    }


def stage(
    *,
    model: Any,
    replicas: int,
    temperature_K: float,
    npt_ps: float,
    pressure_GPa: float,
    first_seed: int = 0,
) -> list[Any]:
    """The NPT stage of ``replicas`` copies of argon at V0 (run seeds
    first_seed, first_seed + 1, ...), one batch."""
    specs = [
        SystemSpec(
            material_id="Ar",
            atoms=argon(lattice_v0_A3()),
            temperature_K=temperature_K,
            run_seed=first_seed + i,
        )
        for i in range(replicas)
    ]
    settings = CellSettings(cell="npt", npt_ps=npt_ps, pressure_GPa=pressure_GPa)
    return npt_systems(
        specs,
        model=model,
        settings=settings,
        timestep_fs=TIMESTEP_FS,
        thermostat_tau_fs=100.0,
    )


def stage_statistics(results: list[Any], *, temperature_K: float) -> dict[str, float]:
    """Over the replicas' second halves: mean volume and its standard error,
    the fluctuation B, the offsets of §3, the Jensen gap and the quarters' drift."""
    halves = [r.volume_A3[len(r.volume_A3) // 2 :] for r in results]
    vbar = np.array([h.mean() for h in halves])
    dev = np.concatenate([h - h.mean() for h in halves])
    var, k3 = float(np.mean(dev**2)), float(np.mean(dev**3))
    v = float(vbar.mean())
    kT = KB_EV_K * temperature_K
    b_fluct = kT * v / var / GPA_IN_EV_A3
    v_cell = np.array([abs(np.linalg.det(r.cell_A)) for r in results])
    quarters = np.array([np.array_split(r.volume_A3, 4) for r in results], dtype=object)
    q = np.array([[x.mean() for x in row] for row in quarters]) / N_ATOMS
    q_means, q_se = q.mean(0), q.std(0, ddof=1) / np.sqrt(len(results))
    return {
        "V_npt_A3_per_atom": float(v_cell.mean()) / N_ATOMS,
        "V_npt_se_pct": 100
        * float(v_cell.std(ddof=1) / v_cell.mean())
        / np.sqrt(len(v_cell)),
        "mean_volume_minus_mean_cell_volume_pct": 100 * float(np.mean(vbar / v_cell - 1)),
        "B_fluctuation_GPa": b_fluct,
        "mean_minus_mode_pct": 100 * k3 / (2 * var) / v,
        "P_offset_from_skewness_GPa": -b_fluct / v * k3 / (2 * var),
        "stage_recorded_mean_P_GPa": float(
            np.mean([r.pressure_GPa[len(r.pressure_GPa) // 2 :].mean() for r in results])
        ),
        **{f"V_quarter{j + 1}_A3_per_atom": float(q_means[j]) for j in range(4)},
        **{f"V_quarter{j + 1}_se_A3_per_atom": float(q_se[j]) for j in range(4)},
    }


def production_pressures_GPa(
    results: list[Any], *, model: Any, temperature_K: float, ps: float, seed: int = 0
) -> np.ndarray:
    """Each replica's NVT mean pressure at its production cell (one batch)."""
    structures = []
    for r in results:
        a = argon(lattice_v0_A3())
        a.set_cell(r.cell_A, scale_atoms=True)
        structures.append(a)
    return nvt_mean_pressures_GPa(
        structures, model=model, temperature_K=temperature_K, ps=ps, seed=2 + seed
    )


def measure(
    *,
    replicas: int,
    temperature_K: float,
    npt_ps: float,
    nvt_ps: float,
    pressure_GPa: float = 0.0,
    first_seed: int = 0,
    reference: bool = True,
) -> dict[str, Any]:
    """Everything the module doc lists; ``P_at_production_cell_each_GPa`` and
    ``V_production_each_A3_per_atom``: the replicas' own (to pool runs)."""
    model = load_model("lj", device="cpu", dtype=torch.float64)
    out: dict[str, Any] = {}
    if reference:
        out |= reference_volume_A3(
            model=model,
            temperature_K=temperature_K,
            pressure_GPa=pressure_GPa,
            ps=nvt_ps,
            seed=1000 * first_seed,
        )
    results = stage(
        model=model,
        replicas=replicas,
        temperature_K=temperature_K,
        npt_ps=npt_ps,
        pressure_GPa=pressure_GPa,
        first_seed=first_seed,
    )
    if any(r.failed for r in results):
        raise RuntimeError(next(r.failed for r in results if r.failed))
    out |= stage_statistics(results, temperature_K=temperature_K)
    p = production_pressures_GPa(
        results, model=model, temperature_K=temperature_K, ps=nvt_ps, seed=1000 * first_seed
    )
    v_sys = out["V_npt_A3_per_atom"] * N_ATOMS
    kT_GPa = KB_EV_K * temperature_K / GPA_IN_EV_A3
    out |= {
        "P_at_production_cell_GPa": float(p.mean()),
        "P_at_production_cell_se_GPa": float(p.std(ddof=1) / np.sqrt(len(p))),
        "P_at_production_cell_std_GPa": float(p.std(ddof=1)),
        "kT_over_V_GPa": kT_GPa / v_sys,
    }
    if reference:
        out |= ensemble_offsets(out, v_sys_A3=v_sys, kT_GPa=kT_GPa)
    out["P_at_production_cell_each_GPa"] = p.tolist()
    out["V_production_each_A3_per_atom"] = [
        abs(np.linalg.det(r.cell_A)) / N_ATOMS for r in results
    ]
    return out


def ensemble_offsets(
    out: dict[str, Any], *, v_sys_A3: float, kT_GPa: float
) -> dict[str, float]:
    """§3 with the lattice sum's B' at V*: the expected P(⟨V⟩) − target and
    ⟨V⟩ − V*, and the measured volume against V*."""
    bp, b = out["Bprime_lattice_at_V_ref"], out["B_at_V_ref_GPa"]
    v, v_ref = out["V_npt_A3_per_atom"], out["V_ref_A3_per_atom"]
    return {
        "P_offset_lattice_Bprime_GPa": -(1 + bp) * kT_GPa / (2 * v_sys_A3),
        "V_npt_minus_V_ref_pct": 100 * (v / v_ref - 1),
        "expected_V_npt_minus_V_ref_pct": 100 * (1 + bp) * kT_GPa / (2 * b * v_sys_A3),
        "dV_npt_over_V0_pct": 100 * (v / out["V0_A3_per_atom"] - 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicas", type=int, default=16)
    ap.add_argument("--temperature-K", type=float, default=30.0)
    ap.add_argument("--npt-ps", type=float, default=20.0)
    ap.add_argument("--nvt-ps", type=float, default=10.0)
    ap.add_argument("--first-seed", type=int, default=0, help="another set of replicas")
    a = ap.parse_args()
    res = measure(
        replicas=a.replicas,
        temperature_K=a.temperature_K,
        npt_ps=a.npt_ps,
        nvt_ps=a.nvt_ps,
        first_seed=a.first_seed,
    )
    for k, v in res.items():
        print(f"{k:40s} {v:.5g}" if isinstance(v, float) else f"{k:40s} {v}")


if __name__ == "__main__":
    main()
