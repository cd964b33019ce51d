"""The cost record of one batch as campaign.json keeps it: one writer for both
protocols (:func:`cost_record`), and the fixed-length batch's (:func:`batch_cost`)."""

from __future__ import annotations

import resource
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ionmd.engine.runner import RunSummary


def cost_record(
    *,
    file: str,
    n_systems: int,
    n_atoms: int,
    steps: int,
    atom_steps: float,
    simulated_ps: float,
    timestep_fs: float,
    wall_s: float,
    md_wall_s: float,
    peak_device_bytes: int,
    failed: Mapping[str, str],
    **extra: Any,
) -> dict[str, Any]:
    """The cost record of one finished batch, as campaign.json keeps it: one
    writer for both protocols. ``n_atoms`` is the batch's size (an adaptive
    batch's capacity), ``atom_steps`` the atom-steps really computed and
    ``simulated_ps`` the picoseconds simulated, summed over the batch's systems;
    the rates come from those (read back by :mod:`ionmd.analysis.campaign_record`)."""
    per_day = steps * timestep_fs * 1e-6 / (md_wall_s / 86400.0) if md_wall_s > 0 else None
    return {
        "file": file,
        "status": "done",
        "n_systems": n_systems,
        "n_atoms": n_atoms,
        "steps": steps,
        "atom_steps": atom_steps,
        "simulated_ps": simulated_ps,
        "wall_s": wall_s,
        "md_wall_s": md_wall_s,
        "atom_steps_per_s": atom_steps / md_wall_s if md_wall_s > 0 else None,
        "ns_per_day": per_day,
        "peak_device_GB": peak_device_bytes / 1e9,
        "peak_host_GB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "failed_systems": dict(failed),
        **extra,
    }


def batch_cost(
    summary: RunSummary, *, path: Path, wall_s: float, timestep_fs: float
) -> dict[str, Any]:
    """The cost record of one finished fixed-length batch: the atom-steps and
    picoseconds its systems ran (after an out-of-memory split they ran one group
    after another, so not ``n_atoms`` x the batch clock's ``steps``)."""
    return cost_record(
        file=path.name,
        n_systems=summary.n_systems,
        n_atoms=summary.n_atoms,
        steps=summary.steps,
        atom_steps=summary.atom_steps,
        simulated_ps=summary.system_steps * timestep_fs * 1e-3,
        timestep_fs=timestep_fs,
        wall_s=wall_s,
        md_wall_s=summary.wall_s,
        peak_device_bytes=summary.peak_device_bytes,
        failed=summary.failed,
        # the atoms held each time it ran out of memory, as an adaptive batch's
        **(
            {"oom_capacity_atoms": list(summary.oom_held_atoms)}
            if summary.oom_held_atoms
            else {}
        ),
    )


__all__ = ["batch_cost", "cost_record"]
