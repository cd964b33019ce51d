"""Supercells with a minimum size, as in the reference study (10 Å × 10 Å × 10 Å).

The study builds *diagonal* supercells: cell vector a_i is repeated n_i times with

    n_i = ceil(L / w_i),   w_i = V / |a_j × a_k|   (perpendicular width, Å)

the smallest repetition that puts opposite faces of the supercell at least L apart
(so a sphere of diameter L fits, and no atom meets its own image within L).
Checked against the study: over its 22 OBELiX materials (the 21 of Table 2 plus
``goi``, local randomized CIFs) this rule gives exactly the 5,716 atoms quoted for
the study's protocol; the variant with lattice-vector lengths |a_i| instead of
w_i gives 4,920 (``mode="diagonal_lengths"``, kept for comparison).

Cell convention: row vectors, Å (pymatgen ``lattice.matrix``, ASE ``cell``).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Literal

import numpy as np

from ionmd.errors import InputError

if TYPE_CHECKING:  # pymatgen on first use: the rule itself is numpy only (the GPU
    # machine has no pymatgen; ionmd.structures.builders uses supercell_repeats)
    from pymatgen.core import Structure

__all__ = [
    "diagonal_supercell",
    "min_length_supercell",
    "perpendicular_widths",
    "supercell_repeats",
]

#: Slack when comparing a width with the target, so 2 × 5.0000000001 Å counts as 10 Å.
_ROUND_TOL = 1e-8
#: A supercell of more atoms than this is refused before it is built (the study's
#: largest has a few hundred; 10^5 atoms of MACE do not fit one GPU).
MAX_SUPERCELL_ATOMS = 100_000

SupercellMode = Literal["diagonal", "diagonal_lengths"]


def perpendicular_widths(cell: np.ndarray) -> np.ndarray:
    """Distances between opposite faces of a cell, Å.

    Args:
        cell: (3, 3) row vectors a_0, a_1, a_2, Å.

    Returns:
        (3,) w_i = |V| / |a_j × a_k| for (i, j, k) cyclic: the width along the
        direction normal to the face spanned by the two *other* vectors.
    """
    m = np.asarray(cell, dtype=float)
    if m.shape != (3, 3):
        raise InputError(f"cell must be a 3x3 matrix of row vectors, got shape {m.shape}")
    volume = abs(float(np.linalg.det(m)))
    if not np.isfinite(volume) or volume < 1e-12:
        raise InputError("cell is degenerate (zero volume or non-finite)")
    areas = np.array(
        [np.linalg.norm(np.cross(m[(i + 1) % 3], m[(i + 2) % 3])) for i in range(3)]
    )
    return volume / areas


def supercell_repeats(
    cell: np.ndarray,
    *,
    min_cell_length_A: float = 10.0,
    mode: SupercellMode = "diagonal",
) -> np.ndarray:
    """Repeats (3,) int n_i of each cell vector for a diagonal supercell.

    ``mode="diagonal"``: n_i = ceil(L / w_i) with perpendicular widths w_i (the
    study's rule). ``mode="diagonal_lengths"``: n_i = ceil(L / |a_i|) (for
    comparison only: a skewed cell can then stay thinner than L).
    """
    if not np.isfinite(min_cell_length_A) or min_cell_length_A <= 0:
        raise InputError(f"min_cell_length_A must be positive, got {min_cell_length_A}")
    m = np.asarray(cell, dtype=float)
    if mode == "diagonal":
        sizes = perpendicular_widths(m)
    elif mode == "diagonal_lengths":
        perpendicular_widths(m)  # validates shape and volume
        sizes = np.linalg.norm(m, axis=1)
    else:
        raise InputError(f"unknown supercell mode {mode!r} (diagonal, diagonal_lengths)")
    ratio = min_cell_length_A / sizes
    n = np.ceil(ratio - _ROUND_TOL).astype(int)
    return np.maximum(n, 1)


def min_length_supercell(
    structure: Structure,
    *,
    min_cell_length_A: float = 10.0,
    mode: SupercellMode = "diagonal",
) -> tuple[Structure, np.ndarray]:
    """Smallest diagonal supercell whose perpendicular widths are all >= L.

    Args:
        structure: the unit cell (n_atoms sites), fully occupied.
        min_cell_length_A: L, Å (the study: 10).
        mode: see :func:`supercell_repeats`.

    Returns:
        (supercell, scaling_matrix): the supercell with n_atoms * n_0 n_1 n_2
        sites and the (3, 3) int matrix diag(n_0, n_1, n_2) such that
        supercell cell = scaling_matrix @ cell.

    Atom order (stable, documented): site-major, like pymatgen's ``make_supercell``:
    supercell index = parent_index * n_images + image_index, where the image
    (t_0, t_1, t_2), 0 <= t_i < n_i, has image_index = (t_0 * n_1 + t_1) * n_2 + t_2
    (t_2 fastest). Fractional coordinates are wrapped into [0, 1) of the supercell;
    site properties are copied to every image.
    """
    n = supercell_repeats(
        structure.lattice.matrix, min_cell_length_A=min_cell_length_A, mode=mode
    )
    return diagonal_supercell(structure, repeats=n, min_cell_length_A=min_cell_length_A)


def diagonal_supercell(
    structure: Structure,
    *,
    repeats: np.ndarray,
    min_cell_length_A: float | None = None,
) -> tuple[Structure, np.ndarray]:
    """The supercell diag(``repeats``) of ``structure`` (site order and the
    returned scaling matrix as :func:`min_length_supercell`); InputError above
    ``MAX_SUPERCELL_ATOMS``."""
    from pymatgen.core import Lattice, Structure

    n = np.asarray(repeats, dtype=int)
    n_atoms = len(structure) * int(np.prod(n.astype(float)))
    if n_atoms > MAX_SUPERCELL_ATOMS:
        what = "a" if min_cell_length_A is None else f"a {min_cell_length_A:g} Å"
        raise InputError(
            f"{what} supercell of {structure.composition.reduced_formula} "
            f"would hold {n_atoms:.3g} atoms (repeats {' x '.join(map(str, n))}), "
            f"more than {MAX_SUPERCELL_ATOMS}"
        )
    scaling = np.diag(n).astype(int)
    new_lattice = Lattice(scaling @ structure.lattice.matrix, pbc=structure.lattice.pbc)
    shifts = np.array(list(itertools.product(*(range(k) for k in n))), dtype=float)
    frac = np.asarray(structure.frac_coords, dtype=float)
    new_frac = (frac[:, None, :] + shifts[None, :, :]) / n  # (n_atoms, n_images, 3)
    new_frac = np.mod(new_frac.reshape(-1, 3), 1.0)
    new_frac[new_frac >= 1.0 - 1e-15] = 0.0  # mod can return 1.0 for tiny negatives
    n_images = len(shifts)
    species = [site.species for site in structure for _ in range(n_images)]
    props = {
        key: [v for v in values for _ in range(n_images)]
        for key, values in structure.site_properties.items()
    }
    supercell = Structure(
        new_lattice,
        species,
        new_frac,
        site_properties=props or None,
    )
    return supercell, scaling
