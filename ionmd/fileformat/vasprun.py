"""VASP vasprun.xml of an MD run, streamed: one ``<calculation>`` per ionic step.

The one vasprun.xml parser of ionmd, read by the analysis
(:mod:`ionmd.analysis.readers.vasprun`) and the VASP bridge
(:mod:`ionmd.vasp_bridge.segments_read`).

Each ``<calculation>``'s ``<structure>`` gives the cell (``basis``) and the
fractional ``positions`` at which that step's forces were computed, i.e. the
geometry *before* the step: frame ``number`` = the ionic steps done before it
(0 is the run's POSCAR). Atom symbols come from ``<atominfo>``, the INCAR
parameters (POTIM, TEBEG, ...) from ``<incar>`` and ``<parameters>``.

A file cut off (a run killed at its walltime) keeps the complete steps read so
far and sets :attr:`VasprunReader.truncated`; every other fault is an
:class:`~ionmd.errors.InputError` with a one-line message.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ionmd.errors import InputError
from ionmd.fileformat.vasp_xdatcar import XdatcarFrame


def _varray(elem: ET.Element) -> np.ndarray:
    """The rows of a ``<varray>`` as a float array (ValueError if not numbers)."""
    return np.array([[float(x) for x in (v.text or "").split()] for v in elem.findall("v")])


def _params(elem: ET.Element, into: dict[str, float]) -> None:
    for i in elem.iter("i"):
        name = i.get("name")
        if name and name not in into:
            try:
                into[name] = float((i.text or "").split()[0])
            except (ValueError, IndexError):
                pass


class VasprunReader:
    """The ionic steps of one vasprun.xml.

    Iterate it once for the frames (:class:`~ionmd.fileformat.vasp_xdatcar.XdatcarFrame`,
    numbered 0, 1, ...); meanwhile and afterwards :attr:`symbols` (one per atom),
    :attr:`params` (numeric INCAR/parameters entries), :attr:`n_frames`,
    :attr:`truncated` and :attr:`parse_error` (why the XML stopped) are filled.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{self.path}: no such file")
        if self.path.stat().st_size == 0:
            raise InputError(f"{self.path}: empty file")
        self.symbols: tuple[str, ...] = ()
        self.params: dict[str, float] = {}
        self.n_frames = 0
        self.truncated = False
        self.parse_error = ""

    def __iter__(self) -> Iterator[XdatcarFrame]:
        p = self.path
        try:
            for _, elem in ET.iterparse(p, events=("end",)):
                tag = elem.tag
                if tag == "incar":
                    _params(elem, self.params)
                elif tag == "parameters":
                    _params(elem, self.params)
                    elem.clear()
                elif tag == "atominfo":
                    arr = elem.find("array[@name='atoms']/set")
                    if arr is not None:
                        self.symbols = tuple(
                            (rc.findtext("c") or "").strip() for rc in arr.findall("rc")
                        )
                elif tag == "calculation":
                    frame = self._frame(elem)
                    elem.clear()
                    if frame is not None:
                        self.n_frames += 1
                        yield frame
        except ET.ParseError as exc:  # cut off: keep the complete steps read so far
            self.truncated = True
            self.parse_error = str(exc)
        except (LookupError, UnicodeError) as exc:  # LookupError: an unknown encoding
            raise InputError(f"{p}: not a readable vasprun.xml ({exc})") from None

    def _frame(self, elem: ET.Element) -> XdatcarFrame | None:
        p, number = self.path, self.n_frames
        positions = elem.find("structure/varray[@name='positions']")
        basis = elem.find("structure/crystal/varray[@name='basis']")
        if positions is None or basis is None:
            return None
        try:
            frac, cell = _varray(positions), _varray(basis)
        except ValueError:  # garbled numbers, rows of different lengths
            raise InputError(
                f"{p}: ionic step {number} holds numbers that cannot be read"
            ) from None
        if frac.shape != (len(self.symbols), 3):
            raise InputError(
                f"{p}: a step holds {frac.shape[0]} positions, the "
                f"file declares {len(self.symbols)} atoms"
            )
        if cell.shape != (3, 3):
            raise InputError(f"{p}: a step's cell is not 3 x 3 numbers")
        if not (np.all(np.isfinite(frac)) and np.all(np.isfinite(cell))):
            raise InputError(f"{p}: ionic step {number} has a bad cell or positions")
        return XdatcarFrame(number=number, frac=frac, cell=cell)


def iter_vasprun(path: str | os.PathLike[str]) -> Iterator[XdatcarFrame]:
    """Yield one frame per complete ionic step, numbered 0, 1, ... (steps done
    before it); a file cut off ends after its last complete step."""
    yield from VasprunReader(path)


def read_vasprun_symbols(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Element symbol of each atom, from ``<atominfo>`` (the file read up to it)."""
    try:
        for _, elem in ET.iterparse(path, events=("end",)):
            if elem.tag == "array" and elem.get("name") == "atoms":
                return tuple((r.findtext("c") or "").strip() for r in elem.iter("rc"))
    except (ET.ParseError, LookupError, UnicodeError) as exc:  # LookupError: encoding
        raise InputError(f"{path}: not a readable vasprun.xml ({exc})") from None
    raise InputError(f"{path}: no <atominfo> atoms array")
