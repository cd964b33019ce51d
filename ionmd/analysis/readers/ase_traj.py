"""Any trajectory ASE can read (.traj, extxyz, LAMMPS dump, ...), streamed with
``ase.io.iread``. ASE files rarely state the temperature or the time between
frames: both are then required from the caller."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ionmd.analysis.readers._common import (
    DEFAULT_MAX_FRAMES,
    FrameCollector,
    build_trajectory,
)
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError


def read_ase(
    path: str | os.PathLike[str],
    *,
    timestep_fs: float | None = None,
    step_skip: int | None = None,
    temperature_K: float | None = None,
    material_id: str | None = None,
    mobile_species: str = "Li",
    max_frames: int = DEFAULT_MAX_FRAMES,
) -> MobileTrajectory:
    """Read an ASE-readable trajectory (fixed cell) into a :class:`MobileTrajectory`."""
    import ase.io

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: empty file")
    if timestep_fs is None:
        raise InputError(
            f"{p}: the time between frames is not known; pass --timestep-fs "
            "(and --step-skip)"
        )
    if p.suffix.lower() in (".xyz", ".extxyz"):
        _check_xyz_atom_counts(p)
    collector = FrameCollector(max_frames=max_frames)
    symbols: list[str] | None = None
    try:
        for atoms in ase.io.iread(str(p), index=":"):
            if symbols is None:
                symbols = atoms.get_chemical_symbols()
            elif len(atoms) != len(symbols):
                raise InputError(
                    f"{p}: frame {collector.n_seen} holds {len(atoms)} atoms, "
                    f"the first frame {len(symbols)}"
                )
            collector.push(
                atoms.get_scaled_positions(wrap=False), cell=atoms.cell[:], source=p
            )
    except InputError:
        raise
    except Exception as exc:  # ASE raises many types for unreadable files
        if collector.n_seen < 2:
            raise InputError(
                f"{p}: not a trajectory ASE can read ({type(exc).__name__}: {exc})"
            ) from None
    frac, stride = collector.frames()
    cell = collector.cell
    if symbols is None or cell is None or frac.shape[0] < 2:
        raise InputError(f"{p}: fewer than 2 frames")
    if abs(np.linalg.det(cell)) < 1e-6:
        raise InputError(f"{p}: the trajectory has no periodic cell")
    skip = 1 if step_skip is None else int(step_skip)
    return build_trajectory(
        frac=frac,
        symbols=symbols,
        cell_A=cell,
        frame_interval_ps=timestep_fs * skip * stride * 1e-3,
        temperature_K=temperature_K,
        material_id=material_id or p.stem,
        source=str(p),
        mobile_species=mobile_species,
        displacements=collector.displacements,
        meta={
            "reader": "ase",
            "frames_read": collector.n_seen,
            "frame_stride": stride,
            "timestep_fs": timestep_fs,
            "step_skip": skip,
        },
    )


#: atoms per frame an (ext)xyz header may declare
MAX_XYZ_ATOMS = 1_000_000


def _check_xyz_atom_counts(p: Path) -> None:
    """InputError for a frame header declaring more than ``MAX_XYZ_ATOMS`` atoms:
    ASE's extxyz scan calls ``readline()`` that many times, so a header of
    ``99999999999999999999`` spins at the end of the file for ever."""
    with open(p, "rb") as fh:
        line_no = 0
        while True:
            header = fh.readline()
            line_no += 1
            if not header.strip():
                return
            try:
                n_atoms = int(header)
            except ValueError:
                return  # ASE says what is wrong with it
            if not 0 <= n_atoms <= MAX_XYZ_ATOMS:
                raise InputError(
                    f"{p}: line {line_no} declares {n_atoms} atoms "
                    f"(at most {MAX_XYZ_ATOMS:,} per frame)"
                )
            for _ in range(n_atoms + 1):
                if not fh.readline():
                    return
            line_no += n_atoms + 1
