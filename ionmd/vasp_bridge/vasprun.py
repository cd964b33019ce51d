"""Frames from ``vasprun.xml`` when a segment has no XDATCAR, streamed, tolerating a
file cut off by a crash or the walltime (the complete ionic steps are kept).

vasprun.xml holds one ``<calculation>`` per ionic step; its ``<structure>`` gives
the cell (``basis``) and the fractional ``positions`` at which that step's forces
were computed, i.e. the geometry *before* that step: frame ``number`` = the ionic steps
done before it (0 is the segment's POSCAR, the seam with the previous segment).
Atom symbols come from ``<atominfo>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ionmd.errors import InputError
from ionmd.vasp_bridge.xdatcar import XdatcarFrame


def _varray(elem: ET.Element) -> np.ndarray:
    return np.array([[float(x) for x in v.text.split()] for v in elem.findall("v")])


def read_vasprun_symbols(path: str | Path) -> tuple[str, ...]:
    """Element symbol of each atom, from ``<atominfo>``."""
    try:
        for _, elem in ET.iterparse(path, events=("end",)):
            if elem.tag == "array" and elem.get("name") == "atoms":
                return tuple((r.findtext("c") or "").strip() for r in elem.iter("rc"))
    except (ET.ParseError, LookupError, UnicodeError) as exc:  # LookupError: encoding
        raise InputError(f"{path}: not a readable vasprun.xml ({exc})") from None
    raise InputError(f"{path}: no <atominfo> atoms array")


def iter_vasprun(path: str | Path) -> Iterator[XdatcarFrame]:
    """Yield one frame per complete ionic step, numbered 0, 1, ... (steps done before)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    number = -1
    parser = ET.iterparse(path, events=("end",))
    try:
        for _, elem in parser:
            if elem.tag != "calculation":
                continue
            structure = elem.find("structure")
            if structure is None:
                continue
            basis = structure.find("crystal/varray[@name='basis']")
            positions = structure.find("varray[@name='positions']")
            if basis is None or positions is None:
                continue
            number += 1
            try:
                frac, cell = _varray(positions), _varray(basis)
            except (ValueError, AttributeError):  # garbled numbers, an empty <v/>
                raise InputError(
                    f"{path}: ionic step {number} holds numbers that cannot be read"
                ) from None
            if cell.shape != (3, 3) or not (
                np.all(np.isfinite(frac)) and np.all(np.isfinite(cell))
            ):
                raise InputError(f"{path}: ionic step {number} has a bad cell or positions")
            yield XdatcarFrame(number=number, frac=frac, cell=cell)
            elem.clear()
    except ET.ParseError:
        return  # truncated file: keep the complete calculations read so far
    except (LookupError, UnicodeError) as exc:  # an unknown encoding declared
        raise InputError(f"{path}: not a readable vasprun.xml ({exc})") from None
