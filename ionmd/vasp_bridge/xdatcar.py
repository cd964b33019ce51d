"""A streaming XDATCAR reader: one frame at a time, never the whole file in memory.

VASP writes one configuration every ``NBLOCK`` ionic steps. Both the fixed-cell
layout (one header, then ``Direct configuration= n`` blocks) and the variable-cell
layout (the header repeated before each block) are read. A truncated last frame (a
run killed while writing) is dropped, not an error. Files ending in ``.gz`` are read
compressed.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from ionmd.errors import InputError


@dataclass(frozen=True, kw_only=True)
class XdatcarHeader:
    """The system of an XDATCAR: ``cell (3, 3)`` row vectors in Å, symbols per atom."""

    comment: str
    cell: np.ndarray
    symbols: tuple[str, ...]

    @property
    def n_atoms(self) -> int:
        return len(self.symbols)


@dataclass(frozen=True, kw_only=True)
class XdatcarFrame:
    """One configuration: its number as written by VASP and ``frac (n_atoms, 3)``."""

    number: int
    frac: np.ndarray
    cell: np.ndarray


#: more atoms than this in a header is a corrupt count, not a system
_MAX_ATOMS = 1_000_000


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="ascii", errors="replace")
    return path.open("r", encoding="ascii", errors="replace")


def _read_header(lines: list[str], path: Path) -> XdatcarHeader:
    if len(lines) < 7:
        raise InputError(f"{path}: not an XDATCAR (header cut short)")
    try:
        scale = float(lines[1].split()[0])
        cell = np.array([[float(x) for x in lines[i].split()[:3]] for i in (2, 3, 4)])
        names = lines[5].split()
        counts = [int(x) for x in lines[6].split()]
    except (ValueError, IndexError):
        raise InputError(f"{path}: not an XDATCAR (unreadable header)") from None
    if len(names) != len(counts):
        raise InputError(f"{path}: element names and counts differ in the header")
    if any(c < 0 for c in counts) or sum(counts) > _MAX_ATOMS:
        raise InputError(f"{path}: XDATCAR atom counts {counts} are not plausible")
    with np.errstate(all="ignore"):
        if scale < 0:  # a negative scale is the volume
            scale = (-scale / abs(np.linalg.det(cell))) ** (1.0 / 3.0)
        det = np.linalg.det(cell * scale) if np.all(np.isfinite(cell * scale)) else 0.0
    if not (np.isfinite(det) and abs(det) > 1e-6):
        raise InputError(f"{path}: XDATCAR cell is degenerate or not finite")
    symbols = tuple(
        s.split("/")[0].split("_")[0]
        for s, c in zip(names, counts, strict=True)
        for _ in range(c)
    )
    return XdatcarHeader(comment=lines[0].strip(), cell=cell * scale, symbols=symbols)


def _parse_block(lines: list[str], n_atoms: int) -> np.ndarray | None:
    values = " ".join(lines).split()
    try:
        if len(values) == 3 * n_atoms:
            return np.array(values, dtype=float).reshape(n_atoms, 3)
        return np.array([line.split()[:3] for line in lines], dtype=float)
    except ValueError:
        return None


def read_xdatcar_header(path: str | Path) -> XdatcarHeader:
    """The header of an XDATCAR (cell and symbols) without reading the frames."""
    path = Path(path)
    try:
        with _open_text(path) as fh:
            lines = [fh.readline() for _ in range(7)]
    except (EOFError, zlib.error) as exc:  # a corrupt .gz (OSError: the caller's)
        raise InputError(f"{path}: unreadable ({exc})") from None
    return _read_header(lines, path)


def iter_xdatcar(path: str | Path) -> Iterator[XdatcarFrame]:
    """Yield the frames of an XDATCAR in order; a truncated last frame is dropped."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    try:
        yield from _iter_xdatcar(path)
    except (OSError, EOFError, zlib.error) as exc:  # a corrupt .gz
        raise InputError(f"{path}: unreadable ({exc})") from None


def _iter_xdatcar(path: Path) -> Iterator[XdatcarFrame]:
    with _open_text(path) as fh:
        header = _read_header([fh.readline() for _ in range(7)], path)
        n = header.n_atoms
        cell = header.cell
        while True:
            line = fh.readline()
            if not line:
                return
            if not line.strip():
                continue
            if "configuration" not in line:  # variable-cell layout: a repeated header
                block = [line] + [fh.readline() for _ in range(6)]
                if not block[-1]:
                    return
                cell = _read_header(block, path).cell
                continue
            try:
                number = int(line.split("=")[-1].split()[0])
            except (ValueError, IndexError):
                raise InputError(f"{path}: unreadable line {line.strip()!r}") from None
            block = [fh.readline() for _ in range(n)]
            if not block[-1].strip():
                return  # truncated last frame
            frac = _parse_block(block, n)
            if frac is None or frac.shape != (n, 3):
                return  # truncated or corrupt tail
            if not np.all(np.isfinite(frac)):
                raise InputError(f"{path}: frame {number} holds non-finite coordinates")
            yield XdatcarFrame(number=number, frac=frac, cell=cell)
