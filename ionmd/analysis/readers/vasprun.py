"""Streaming reader for VASP vasprun.xml of an MD run (one <calculation> per
ionic step), tolerant of a truncated file (a run killed at its walltime): the
frames complete before the break are kept and ``meta['truncated']`` is set.

Temperature (TEBEG) and time step (POTIM) come from the file's INCAR or
parameters section unless given.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ionmd.analysis.readers._common import (
    DEFAULT_MAX_FRAMES,
    FrameCollector,
    build_trajectory,
)
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError


def _varray(elem: ET.Element | None) -> np.ndarray | None:
    if elem is None:
        return None
    return np.array([[float(x) for x in (v.text or "").split()] for v in elem.findall("v")])


def _params(elem: ET.Element, into: dict[str, float]) -> None:
    for i in elem.iter("i"):
        name = i.get("name")
        if name and name not in into:
            try:
                into[name] = float((i.text or "").split()[0])
            except (ValueError, IndexError):
                pass


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
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: empty file")
    params: dict[str, float] = {}
    symbols: list[str] = []
    cell: np.ndarray | None = None
    collector = FrameCollector(max_frames=max_frames)
    truncated = False
    try:
        for _, elem in ET.iterparse(p, events=("end",)):
            tag = elem.tag
            if tag == "incar":
                _params(elem, params)
            elif tag == "parameters":
                _params(elem, params)
                elem.clear()
            elif tag == "atominfo":
                arr = elem.find("array[@name='atoms']/set")
                if arr is not None:
                    symbols = [(rc.findtext("c") or "").strip() for rc in arr.findall("rc")]
            elif tag == "calculation":
                try:
                    frac = _varray(elem.find("structure/varray[@name='positions']"))
                    basis = _varray(elem.find("structure/crystal/varray[@name='basis']"))
                except ValueError:
                    raise InputError(
                        f"{p}: ionic step {collector.n_seen + 1} holds numbers that "
                        "cannot be read"
                    ) from None
                elem.clear()
                if frac is None or basis is None:
                    continue
                if frac.shape != (len(symbols), 3):
                    raise InputError(
                        f"{p}: a step holds {frac.shape[0]} positions, the "
                        f"file declares {len(symbols)} atoms"
                    )
                if basis.shape != (3, 3):
                    raise InputError(f"{p}: a step's cell is not 3 x 3 numbers")
                if cell is None:
                    cell = basis
                elif not np.allclose(basis, cell, atol=1e-4):
                    raise InputError(
                        f"{p}: the cell changes between steps (NpT); only "
                        "fixed-cell (NVT) trajectories are supported"
                    )
                collector.push(frac)
    except (ET.ParseError, LookupError, UnicodeError) as exc:  # LookupError: bad encoding
        if collector.n_seen == 0:
            raise InputError(f"{p}: not a readable vasprun.xml ({exc})") from None
        truncated = True
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
