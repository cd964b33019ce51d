"""Export one system of a run file as a trajectory other tools read
(``ionmd export``): extended XYZ and ASE ``.traj`` (ASE, OVITO), VASP XDATCAR
(pymatgen, ASE, OVITO).

Full structures need the framework: with ``framework_every_fs`` > 0 the run file
stores it on that stride (a multiple of the Li stride), and the export holds one
full structure per framework frame. Without it the export holds the Li frames
only, at the Li stride, and :attr:`Export.note` says so in one line.

Positions: extxyz and traj carry the stored positions, *unwrapped* and relative
to the framework's centre of mass (MSD tools can use them directly); XDATCAR
carries *wrapped* fractional coordinates (the format's convention; pymatgen's
``DiffusionAnalyzer.from_structures`` unwraps them by minimum image, which needs
frames closer than half a cell apart for any ion). XDATCAR groups the atoms by
species (its header counts one block per element), in order of first
appearance; extxyz and traj keep the system's atom order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ionmd.errors import InputError
from ionmd.fileformat.reader import list_systems, read_framework, read_system
from ionmd.outdir import output_file

if TYPE_CHECKING:
    from ase import Atoms

#: ``--format`` value → (ASE format name, file suffix)
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "extxyz": ("extxyz", ".extxyz"),
    "traj": ("traj", ".traj"),
    "xdatcar": ("vasp-xdatcar", ".XDATCAR"),
}


@dataclass(frozen=True, kw_only=True)
class Export:
    """What :func:`export_run` wrote."""

    path: Path
    key: str
    n_frames: int
    frame_interval_ps: float
    full: bool
    note: str


def export_run(
    run_path: str | os.PathLike[str],
    *,
    fmt: str,
    system: str | None = None,
    out: str | os.PathLike[str] | None = None,
) -> Export:
    """Write ``system`` of ``run_path`` (a run file, or a campaign directory with
    its ``md.h5``) as ``fmt`` to ``out`` (default: next to the run file,
    ``<run>_<system><suffix>``). ``system`` may be omitted when the file
    holds one. One-line :class:`~ionmd.errors.InputError` on a bad format or
    system; :class:`~ionmd.fileformat.reader.RunFileError` on a bad file."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(
            f"unknown format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}"
        )
    run_path = _run_file(Path(run_path))
    key = _system(run_path, system)
    ase_format, suffix = EXPORT_FORMATS[fmt]
    path = (
        Path(out)
        if out is not None
        else run_path.with_name(f"{run_path.stem}_{key}{suffix}")
    )
    output_file(path, what="export file", create=False, inputs=[run_path])
    images, full, note = _images(run_path, key)
    if not images:
        raise InputError(f"{run_path}: system {key!r} has no stored frames yet")
    if fmt == "xdatcar":
        images = [_wrapped_by_species(a) for a in images]
    from ase.io import write

    output_file(path, what="export file", inputs=[run_path])  # folders made
    write(path, images, format=ase_format)
    times = [a.info["time_ps"] for a in images]
    return Export(
        path=path,
        key=key,
        n_frames=len(images),
        frame_interval_ps=float(times[1] - times[0]) if len(times) > 1 else 0.0,
        full=full,
        note=note,
    )


def _run_file(path: Path) -> Path:
    """``path``, or the ``md.h5`` of a campaign's output directory."""
    if not path.is_dir():
        return path
    if (path / "md.h5").is_file():
        return path / "md.h5"
    raise InputError(f"{path} is a directory without md.h5: give the run file (.h5)")


def _system(run_path: Path, system: str | None) -> str:
    keys = list_systems(run_path)
    if system is None:
        if len(keys) == 1:
            return keys[0]
        raise InputError(
            f"{run_path} holds {len(keys)} systems: name one with --system "
            f"({', '.join(keys) or 'none'})"
        )
    if system not in keys:
        raise InputError(
            f"{run_path}: no system {system!r} (systems: {', '.join(keys) or 'none'})"
        )
    return system


def _images(run_path: Path, key: str) -> tuple[list[Atoms], bool, str]:
    """The frames as ASE Atoms (positions as stored), whether they are full
    structures, and the one-line note when they are not."""
    from ase import Atoms

    rec = read_system(run_path, key)
    fw = read_framework(run_path, key)
    cell, li_pos = rec.cell, np.asarray(rec.positions, dtype=np.float64)
    mobile = str(rec.attrs["mobile_species"])
    if fw is None or fw.steps.size == 0:
        note = (
            f"{key}: no framework frames in {run_path.name} (framework_every_fs = 0): "
            f"exported the {mobile} ions only"
        )
        steps, times = rec.position_steps, rec.position_time_ps
        symbols = [mobile] * li_pos.shape[1]
        frames = li_pos
        full = False
    else:
        note = ""
        species = np.asarray(rec.attrs["species"])
        is_mobile = species == mobile
        li_steps = rec.position_steps
        at = np.minimum(np.searchsorted(li_steps, fw.steps), li_steps.size - 1)
        if np.any(li_steps[at] != fw.steps):
            raise InputError(
                f"{run_path}: {key} has framework frames without their {mobile} frame"
            )
        frames = np.empty((len(fw.steps), species.size, 3))
        frames[:, is_mobile] = li_pos[at]
        frames[:, ~is_mobile] = fw.positions
        steps, times, symbols, full = fw.steps, fw.time_ps, list(species), True
    images = []
    for pos, step, t in zip(frames, steps, times, strict=True):
        a = Atoms(symbols=symbols, positions=pos, cell=cell, pbc=True)
        a.info.update(step=int(step), time_ps=float(t), system=key)
        images.append(a)
    return images, full, note


def _wrapped_by_species(atoms: Atoms) -> Atoms:
    """A copy wrapped into the cell, the atoms grouped by species (in order of
    first appearance), as an XDATCAR holds them."""
    symbols = atoms.get_chemical_symbols()
    first = {s: i for i, s in reversed(list(enumerate(symbols)))}
    order = sorted(range(len(symbols)), key=lambda i: (first[symbols[i]], i))
    out = atoms[order]
    out.wrap()
    return out
