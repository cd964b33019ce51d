"""Read the frames of one segment and check the seams between consecutive segments.

Step convention (VASP: "the configuration after a given number of ionic steps"):
XDATCAR frame ``i`` (0-based) of a segment is the geometry after ``(i + 1) · NBLOCK``
of the segment's ionic steps; its CONTCAR is the geometry after all ``n`` steps it
did, which the next segment copies to its POSCAR and starts from. With
``offset_k`` = steps done by the segments before k, frame i of segment k is at
global step ``offset_k + (i + 1) · NBLOCK``. vasprun.xml frames are the geometry
*before* each step (frame 0 = the segment's POSCAR); they are put on the same grid
(the NBLOCK-th steps) and frame 0 serves as the seam check.

A seam k → k+1 is accepted only if the start of segment k+1 (its POSCAR, or its
vasprun frame 0) equals, modulo lattice translations, the end of segment k (its
CONTCAR, else its last frame when that is the final step). Otherwise the start is
searched among segment k's frames: found earlier → an *overlap* (frames repeated),
not found → a *gap* (frames missing, or a restart from a foreign structure). A
segment whose XDATCAR holds more frames than its steps allow (duplicated frames) or
fewer (lost frames; tolerated for the last segment only, which may be cut short)
is refused too.

The CONTCAR need not equal the last XDATCAR frame: were VASP to write the geometry
*before* each step's update into XDATCAR (frames one step earlier than assumed
above), the whole grid would move by one step, which no MSD sees, and the seams are
still checked against CONTCAR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ionmd.errors import InputError
from ionmd.fileformat.vasp_xdatcar import iter_xdatcar, read_xdatcar_header
from ionmd.fileformat.vasprun import iter_vasprun, read_vasprun_symbols
from ionmd.vasp_bridge.outcar import OszicarSeries, read_oszicar, read_outcar_summary

#: largest Cartesian difference (Å) for two geometries to count as the same
SEAM_TOL_A: float = 1e-3


@dataclass(kw_only=True)
class SegmentFrames:
    """The frames of one segment: ``frac (F, N, 3)`` wrapped fractional coordinates at
    ``local_steps (F,)`` (ionic steps of this segment), ``cell (3, 3)`` Å."""

    name: str
    source: str
    symbols: tuple[str, ...]
    cell: np.ndarray
    frac: np.ndarray
    local_steps: np.ndarray
    steps_done: int
    steps_known: bool
    start_frac: np.ndarray | None = None
    end_frac: np.ndarray | None = None
    thermo: OszicarSeries | None = None
    elapsed_s: float | None = None
    n_cores: int | None = None
    notes: list[str] = field(default_factory=list)


def _read_poscar_frac(path: Path, n_atoms: int) -> np.ndarray | None:
    """Fractional positions of a POSCAR/CONTCAR (velocities, if any, ignored)."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    from pymatgen.io.vasp.inputs import Poscar

    try:
        structure = Poscar.from_file(path, check_for_potcar=False).structure
    except (ValueError, IndexError, OSError):
        raise InputError(f"{path}: unreadable POSCAR/CONTCAR") from None
    if len(structure) != n_atoms:
        raise InputError(f"{path}: {len(structure)} atoms, the trajectory has {n_atoms}")
    return np.asarray(structure.frac_coords, dtype=np.float64)


def same_geometry(
    a_frac: np.ndarray, b_frac: np.ndarray, *, cell: np.ndarray, tol_A: float = SEAM_TOL_A
) -> bool:
    """Whether two fractional geometries agree atom by atom modulo lattice translations."""
    d = a_frac - b_frac
    d -= np.round(d)
    return float(np.abs(d @ cell).max()) <= tol_A


