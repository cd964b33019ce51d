"""Structures for VASP runs: the material's cell and its supercell (the engine's rule).

A material is an OBELiX id (read from ``obelix_data`` by :mod:`ionmd.datasets.obelix`)
or a path to a CIF/POSCAR. The supercell follows the engine's ≥ ``min_cell_length_A``
diagonal rule (:func:`ionmd.structures.min_length_supercell`) unless the material's
override says otherwise (the study used primitive cells for three large materials):
``"primitive"``, ``"as_is"``, ``"min_length"``, three repeats or a 3×3 matrix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from pymatgen.core import Structure

from ionmd.datasets.obelix import obelix_structure
from ionmd.errors import InputError
from ionmd.structures import load_structure, min_length_supercell

SUPERCELL_MODES: tuple[str, ...] = ("min_length", "primitive", "as_is")


def material_label(material_id: str) -> str:
    """The label of a material: its OBELiX id, or the stem of its structure file."""
    as_path = Path(material_id)
    return as_path.stem if as_path.suffix and as_path.exists() else material_id


def load_material(
    material_id: str,
    *,
    obelix_data: str | os.PathLike[str] | None = None,
    round_occupancies: bool = False,
) -> Structure:
    """The unit cell of a material: a structure file path, else an OBELiX id."""
    as_path = Path(material_id)
    if as_path.suffix and as_path.exists():
        return load_structure(as_path, round_occupancies=round_occupancies)
    return obelix_structure(
        material_id, data_path=obelix_data, round_occupancies=round_occupancies
    )


def build_supercell(
    structure: Structure, *, rule: Any = "min_length", min_cell_length_A: float = 10.0
) -> tuple[Structure, np.ndarray]:
    """The simulated cell and its (3, 3) integer matrix relative to ``structure``.

    For ``"primitive"`` the matrix maps the input cell to the primitive one (rounded,
    for the record only; it may be fractional for a centred cell).
    """
    if isinstance(rule, str):
        if rule == "min_length":
            cell, matrix = min_length_supercell(
                structure, min_cell_length_A=min_cell_length_A
            )
            return cell, np.asarray(matrix, dtype=int)
        if rule == "as_is":
            return structure.copy(), np.eye(3, dtype=int)
        if rule == "primitive":
            prim = structure.get_primitive_structure()
            matrix = prim.lattice.matrix @ np.linalg.inv(structure.lattice.matrix)
            return prim, np.rint(matrix).astype(int)
        raise InputError(
            f"unknown supercell rule {rule!r} (one of {SUPERCELL_MODES}, "
            "three repeats or a 3x3 matrix)"
        )
    matrix = np.asarray(rule, dtype=int)
    if matrix.shape == (3,):
        matrix = np.diag(matrix)
    if matrix.shape != (3, 3) or round(abs(np.linalg.det(matrix))) < 1:
        raise InputError(f"supercell {rule!r} is not three repeats or a 3x3 integer matrix")
    return structure.copy().make_supercell(matrix, in_place=False), matrix
