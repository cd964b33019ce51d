"""Part ``float64``: float32 (the CUDA default) against float64 on the same
systems: step time and the largest force difference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from benchmarks.gpu_check.measures import force_max_diff_eV_A
from benchmarks.gpu_check.systems import n_atoms

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check


def float64(check: Check, _limit_s: float) -> dict[str, Any]:
    steps = check.size["fast_steps"]
    systems = check.ase_systems()
    # in this order: the float64 model is built after the float32 run
    us32, _ = check.engine_us(systems, check.model(dtype=torch.float32), n_steps=steps)
    us64, _ = check.engine_us(systems, check.model(dtype=torch.float64), n_steps=steps)
    m32, m64 = check.model(dtype=torch.float32), check.model(dtype=torch.float64)
    return {
        "n_atoms": n_atoms(systems),
        "float32_us_per_atom_step": us32,
        "float64_us_per_atom_step": us64,
        "float64_over_float32": us64 / us32,
        "float32_force_max_abs_diff_eV_A": force_max_diff_eV_A(systems, m64, m32),
    }
