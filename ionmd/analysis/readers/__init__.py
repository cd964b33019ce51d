"""Readers: every input becomes a :class:`~ionmd.analysis.trajectory.MobileTrajectory`.

``read_trajectories(paths, ...)`` dispatches on what each path is: an engine run
directory (``md.h5``, ``md.1.h5``, ... of its batches) or ``*.h5`` (all systems),
XDATCAR (several files of one run are concatenated in the order given),
vasprun.xml, a pymatgen DiffusionAnalyzer JSON, or anything ASE reads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ionmd.analysis.readers.ase_traj import read_ase
from ionmd.analysis.readers.h5 import read_run_file
from ionmd.analysis.readers.pmg_json import read_pmg_analyzer_json
from ionmd.analysis.readers.vasprun import read_vasprun
from ionmd.analysis.readers.xdatcar import read_xdatcar
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError

__all__ = [
    "read_ase",
    "read_pmg_analyzer_json",
    "read_run_file",
    "read_trajectories",
    "read_vasprun",
    "read_xdatcar",
]


def run_dir_files(run_dir: Path) -> list[Path]:
    """The run files of an engine run directory: ``md.h5``, ``md.1.h5``, ... in order."""

    def order(p: Path) -> int:
        mid = p.name[len("md") : -len(".h5")].strip(".")
        return int(mid) if mid.isdigit() else 0

    files = [p for p in run_dir.glob("md*.h5") if p.name == "md.h5" or order(p) > 0]
    return sorted(files, key=order)


def _kind(path: Path) -> str:
    name = path.name.lower()
    if path.is_dir():
        return "rundir"
    if name.endswith((".h5", ".hdf5")):
        return "h5"
    if name.startswith("xdatcar") or name.endswith((".xdatcar", ".xdatcar.gz")):
        return "xdatcar"
    if name.startswith("vasprun") and ".xml" in name:
        return "vasprun"
    if name.endswith(".json"):
        return "json"
    return "ase"


def read_trajectories(
    paths: Sequence[str | os.PathLike[str]],
    *,
    temperature_K: float | None = None,
    timestep_fs: float | None = None,
    step_skip: int | None = None,
    material_id: str | None = None,
) -> tuple[list[MobileTrajectory], list[str]]:
    """Read every path; returns the trajectories and one line per skipped system."""
    if not paths:
        raise InputError("no input path given")
    trajs: list[MobileTrajectory] = []
    skipped: list[str] = []
    xdatcars: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError(f"{p}: no such file or directory")
        kind = _kind(p)
        if kind == "rundir":
            files = run_dir_files(p)
            if not files:
                raise InputError(f"{p}: a directory without md.h5 (not an engine run dir)")
            for h5 in files:
                got, skip = read_run_file(h5, material_id=material_id)
                trajs += got
                skipped += skip
        elif kind == "h5":
            got, skip = read_run_file(p, material_id=material_id)
            trajs += got
            skipped += skip
        elif kind == "xdatcar":
            xdatcars.append(p)
        elif kind == "vasprun":
            trajs.append(
                read_vasprun(
                    p,
                    timestep_fs=timestep_fs,
                    temperature_K=temperature_K,
                    material_id=material_id,
                )
            )
        elif kind == "json":
            trajs.append(
                read_pmg_analyzer_json(
                    p, material_id=material_id, temperature_K=temperature_K
                )
            )
        else:
            trajs.append(
                read_ase(
                    p,
                    timestep_fs=timestep_fs,
                    step_skip=step_skip,
                    temperature_K=temperature_K,
                    material_id=material_id,
                )
            )
    if xdatcars:
        trajs.append(
            read_xdatcar(
                xdatcars,
                timestep_fs=timestep_fs,
                step_skip=step_skip,
                temperature_K=temperature_K,
                material_id=material_id,
            )
        )
    return trajs, skipped
