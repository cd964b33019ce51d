"""Part ``adaptive``: the adaptive protocol's in-flight batch (issue 13). The
stand-in materials at two temperatures are queued into a batch that holds one
temperature's worth; each system runs three chunks (random weights: no physics,
so every run ends at max_duration_ps), and the batch is refilled as systems
leave. Throughput of the loop (decisions and refills included) and batch
occupancy."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from benchmarks.gpu_check.systems import n_atoms, standin_systems

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check


def _loop(
    check: Check, model: Any, *, systems: list, capacity_atoms: int, chunk_steps: int
) -> Any:
    """The adaptive loop over ``systems``, three chunks each at most."""
    from ionmd.campaign.adaptive.loop import AdaptiveLoop
    from ionmd.campaign.adaptive.settings import AdaptiveSettings
    from ionmd.engine.md_settings import MDSettings

    md = MDSettings(
        timestep_fs=2.0,
        duration_ps=1.0,
        equilibration_ps=0.0,
        msd_every_fs=4.0,
        sample_every_fs=8.0,
        thermo_every_fs=8.0,
        fault_check_every_fs=8.0,
        progress=False,
    )
    chunk_ps = chunk_steps * 2.0e-3
    settings = AdaptiveSettings(
        chunk_ps=chunk_ps,
        max_duration_ps=3 * chunk_ps,
        min_reliable_temperatures=2,
        max_temperature_K=1200.0,
        min_temperature_K=1000.0,
    )
    return AdaptiveLoop(
        model,
        md=md,
        settings=settings,
        systems=systems,
        capacity_atoms=capacity_atoms,
        out_path=check.tmp / "adaptive" / "md.h5",
        model_name="x",
        model_version="",
        run_config={},
        fingerprint_protocol={},
    )


def adaptive(check: Check, _limit_s: float) -> dict[str, Any]:
    sz = check.size
    model = check.model()
    chunk_steps = 4 if check.dry else 30
    one_T = standin_systems(sz["study_reps"], temperature_K=1000.0)
    systems = one_T + standin_systems(sz["study_reps"], temperature_K=1200.0)
    t0 = time.perf_counter()
    loop = _loop(
        check,
        model,
        systems=systems,
        capacity_atoms=n_atoms(one_T),
        chunk_steps=chunk_steps,
    )
    cost = loop.run()
    wall = time.perf_counter() - t0
    st = loop.state
    return {
        "n_systems": len(systems),
        "capacity_atoms": n_atoms(one_T),
        "chunk_steps": chunk_steps,
        "batch_steps": st["step"],
        "atom_steps": st["atom_steps"],
        "wall_s": wall,
        "us_per_atom_step": wall / max(st["atom_steps"], 1) * 1e6,
        "md_us_per_atom_step": 1e6 / cost["atom_steps_per_s"],
        "occupancy_mean": st["occupancy_mean"],
        "occupancy_mean_while_queued": st["occupancy_mean_while_queued"],
        "outcomes": sorted({r["outcome"] for r in st["systems"].values()}),
        "peak_device_GB": cost["peak_device_GB"],
    }
