"""Streaming reader for VASP XDATCAR files (plain or .gz, several restart files
concatenated in order), without a pymatgen Structure per frame.

Each frame's block of coordinate lines is parsed by numpy in one call, unwrapped
against the previous frame (:mod:`ionmd.analysis.unwrap`) and kept with a
bounded stride (:class:`~ionmd.analysis.readers._common.FrameCollector`).
XDATCAR carries neither the time step, the output stride (NBLOCK) nor the
temperature: they come from the caller, or from an INCAR next to the first file
(POTIM, NBLOCK, TEBEG) when present.
"""

from __future__ import annotations

import gzip
import os
import warnings
import zlib
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import IO, cast

import numpy as np

from ionmd.analysis.readers._common import (
    DEFAULT_MAX_FRAMES,
    FrameCollector,
    build_trajectory,
)
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError

_FRAME_MARKERS = (b"direct", b"cartesian")
#: more atoms than this in a header is a corrupt count, not a system
MAX_ATOMS = 1_000_000


def _open(path: Path) -> IO[bytes]:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


class _Header:
    def __init__(self, lines: list[bytes], path: Path) -> None:
        if len(lines) < 7:
            raise InputError(f"{path}: truncated XDATCAR header")
        try:
            scale = float(lines[1].split()[0])
            lattice = np.array([[float(x) for x in ln.split()[:3]] for ln in lines[2:5]])
        except (ValueError, IndexError):
            raise InputError(
                f"{path}: not an XDATCAR (bad scale or lattice lines)"
            ) from None
        if lattice.shape != (3, 3):
            raise InputError(f"{path}: not an XDATCAR (bad lattice lines)")
        with np.errstate(all="ignore"):
            if scale < 0:  # VASP: a negative scale is the cell volume
                scale = (-scale / abs(np.linalg.det(lattice))) ** (1.0 / 3.0)
            self.cell_A = lattice * scale
            det = np.linalg.det(self.cell_A) if np.all(np.isfinite(self.cell_A)) else 0.0
        if not (np.isfinite(det) and abs(det) > 1e-6):
            raise InputError(f"{path}: XDATCAR cell is degenerate or not finite")
        symbols = lines[5].decode(errors="replace").split()
        try:
            counts = [int(x) for x in lines[6].split()]
        except ValueError:
            raise InputError(
                f"{path}: XDATCAR without element symbols (VASP 4 format) is not supported"
            ) from None
        if any(n < 0 for n in counts) or sum(counts) > MAX_ATOMS:
            raise InputError(f"{path}: XDATCAR atom counts {counts} are not plausible")
        if (
            not symbols
            or len(symbols) != len(counts)
            or any(s[0].isdigit() for s in symbols)
        ):
            raise InputError(
                f"{path}: XDATCAR element line {symbols} does not match counts {counts}"
            )
        self.symbols = [
            s.split("/")[0].split("_")[0]
            for s, n in zip(symbols, counts, strict=True)
            for _ in range(n)
        ]
        self.n_atoms = len(self.symbols)
        if self.n_atoms == 0:
            raise InputError(f"{path}: XDATCAR declares no atoms")


def _frames(
    path: Path, fh: IO[bytes], header: _Header | None, cut: list[str] | None = None
) -> Iterator[tuple[_Header, np.ndarray, bool]]:
    """Yield (header, frame (N, 3), cartesian?) for each complete frame of one file;
    an incomplete last frame is dropped and the file noted in ``cut``."""
    cut = [] if cut is None else cut
    lines = iter(fh)
    while True:
        line = next(lines, None)
        if line is None:
            return
        if not line.strip():
            continue
        if line.lstrip().lower().startswith(_FRAME_MARKERS):
            if header is None:
                raise InputError(f"{path}: frame before any XDATCAR header")
            block = list(islice(lines, header.n_atoms))
            if len(block) < header.n_atoms:
                cut.append(str(path))
                return  # truncated last frame: dropped
            text = b" ".join(ln.split(b"!")[0] for ln in block).decode(errors="replace")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", DeprecationWarning)
                    values = np.fromstring(text, sep=" ")
            except (ValueError, DeprecationWarning):  # text that is not numbers
                values = np.empty(0)
            if values.size != 3 * header.n_atoms:
                if next(lines, None) is None and values.size < 3 * header.n_atoms:
                    cut.append(str(path))
                    return  # truncated last line
                raise InputError(
                    f"{path}: a frame does not hold {header.n_atoms} atoms "
                    "with 3 coordinates each"
                )
            if not np.all(np.isfinite(values)):
                raise InputError(f"{path}: a frame holds non-finite coordinates")
            cart = line.lstrip().lower().startswith(b"cartesian")
            yield header, values.reshape(header.n_atoms, 3), cart
        else:
            head = [line, *islice(lines, 6)]
            new = _Header(head, path)
            if header is not None and new.symbols != header.symbols:
                raise InputError(
                    f"{path}: a header declares {new.n_atoms} atoms "
                    f"({_count(new.symbols)}), earlier frames had "
                    f"{header.n_atoms} ({_count(header.symbols)})"
                )
            if header is not None and not np.allclose(new.cell_A, header.cell_A, atol=1e-4):
                raise InputError(
                    f"{path}: the cell changes between frames (NpT); only "
                    "fixed-cell (NVT) trajectories are supported"
                )
            header = new


def _count(symbols: list[str]) -> str:
    out: dict[str, int] = {}
    for s in symbols:
        out[s] = out.get(s, 0) + 1
    return " ".join(f"{k}{v}" for k, v in out.items())


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
    header: _Header | None = None
    cut: list[str] = []
    for path in plist:
        with _open(path) as fh:
            try:
                for hdr, frame, cart in _frames(path, fh, header, cut):
                    header = hdr
                    collector.push(frame @ np.linalg.inv(hdr.cell_A) if cart else frame)
            except (OSError, EOFError, zlib.error) as exc:
                raise InputError(f"{path}: unreadable ({exc})") from None
    frac, stride = collector.frames()
    if header is None or frac.shape[0] == 0:
        raise InputError(f"{plist[-1]}: no complete frame in the XDATCAR")
    if frac.shape[0] < 2:
        raise InputError(f"{plist[-1]}: only one complete frame in the XDATCAR")
    frame_interval_ps = timestep_fs * step_skip * stride * 1e-3
    return build_trajectory(
        frac=frac,
        symbols=header.symbols,
        cell_A=header.cell_A,
        frame_interval_ps=frame_interval_ps,
        temperature_K=temperature_K,
        material_id=material_id or _stem(plist[0]),
        source=str(plist[0]),
        mobile_species=mobile_species,
        meta={
            "reader": "xdatcar",
            "files": [str(p) for p in plist],
            "frames_read": collector.n_seen,
            "frame_stride": stride,
            "timestep_fs": timestep_fs,
            "step_skip": step_skip,
            **(
                {"partial": f"{cut[-1]} cut off after {collector.n_seen} complete frames"}
                if cut
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