def read_segment(seg_dir: str | Path, *, nblock: int) -> SegmentFrames:
    """Frames, steps, thermo and cost of one segment directory.

    Frames come from XDATCAR (streamed, plain or gzip by content; a truncated last
    frame dropped), else vasprun.xml (truncation tolerated), both read by
    :mod:`ionmd.fileformat` exactly as the analysis reads them.
    ``steps_done`` from OSZICAR, else OUTCAR, else the frames themselves.
    """
    seg_dir = Path(seg_dir)
    xdatcar = next(
        (p for p in (seg_dir / "XDATCAR", seg_dir / "XDATCAR.gz") if p.exists()), None
    )
    vasprun = seg_dir / "vasprun.xml"
    if xdatcar is not None:
        n_calcs = None
        header = read_xdatcar_header(xdatcar)
        symbols, cell, source = header.symbols, header.cell, "XDATCAR"
        frames = [f.frac for f in iter_xdatcar(xdatcar)]
        local = (np.arange(len(frames), dtype=np.int64) + 1) * nblock
        start = None
    elif vasprun.exists():
        symbols, source = read_vasprun_symbols(vasprun), "vasprun.xml"
        all_frames = list(iter_vasprun(vasprun))
        if not all_frames:
            raise InputError(f"{vasprun}: no complete ionic step")
        cell = all_frames[0].cell
        start = all_frames[0].frac
        n_calcs = len(all_frames)
        kept = [f for f in all_frames if f.number > 0 and f.number % nblock == 0]
        frames = [f.frac for f in kept]
        local = np.array([f.number for f in kept], dtype=np.int64)
    else:
        raise InputError(f"{seg_dir}: neither XDATCAR nor vasprun.xml")
    n_atoms = len(symbols)
    frac = np.stack(frames) if frames else np.empty((0, n_atoms, 3))

    thermo = None
    steps_known = True
    summary = (
        read_outcar_summary(seg_dir / "OUTCAR") if (seg_dir / "OUTCAR").exists() else None
    )
    if (seg_dir / "OSZICAR").exists():
        thermo = read_oszicar(seg_dir / "OSZICAR")
        steps_done = thermo.n_steps
    elif summary is not None and summary.ionic_steps:
        steps_done = summary.ionic_steps
    else:
        steps_done = (
            n_calcs if n_calcs is not None else (int(local[-1]) if len(local) else 0)
        )
        steps_known = n_calcs is not None
    if start is None:
        start = _read_poscar_frac(seg_dir / "POSCAR", n_atoms)
    end = _read_poscar_frac(seg_dir / "CONTCAR", n_atoms)
    if (
        n_calcs is not None
        and end is not None
        and steps_done == n_calcs
        and steps_done % nblock == 0
    ):
        # vasprun.xml stops before the last step's result: CONTCAR is that geometry
        frac = np.concatenate([frac, end[None]])
        local = np.append(local, steps_done)
    return SegmentFrames(
        name=seg_dir.name,
        source=source,
        symbols=tuple(symbols),
        cell=np.asarray(cell),
        frac=frac,
        local_steps=local,
        steps_done=steps_done,
        steps_known=steps_known,
        start_frac=start,
        end_frac=end,
        thermo=thermo,
        elapsed_s=summary.elapsed_s if summary else None,
        n_cores=summary.n_cores if summary else None,
    )


def check_frame_count(seg: SegmentFrames, *, nblock: int, is_last: bool) -> SegmentFrames:
    """Refuse duplicated frames; refuse lost frames except at the end of the last segment
    (then ``steps_done`` is cut to the frames that exist)."""
    if seg.source != "XDATCAR" or not seg.steps_known:
        return seg
    expected = seg.steps_done // nblock
    n = len(seg.local_steps)
    if n > expected:
        raise InputError(
            f"{seg.name}: {n} XDATCAR frames for {seg.steps_done} steps at NBLOCK {nblock} "
            f"(expected {expected}): overlap, frames are repeated"
        )
    if n < expected:
        if not is_last:
            raise InputError(
                f"{seg.name}: {n} XDATCAR frames for {seg.steps_done} steps at NBLOCK "
                f"{nblock} (expected {expected}): gap, frames are missing"
            )
        seg.notes.append(f"{seg.name}: XDATCAR cut short after {n} of {expected} frames")
        seg.steps_done = n * nblock
        seg.end_frac = None
    return seg


def _segment_end(seg: SegmentFrames, nblock: int) -> np.ndarray | None:
    if seg.end_frac is not None:
        return seg.end_frac
    if len(seg.local_steps) and seg.local_steps[-1] == seg.steps_done:
        return seg.frac[-1]
    return None


def check_seam(prev: SegmentFrames, nxt: SegmentFrames, *, nblock: int) -> None:
    """Raise :class:`InputError` unless ``nxt`` starts exactly where ``prev`` ended."""
    if nxt.symbols != prev.symbols:
        raise InputError(f"{nxt.name}: atoms differ from {prev.name}")
    if not np.allclose(nxt.cell, prev.cell, atol=1e-4):
        raise InputError(
            f"{nxt.name}: cell differs from {prev.name} (NVT runs keep the cell)"
        )
    if nxt.start_frac is None:
        raise InputError(
            f"{nxt.name}: no POSCAR, cannot check that it continues {prev.name}"
        )
    end = _segment_end(prev, nblock)
    if end is None:
        raise InputError(
            f"{prev.name}: no CONTCAR and no final frame, cannot check the seam "
            f"with {nxt.name}"
        )
    if same_geometry(nxt.start_frac, end, cell=prev.cell):
        return
    for i in range(len(prev.frac) - 1, -1, -1):
        if same_geometry(nxt.start_frac, prev.frac[i], cell=prev.cell):
            n_repeat = len(prev.frac) - 1 - i
            raise InputError(
                f"overlap between {prev.name} and {nxt.name}: {nxt.name} restarts from "
                f"{prev.name} frame {i} (step {prev.local_steps[i]}), repeating {n_repeat} "
                f"frame(s)"
            )
    raise InputError(
        f"gap between {prev.name} and {nxt.name}: {nxt.name} does not start from the "
        f"end of "
        f"{prev.name} (nor from any of its frames)"
    )
