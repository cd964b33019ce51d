"""What both campaign runners share (the in-process one in :mod:`.run`, the
scale-out one in :mod:`.distributed`): the result type, batch cost records,
run-file names, device choice and the final ``done`` mark."""

from __future__ import annotations

import resource
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ionmd.errors import InputError

if TYPE_CHECKING:
    from ionmd.campaign.record import CampaignRecord
    from ionmd.engine.runner import RunSummary


@dataclass(kw_only=True)
class CampaignResult:
    out_dir: Path
    run_files: list[Path]
    failed_materials: dict[str, str] = field(default_factory=dict)
    failed_systems: dict[str, str] = field(default_factory=dict)
    batches: list[dict[str, Any]] = field(default_factory=list)
    analysis: dict[str, Any] | None = None
    #: scale-out tasks that failed (key -> one-line reason); empty in-process
    failed_tasks: dict[str, str] = field(default_factory=dict)


def resolve_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device {name!r} requested but no CUDA device is available")
    return name


def supported_numbers(model: object) -> set[int] | None:
    """Atomic numbers a model covers, where the model says (MACE, SevenNet)."""
    inner = getattr(model, "model", None)
    z = getattr(inner, "atomic_numbers", None)
    if z is not None:
        return {int(x) for x in z}
    type_map = getattr(model, "type_map", None)
    if type_map:
        return {int(x) for x in type_map}
    return None


def run_file_name(i: int) -> str:
    return "md.h5" if i == 0 else f"md.{i}.h5"


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
    """The cost record of one finished fixed-length batch (every system runs
    all ``summary.steps``)."""
    return cost_record(
        file=path.name,
        n_systems=summary.n_systems,
        n_atoms=summary.n_atoms,
        steps=summary.steps,
        atom_steps=summary.n_atoms * summary.steps,
        simulated_ps=summary.n_systems * summary.steps * timestep_fs * 1e-3,
        timestep_fs=timestep_fs,
        wall_s=wall_s,
        md_wall_s=summary.wall_s,
        peak_device_bytes=summary.peak_device_bytes,
        failed=summary.failed,
    )


def mark_done(
    state_path: Path, record: CampaignRecord, *, status: str, analysed: bool
) -> None:
    """Write the campaign's final status: the last write of a run (after the run
    files, results.json, figures and the report), so that a campaign marked done
    is complete and one killed before this is completed by the next run."""
    _before_done_hook()
    record.status = status
    record.analysed = analysed
    record.save(state_path)


def _before_done_hook() -> None:
    """Tests patch this to simulate a kill between the report and ``done``."""


__all__ = [
    "CampaignResult",
    "batch_cost",
    "cost_record",
    "mark_done",
    "resolve_device",
    "run_file_name",
    "supported_numbers",
]
