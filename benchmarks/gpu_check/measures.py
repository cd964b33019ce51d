"""What several parts measure the same way: force differences between two
models, peak memory against the memory model, median µs per atom-step."""

from __future__ import annotations

import statistics
from typing import Any

import torch

from benchmarks.gpu_check.systems import n_atoms


def force_max_diff_eV_A(systems: list, ref: Any, other: Any) -> float:
    """Largest |ΔF| between two models on the same systems (``other`` after a warm-up
    call, so a compiled model is compared as it runs)."""
    from ionmd.engine.systems import build_state

    s_ref, _, _ = build_state(systems, device=ref.device, dtype=ref.dtype)
    s_oth, _, _ = build_state(systems, device=other.device, dtype=other.dtype)
    f_ref = ref(s_ref)["forces"].detach().double()
    f_oth = other(s_oth)["forces"].detach().double()
    f_oth = other(s_oth)["forces"].detach().double()  # compiled: after warm-up
    return float((f_ref - f_oth).abs().max())


def memory_vs_model(
    model: Any, systems: list, *, peak_bytes: int, device: torch.device
) -> dict[str, Any]:
    """Peak device bytes per atom against :mod:`ionmd.campaign.memory`'s model."""
    if device.type != "cuda":
        return {"memory": "no CUDA: the memory model measures device memory"}
    from ionmd.campaign.memory import bytes_per_atom

    predicted = bytes_per_atom(model, systems)
    measured = peak_bytes / n_atoms(systems)
    return {
        "peak_bytes_per_atom": measured,
        "memory_model_bytes_per_atom": predicted,
        "peak_over_model": measured / predicted,
    }


def median_us_per_atom_step(times_s_per_step: list[float], *, n_atoms: int) -> float:
    """The median of interleaved repeats, in µs per atom-step."""
    return statistics.median(times_s_per_step) / n_atoms * 1e6
