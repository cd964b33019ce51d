"""Part ``largest_batch``: the largest batch the memory model says fits (85 % of
free memory, capped), tried and halved on out-of-memory; µs per atom-step there."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import torch

from benchmarks.gpu_check.measures import memory_vs_model
from benchmarks.gpu_check.systems import n_atoms, standin_systems

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check


def largest_batch(check: Check, limit_s: float) -> dict[str, Any]:
    from ionmd.campaign.memory import auto_max_atoms, is_out_of_memory

    sz = check.size
    model = check.model()
    unit = standin_systems([(4, 4, 4)], temperature_K=1000.0)
    per = n_atoms(unit) if not check.dry else 32
    if check.device.type == "cuda":
        fits = auto_max_atoms(model, unit, fill=0.85)
        target = min(fits, sz["largest_cap_atoms"])
        reps = (4, 4, 4)
    else:
        fits, target, reps = None, sz["largest_cap_atoms"], (2, 2, 2)
    tried = []
    t_end = time.perf_counter() + 0.8 * limit_s
    k = max(1, target // per)
    while k >= 1 and time.perf_counter() < t_end:
        systems = standin_systems([reps] * k, temperature_K=1000.0)
        try:
            us, summary = check.engine_us(systems, model, n_steps=max(3, sz["steps"] // 3))
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            tried.append({"n_atoms": n_atoms(systems), "fits": False})
            if check.device.type == "cuda":
                torch.cuda.empty_cache()
            k //= 2
            continue
        tried.append({"n_atoms": n_atoms(systems), "fits": True})
        peak = summary.peak_device_bytes
        return {
            "memory_model_max_atoms": fits,
            "capped_at_atoms": sz["largest_cap_atoms"],
            "n_atoms": n_atoms(systems),
            "n_systems": k,
            "engine_us_per_atom_step": us,
            "tried": tried,
        } | memory_vs_model(model, systems, peak_bytes=peak, device=check.device)
    return {"status": "timeout", "reason": "no batch finished in time", "tried": tried}
