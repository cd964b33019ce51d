"""Part ``host_syncs``: device → host reads per ordinary step. Everywhere the
Python-level counter (:mod:`benchmarks.host_reads`: ionmd's reads against the
integrator's and the model's); on CUDA also torch's sync debug mode over the
same 20 steps, which catches the implicit syncs of C++ ops too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check


def _config(temperatures_K: tuple[float, ...]) -> Any:
    """20 steps of 2 fs; every stride off the ordinary steps but the last."""
    from ionmd.campaign.config import RunConfig

    return RunConfig(
        materials=("sync",),
        temperatures_K=temperatures_K,
        duration_ps=0.04,  # 20 steps of 2 fs
        equilibration_ps=0.0,
        sample_every_fs=4.0,
        msd_every_fs=2.0,
        thermo_every_fs=4.0,
        fault_check_every_fs=40.0,
        flush_every_ps=0.04,
        progress=False,
    )


def _python_reads(check: Check, systems: list, model: Any, cfg: Any) -> dict[str, Any]:
    """The most host reads on an ordinary step, by owner, and where they are."""
    from benchmarks.host_reads import count_host_reads
    from ionmd.engine.runner import run_batch

    special = {cfg.n_steps}
    out: dict[str, Any] = {}
    with count_host_reads() as counter:
        run_batch(
            systems,
            model,
            md=cfg.md,
            out_path=check.tmp / "sync1.h5",
            model_name="x",
        )
    for owner in ("ionmd", "integrator+model"):
        per = counter.per_step(owner)
        ordinary = [per.get(s, 0) for s in range(1, cfg.n_steps + 1) if s not in special]
        out[f"python_reads_per_ordinary_step_{owner}"] = max(ordinary) if ordinary else 0
    out["python_reads_where"] = {
        f"{o}: {w}": k for (o, w), k in sorted(counter.where.items())
    }
    return out


def _cuda_syncs(check: Check, systems: list, model: Any, cfg: Any) -> dict[str, Any]:
    """torch's sync warnings over one run: total, per step, and by kind."""
    import warnings

    from ionmd.engine.runner import run_batch

    step_count = {"n": 0}

    def cb(step: int, _st: object) -> None:
        step_count["n"] = step

    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run_batch(
                systems,
                model,
                md=cfg.md,
                out_path=check.tmp / "sync2.h5",
                model_name="x",
                step_callback=cb,
            )
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [str(w.message).splitlines()[0][:120] for w in caught]
    kinds: dict[str, int] = {}
    for s in syncs:
        kinds[s] = kinds.get(s, 0) + 1
    return {
        "cuda_sync_warnings_total": len(syncs),
        "cuda_sync_warnings_per_step": len(syncs) / cfg.n_steps,
        "cuda_sync_kinds": kinds,
    }


def host_syncs(check: Check, _limit_s: float) -> dict[str, Any]:
    systems = check.ase_systems()
    model = check.model()
    cfg = _config(check.size["ase_temperatures_K"])
    out: dict[str, Any] = {"steps": cfg.n_steps}
    out |= _python_reads(check, systems, model, cfg)
    if check.device.type == "cuda":
        out |= _cuda_syncs(check, systems, model, cfg)
    return out
