"""VASP XDATCAR files (plain or gzip, several restart files concatenated in
order) into a :class:`MobileTrajectory`, without a pymatgen Structure per frame.

The frames come from the streaming parser shared with the VASP bridge
(:class:`ionmd.fileformat.vasp_xdatcar.XdatcarReader`); each is unwrapped against
the previous one (:mod:`ionmd.numerics.unwrap`) and kept with a bounded stride
(:class:`~ionmd.analysis.readers._common.FrameCollector`). A cell that changes
between frames (NpT) is refused.
XDATCAR carries neither the time step, the output stride (NBLOCK) nor the
temperature: they come from the caller, or from an INCAR next to the first file
(POTIM, NBLOCK, TEBEG) when present.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ionmd.analysis.readers._common import (
    DEFAULT_MAX_FRAMES,
    FrameCollector,
    build_trajectory,
)
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError
from ionmd.fileformat.vasp_xdatcar import XdatcarReader


def _incar(path: Path) -> dict[str, float]:
    incar = path.parent / "INCAR"
    out: dict[str, float] = {}
    if not incar.is_file():
        return out
    for raw in incar.read_text(errors="replace").splitlines():
        for part in raw.split("#")[0].split("!")[0].split(";"):
            if "=" in part:
                key, _, val = part.partition("=")
                try:
                    out[key.strip().upper()] = float(val.split()[0])
                except (ValueError, IndexError):
                    pass
    return out


def read_xdatcar(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    timestep_fs: float | None = None,
    step_skip: int | None = None,
    temperature_K: float | None = None,
    material_id: str | None = None,
    mobile_species: str = "Li",
    max_frames: int = DEFAULT_MAX_FRAMES,
) -> MobileTrajectory:
    """Read one XDATCAR or several restart files in order into a
    :class:`MobileTrajectory` (positions unwrapped across files).

    ``step_skip`` is the MD steps between written frames (VASP NBLOCK); frames
    are decimated by a power of two when more than ``2 * max_frames`` are read.
    """
    plist = [Path(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
    if not plist:
        raise InputError("no XDATCAR given")
    incar = _incar(plist[0])
    timestep_fs = timestep_fs if timestep_fs is not None else incar.get("POTIM")
    if step_skip is None and "NBLOCK" in incar:
        step_skip = int(incar["NBLOCK"])
    temperature_K = temperature_K if temperature_K is not None else incar.get("TEBEG")
    if timestep_fs is None or step_skip is None:
        raise InputError(
            f"{plist[0]}: an XDATCAR does not state the time step or the "
            "output stride; pass --timestep-fs and --step-skip"
        )
    if timestep_fs <= 0 or step_skip < 1:
        raise InputError("--timestep-fs must be positive and --step-skip at least 1")
    collector = FrameCollector(max_frames=max_frames)
    reader = XdatcarReader(plist)
    for frame in reader:
        collector.push(frame.frac, cell=frame.cell, source=reader.path)
    frac, stride = collector.frames()
    header, cell = reader.header, collector.cell
    if header is None or cell is None or frac.shape[0] == 0:
        raise InputError(f"{plist[-1]}: no complete frame in the XDATCAR")
    if frac.shape[0] < 2:
        raise InputError(f"{plist[-1]}: only one complete frame in the XDATCAR")
    frame_interval_ps = timestep_fs * step_skip * stride * 1e-3
    return build_trajectory(
        frac=frac,
        symbols=list(header.symbols),
        cell_A=cell,
        frame_interval_ps=frame_interval_ps,
        temperature_K=temperature_K,
        material_id=material_id or _stem(plist[0]),
        source=str(plist[0]),
        mobile_species=mobile_species,
        displacements=collector.displacements,
        meta={
            "reader": "xdatcar",
            "files": [str(p) for p in plist],
            "frames_read": collector.n_seen,
            "frame_stride": stride,
            "timestep_fs": timestep_fs,
            "step_skip": step_skip,
            **(
                {
                    "partial": f"{reader.cut[-1]} cut off after "
                    f"{collector.n_seen} complete frames"
                }
                if reader.cut
                else {}
            ),
        },
    )


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".xz"):
        name = name.removesuffix(suffix)
    if name.upper().startswith("XDATCAR"):
        return path.resolve().parent.name
    return Path(name).stem
