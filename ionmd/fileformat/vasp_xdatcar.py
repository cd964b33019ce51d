"""VASP XDATCAR, streamed: one frame at a time, never the whole file in memory.

The one XDATCAR parser of ionmd: the analysis readers
(:mod:`ionmd.analysis.readers.xdatcar`) and the VASP bridge
(:mod:`ionmd.vasp_bridge.segments_read`) both read through it.

- Plain or gzip, told apart by the content (the gzip magic bytes), not the name.
- Several files of one run (restarts) are read in order as one trajectory; a
  later file may start with its own header (it must declare the same atoms) or
  directly with frames (the previous header holds).
- The fixed-cell layout (one header, then ``Direct configuration= n`` blocks) and
  the variable-cell layout (the header repeated before each block) are read; each
  frame carries the cell in force. Cartesian blocks are converted to fractional.
- A truncated last frame (a run killed while writing) is dropped and reported in
  :attr:`XdatcarReader.cut`; a frame that is broken *before* the end of a file is
  an error, as is anything not plausible in a header (see :data:`MAX_ATOMS`).

Every refusal is an :class:`~ionmd.errors.InputError` with a one-line message.
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, cast

import numpy as np

from ionmd.errors import InputError

#: more atoms than this in a header is a corrupt count, not a system
MAX_ATOMS = 1_000_000
_FRAME_MARKERS = (b"direct", b"cartesian")
_GZIP_MAGIC = b"\x1f\x8b"


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
    """One configuration: its number as written by VASP, ``frac (n_atoms, 3)``
    fractional coordinates (as written, wrapped) and the ``cell (3, 3)`` in Å."""

    number: int
    frac: np.ndarray
    cell: np.ndarray


def open_maybe_gzip(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open a file for reading bytes, decompressing it if it is gzip (by content)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == _GZIP_MAGIC:  # buffered: GzipFile's own readline is slow Python
        return cast(IO[bytes], io.BufferedReader(gzip.open(path, "rb"), 1 << 20))
    return open(path, "rb")


def parse_header(lines: Sequence[bytes], path: Path | str) -> XdatcarHeader:
    """The header of an XDATCAR from its 7 lines (comment, scale, 3 lattice lines,
    element names, counts); anything implausible is an :class:`InputError`."""
    if len(lines) < 7:
        raise InputError(f"{path}: truncated XDATCAR header")
    try:
        scale = float(lines[1].split()[0])
        lattice = np.array([[float(x) for x in ln.split()[:3]] for ln in lines[2:5]])
    except (ValueError, IndexError):
        raise InputError(f"{path}: not an XDATCAR (bad scale or lattice lines)") from None
    if lattice.shape != (3, 3):
        raise InputError(f"{path}: not an XDATCAR (bad lattice lines)")
    with np.errstate(all="ignore"):
        if scale < 0:  # VASP: a negative scale is the cell volume
            scale = (-scale / abs(np.linalg.det(lattice))) ** (1.0 / 3.0)
        cell = lattice * scale
        det = np.linalg.det(cell) if np.all(np.isfinite(cell)) else 0.0
    if not (np.isfinite(det) and abs(det) > 1e-6):
        raise InputError(f"{path}: XDATCAR cell is degenerate or not finite")
    names = lines[5].decode(errors="replace").split()
    try:
        counts = [int(x) for x in lines[6].split()]
    except ValueError:
        raise InputError(
            f"{path}: XDATCAR without element symbols (VASP 4 format) is not supported"
        ) from None
    if any(n < 0 for n in counts) or sum(counts) > MAX_ATOMS:
        raise InputError(f"{path}: XDATCAR atom counts {counts} are not plausible")
    if not names or len(names) != len(counts) or any(s[0].isdigit() for s in names):
        raise InputError(
            f"{path}: XDATCAR element line {names} does not match counts {counts}"
        )
    symbols = tuple(
        s.split("/")[0].split("_")[0]
        for s, n in zip(names, counts, strict=True)
        for _ in range(n)
    )
    if not symbols:
        raise InputError(f"{path}: XDATCAR declares no atoms")
    return XdatcarHeader(
        comment=lines[0].decode(errors="replace").strip(), cell=cell, symbols=symbols
    )


def read_xdatcar_header(path: str | os.PathLike[str]) -> XdatcarHeader:
    """The (first) header of an XDATCAR without reading its frames."""
    path = Path(path)
    try:
        with open_maybe_gzip(path) as fh:
            lines = [ln for ln in islice(fh, 7)]
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: unreadable ({exc})") from None
    return parse_header(lines, path)


def _frame_number(line: bytes, count: int, path: Path) -> int:
    """The number after ``configuration=`` (else the running count)."""
    if b"=" not in line:
        return count
    try:
        return int(line.split(b"=")[-1].split()[0])
    except (ValueError, IndexError):
        raise InputError(
            f"{path}: unreadable line {line.strip().decode(errors='replace')!r}"
        ) from None


def _parse_block(block: list[bytes], n_atoms: int) -> np.ndarray:
    """The ``3 n_atoms`` numbers of a coordinate block (fewer or more when it is
    not one; a ``!`` comment on a line is ignored)."""
    data = b"".join(block)
    if b"!" in data:
        data = b" ".join(ln.split(b"!")[0] for ln in block)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            return np.fromstring(data.decode(errors="replace"), sep=" ")
    except (ValueError, DeprecationWarning):  # text that is not numbers
        return np.empty(0)


class XdatcarReader:
    """The frames of one XDATCAR, or of several restart files of one run in order.

    Iterate it once for the :class:`XdatcarFrame` s; meanwhile :attr:`path` is the
    file being read and :attr:`header` the last header read; :attr:`n_frames`
    counts the complete frames, :attr:`cut` lists the files whose last frame was
    cut short (and dropped).
    """

    def __init__(self, paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]):
        single = isinstance(paths, (str, os.PathLike))
        self.paths = [Path(p) for p in ([paths] if single else paths)]  # type: ignore[list-item]
        if not self.paths:
            raise InputError("no XDATCAR given")
        self.path = self.paths[0]  # the file being read
        self.header: XdatcarHeader | None = None
        self.n_frames = 0
        self.cut: list[str] = []

    def __iter__(self) -> Iterator[XdatcarFrame]:
        for path in self.paths:
            self.path = path
            with open_maybe_gzip(path) as fh:
                try:
                    yield from self._frames(path, fh)
                except (OSError, EOFError, zlib.error) as exc:
                    raise InputError(f"{path}: unreadable ({exc})") from None

    def _frames(self, path: Path, fh: IO[bytes]) -> Iterator[XdatcarFrame]:
        lines = iter(fh)
        count = 0  # frames of this file: the number when none is written
        for line in lines:
            if not line.strip():
                continue
            if not line.lstrip().lower().startswith(_FRAME_MARKERS):
                head = [line, *islice(lines, 6)]
                if self.header is not None and len(head) < 7:
                    self.cut.append(str(path))
                    return  # a repeated header cut short: the last frame is cut
                self._new_header(parse_header(head, path), path)
                continue
            header = self.header
            if header is None:
                raise InputError(f"{path}: frame before any XDATCAR header")
            count += 1
            number = _frame_number(line, count, path)
            n = header.n_atoms
            block = list(islice(lines, n))
            values = _parse_block(block, n) if len(block) == n else np.empty(0)
            if values.size != 3 * n:
                if len(block) < n or (next(lines, None) is None and values.size < 3 * n):
                    self.cut.append(str(path))
                    return  # truncated last frame (or last line): dropped
                raise InputError(
                    f"{path}: a frame does not hold {n} atoms with 3 coordinates each"
                )
            if not np.all(np.isfinite(values)):
                raise InputError(f"{path}: a frame holds non-finite coordinates")
            frac = values.reshape(n, 3)
            if line.lstrip().lower().startswith(b"cartesian"):
                frac = frac @ np.linalg.inv(header.cell)
            self.n_frames += 1
            yield XdatcarFrame(number=number, frac=frac, cell=header.cell)

    def _new_header(self, new: XdatcarHeader, path: Path) -> None:
        old = self.header
        if old is not None and new.symbols != old.symbols:
            raise InputError(
                f"{path}: a header declares {new.n_atoms} atoms "
                f"({_count(new.symbols)}), earlier frames had "
                f"{old.n_atoms} ({_count(old.symbols)})"
            )
        self.header = new


def iter_xdatcar(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> Iterator[XdatcarFrame]:
    """Yield the frames of an XDATCAR (or restart files) in order; a truncated last
    frame is dropped (use :class:`XdatcarReader` to learn that it was)."""
    yield from XdatcarReader(paths)


def _count(symbols: Sequence[str]) -> str:
    out: dict[str, int] = {}
    for s in symbols:
        out[s] = out.get(s, 0) + 1
    return " ".join(f"{k}{v}" for k, v in out.items())
