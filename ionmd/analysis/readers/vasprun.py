"""VASP vasprun.xml of an MD run into a :class:`MobileTrajectory`, through the
streaming parser shared with the VASP bridge
(:class:`ionmd.fileformat.vasprun.VasprunReader`), tolerant of a truncated file (a
run killed at its walltime): the frames complete before the break are kept and
``meta['truncated']`` is set (and ``meta['partial']``, which the report shows). A
cell that changes between steps (NpT) is refused.

Temperature (TEBEG) and time step (POTIM) come from the file's INCAR or
parameters section unless given.
"""

from __future__ import annotations

import os
from pathlib import Path

from ionmd.analysis.readers._common import (
    DEFAULT_MAX_FRAMES,
    FrameCollector,
    build_trajectory,
)
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError
from ionmd.fileformat.vasprun import VasprunReader


def read_vasprun(
    path: str | os.PathLike[str],
    *,
    timestep_fs: float | None = None,
    temperature_K: float | None = None,
    material_id: str | None = None,
    mobile_species: str = "Li",
    max_frames: int = DEFAULT_MAX_FRAMES,
) -> MobileTrajectory:
    """Read the ionic steps of a vasprun.xml into a :class:`MobileTrajectory`."""
    p = Path(path)
    reader = VasprunReader(p)
    collector = FrameCollector(max_frames=max_frames)
    for frame in reader:
        collector.push(frame.frac, cell=frame.cell, source=p, unit="steps")
    if reader.truncated and collector.n_seen == 0:
        raise InputError(f"{p}: not a readable vasprun.xml ({reader.parse_error})")
    truncated, cell = reader.truncated, collector.cell
    params, symbols = reader.params, list(reader.symbols)
    frac_all, stride = collector.frames()
    if not symbols:
        raise InputError(f"{p}: no <atominfo> atoms in vasprun.xml")
    if cell is None or frac_all.shape[0] < 2:
        raise InputError(f"{p}: fewer than 2 complete ionic steps in vasprun.xml")
    timestep_fs = timestep_fs if timestep_fs is not None else params.get("POTIM")
    if timestep_fs is None or timestep_fs <= 0:
        raise InputError(f"{p}: no POTIM in vasprun.xml; pass --timestep-fs")
    if temperature_K is None:
        tebeg = params.get("TEBEG")
        # VASP's default TEBEG (not an MD run's setting) must not pass for a temperature
        temperature_K = tebeg if tebeg is not None and tebeg >= 1.0 else None
    return build_trajectory(
        frac=frac_all,
        symbols=symbols,
        cell_A=cell,
        frame_interval_ps=timestep_fs * stride * 1e-3,
        temperature_K=temperature_K,
        material_id=material_id or p.resolve().parent.name,
        source=str(p),
        mobile_species=mobile_species,
        displacements=collector.displacements,
        meta={
            "reader": "vasprun",
            "frames_read": collector.n_seen,
            "frame_stride": stride,
            "timestep_fs": timestep_fs,
            "step_skip": 1,
            "truncated": truncated,
            **(
                {"partial": f"vasprun.xml cut off after {collector.n_seen} ionic steps"}
                if truncated
                else {}
            ),
        },
    )
