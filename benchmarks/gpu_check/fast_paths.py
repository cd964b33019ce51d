"""Parts ``cueq``, ``skin`` and ``compile``: each fast path on against off
(``cueq="off"``, the plain model) on the ASE comparison's systems: build time,
the largest force difference and µs per atom-step both ways."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from benchmarks.gpu_check.measures import force_max_diff_eV_A
from benchmarks.gpu_check.systems import n_atoms

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check


def on_vs_off(check: Check, **fast: Any) -> dict[str, Any]:
    """The model with ``fast`` options against the plain one."""
    steps = check.size["fast_steps"]
    systems = check.ase_systems()
    plain = check.model(cueq="off")
    t0 = time.perf_counter()
    fastm = check.model(**fast)
    build_s = time.perf_counter() - t0
    diff = force_max_diff_eV_A(systems, plain, fastm)
    us_fast, _ = check.engine_us(systems, fastm, n_steps=steps)
    us_plain, _ = check.engine_us(systems, plain, n_steps=steps)
    out = {
        "options": fast,
        "n_atoms": n_atoms(systems),
        "build_s": build_s,
        "force_max_abs_diff_eV_A": diff,
        "on_us_per_atom_step": us_fast,
        "off_us_per_atom_step": us_plain,
        "speedup": us_plain / us_fast,
    }
    nl = getattr(fastm, "neighbor_list_fn", None)
    if hasattr(nl, "builds"):
        out |= {"neighbor_list_builds": nl.builds, "neighbor_list_calls": nl.calls}
    return out


def cueq(check: Check, _limit_s: float) -> dict[str, Any]:
    from ionmd.calculators.mace_models import _cueq_available

    if check.device.type != "cuda":
        return {
            "status": "skipped",
            "reason": "no CUDA device (cuEquivariance is CUDA only)",
        }
    if not _cueq_available():
        return {"status": "skipped", "reason": "cuequivariance-torch is not installed"}
    return on_vs_off(check, cueq="on")


def skin(check: Check, _limit_s: float) -> dict[str, Any]:
    return on_vs_off(check, cueq="off", neighbor_skin_A=1.0)


def compile_(check: Check, _limit_s: float) -> dict[str, Any]:
    """``torch.compile`` (CUDA graphs on CUDA); skipped in the CPU dry run."""
    if check.dry:
        return {
            "status": "skipped",
            "reason": "CPU dry run: inductor needs minutes for MACE on 2 cores; "
            "the slow test tests/calculators/test_fast_paths.py compiles it",
        }
    mode = "reduce-overhead" if check.device.type == "cuda" else "default"
    return on_vs_off(check, cueq="off", compile_mode=mode)
