"""Part ``study_batch``: µs per atom-step at the study's batch (its 21 materials
at one temperature ≈ 5,500 atoms). No OBELiX data on the device: a stand-in of
the same size from α-Li3N supercells (21 systems, 19 × 256 + 2 × 320 = 5,504
atoms), with the peak memory per atom against the memory model
(:mod:`ionmd.campaign.memory`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchmarks.gpu_check.measures import median_us_per_atom_step, memory_vs_model
from benchmarks.gpu_check.settings import STANDIN_NOTE
from benchmarks.gpu_check.systems import n_atoms, standin_systems

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check


def study_batch(check: Check, _limit_s: float) -> dict[str, Any]:
    from benchmarks.engine import model_only_step_s
    from benchmarks.timing import interleave, ratio_stats

    sz = check.size
    model = check.model()
    systems = standin_systems(sz["study_reps"], temperature_K=1000.0)
    n = n_atoms(systems)
    summaries: list[Any] = []

    def engine() -> float:
        us, summary = check.engine_us(systems, model, n_steps=sz["steps"])
        summaries.append(summary)
        return us * n * 1e-6

    times = interleave(
        {
            "model": lambda: model_only_step_s(systems, model, n_steps=sz["steps"]),
            "engine": engine,
        },
        repeats=2,
    )
    out: dict[str, Any] = {
        "n_systems": len(systems),
        "n_atoms": n,
        "steps": sz["steps"],
        "note": STANDIN_NOTE,
        "times_s_per_step": times,
        "engine_us_per_atom_step": median_us_per_atom_step(times["engine"], n_atoms=n),
        "model_us_per_atom_step": median_us_per_atom_step(times["model"], n_atoms=n),
        "overhead": ratio_stats(times["engine"], times["model"]),
    }
    peak = summaries[-1].peak_device_bytes
    return out | memory_vs_model(model, systems, peak_bytes=peak, device=check.device)
