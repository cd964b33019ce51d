"""float32 against float64 on the same systems (issue 16): the statistics the
study uses agree within bounds derived from the runs themselves.

Each batch holds R replicas of one system at one temperature, each with its own
seed. float32 and float64 trajectories part after a few hundred steps (chaos),
so they are independent samples of one ensemble: what must agree is the
statistics, not the paths. For each quantity q (per replica: mean kinetic
temperature after equilibration, conserved-energy drift as the slope of a
straight-line fit, eV/atom/ps, and the mobile-ion MSD at a fixed lag) we take
the replica mean and its standard error SE = sd/√R in each precision and
require

    |mean32 − mean64| ≤ 4 √(SE32² + SE64²) + floor

(4 standard errors: a false alarm about once in 16,000 runs). ``floor`` covers
what the replica spread cannot show: for the drift, float32's rounding of the
per-system energy, |E|·2⁻²⁴ per step as a random walk, turned into a slope
bound; zero otherwise. Besides the comparison, the float32 drift must be small
in absolute terms: what it adds to float64's drift (the integrator's), over the
study's 100 ps, below 1 % of kT per atom.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ionmd.campaign.config import RunConfig
from ionmd.engine.runner import run_batch
from ionmd.fileformat import read_system

K_B_EV = 8.617333262e-5
N_SE = 4.0


@dataclass
class Stats:
    mean_T_K: np.ndarray  # per replica
    drift_eV_atom_ps: np.ndarray
    msd_A2: np.ndarray
    energy_eV: float  # mean |conserved energy| per system
    n_atoms: int
    steps: int


def run_stats(
    systems: list, model: object, *, config: RunConfig, out: Path, msd_lag_ps: float
) -> Stats:
    run_batch(systems, model, md=config.md, out_path=out, model_name="f32check")
    eq_ps = config.equilibration_ps
    T, drift, msd, energy = [], [], [], []
    for s in systems:
        rec = read_system(out, s.key, positions=False)
        _, t_ps, temp = rec.thermo["temperature_K"]
        _, te_ps, e = rec.thermo["conserved_energy_eV"]
        keep = t_ps >= eq_ps
        T.append(temp[keep].mean())
        keep = te_ps >= eq_ps
        slope = np.polyfit(te_ps[keep], e[keep], 1)[0]
        drift.append(slope / len(s.atoms))
        energy.append(np.abs(e).mean())
        lag = rec.msd["lag_ps"]
        i = int(np.argmin(np.abs(lag - msd_lag_ps)))
        msd.append(rec.msd["mobile_A2"][i])
    return Stats(
        mean_T_K=np.asarray(T),
        drift_eV_atom_ps=np.asarray(drift),
        msd_A2=np.asarray(msd),
        energy_eV=float(np.mean(energy)),
        n_atoms=len(systems[0].atoms),
        steps=config.n_steps,
    )


def bound(a: np.ndarray, b: np.ndarray, *, floor: float = 0.0) -> tuple[float, float]:
    """(|mean a − mean b|, allowed) for replica arrays a, b."""
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float(abs(a.mean() - b.mean())), float(N_SE * se + floor)


def rounding_drift_floor(s32: Stats, *, timestep_fs: float, run_ps: float) -> float:
    """Slope (eV/atom/ps) a float32 rounding random walk of the system energy can
    fake over the run: |E|·2⁻²⁴ per step, √steps steps, over the run time."""
    per_step = s32.energy_eV * 2.0**-24
    walk = per_step * np.sqrt(run_ps * 1000.0 / timestep_fs)
    return float(N_SE * walk / run_ps / s32.n_atoms)


def compare(
    s32: Stats, s64: Stats, *, temperature_K: float, timestep_fs: float, run_ps: float
) -> dict:
    out = {
        "mean_T_K": bound(s32.mean_T_K, s64.mean_T_K),
        "drift_eV_atom_ps": bound(
            s32.drift_eV_atom_ps,
            s64.drift_eV_atom_ps,
            floor=rounding_drift_floor(s32, timestep_fs=timestep_fs, run_ps=run_ps),
        ),
        "msd_A2": bound(s32.msd_A2, s64.msd_A2),
    }
    # absolute: what float32 adds to the drift, over the study's 100 ps, below
    # 1 % of kT per atom (the integrator's own drift is float64's too)
    kT = K_B_EV * temperature_K
    extra = abs(s32.drift_eV_atom_ps.mean() - s64.drift_eV_atom_ps.mean())
    out["drift32_extra_100ps_over_kT"] = (float(extra * 100.0 / kT), 0.01)
    return out
