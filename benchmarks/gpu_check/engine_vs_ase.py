"""Part ``engine_vs_ase``: the engine against the study's way (ASE + the same
model, one system after the other) on the same α-Li3N systems, and the engine's
overhead over the model alone; model, engine and ASE interleaved, median ratio
and spread (:mod:`benchmarks.timing`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchmarks.gpu_check.measures import median_us_per_atom_step
from benchmarks.gpu_check.systems import n_atoms

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check


def engine_vs_ase(check: Check, _limit_s: float) -> dict[str, Any]:
    from benchmarks.engine import ase_sequential_s, engine_step_s, model_only_step_s
    from benchmarks.timing import interleave, ratio_stats
    from ionmd.calculators import load_ase_calculator

    sz = check.size
    model = check.model()
    systems = check.ase_systems()
    steps = sz["ase_steps"]
    calc = load_ase_calculator(sz["model"], device=check.device, dtype=model.dtype)
    times = interleave(
        {
            "model": lambda: model_only_step_s(systems, model, n_steps=steps),
            "engine": lambda: engine_step_s(
                systems, model, n_steps=steps, out_dir=check.tmp
            )[0],
            "ase": lambda: ase_sequential_s(systems, calc, n_steps=steps) / steps,
        },
        repeats=sz["repeats"],
    )
    n = n_atoms(systems)
    return {
        "n_systems": len(systems),
        "n_atoms": n,
        "steps": steps,
        "times_s_per_step": times,
        "engine_us_per_atom_step": median_us_per_atom_step(times["engine"], n_atoms=n),
        "model_us_per_atom_step": median_us_per_atom_step(times["model"], n_atoms=n),
        "ase_us_per_atom_step": median_us_per_atom_step(times["ase"], n_atoms=n),
        "overhead": ratio_stats(times["engine"], times["model"]),
        "engine_speedup_vs_ase": ratio_stats(times["ase"], times["engine"]),
    }
