"""Structures built in code from published crystallographic data (no files needed).

``alpha_li3n`` is the embedded default for ``ionmd demo``: it must work on a
machine without the shared data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import ase
    from pymatgen.core import Structure

__all__ = ["ALPHA_LI3N_A_A", "ALPHA_LI3N_C_A", "alpha_li3n", "alpha_li3n_atoms"]

#: α-Li3N lattice parameters, Å (hexagonal P6/mmm, No. 191; Rabenau & Schulz,
#: J. Less-Common Met. 50, 155 (1976): a = 3.648 Å, c = 3.875 Å).
ALPHA_LI3N_A_A = 3.648
ALPHA_LI3N_C_A = 3.875


def alpha_li3n(*, a_A: float = ALPHA_LI3N_A_A, c_A: float = ALPHA_LI3N_C_A) -> Structure:
    """α-Li3N unit cell, 4 atoms (1 formula unit), P6/mmm.

    Wyckoff positions: N 1a (0, 0, 0); Li(2) 2c (1/3, 2/3, 0), (2/3, 1/3, 0) in the
    Li2N layer; Li(1) 1b (0, 0, 1/2) between layers. Site order: N, Li 2c, Li 2c,
    Li 1b. Density ≈ 1.29 g/cm³.

    Args:
        a_A, c_A: hexagonal lattice parameters, Å.
    """
    from pymatgen.core import Lattice, Structure

    return Structure(Lattice.hexagonal(a_A, c_A), list(_SPECIES), _FRAC.tolist())


_SPECIES = ("N", "Li", "Li", "Li")
_FRAC = np.array(
    [[0.0, 0.0, 0.0], [1 / 3, 2 / 3, 0.0], [2 / 3, 1 / 3, 0.0], [0.0, 0.0, 0.5]]
)


def alpha_li3n_atoms(
    *,
    min_cell_length_A: float = 0.0,
    a_A: float = ALPHA_LI3N_A_A,
    c_A: float = ALPHA_LI3N_C_A,
) -> ase.Atoms:
    """α-Li3N as ``ase.Atoms`` on the smallest diagonal supercell whose
    perpendicular widths are all >= ``min_cell_length_A`` (ASE and numpy only:
    no pymatgen, for the engine's benchmarks on a machine without it).

    Same cell, sites and order as :func:`alpha_li3n` (repeated with ``ase``'s
    ``repeat``); for this hexagonal cell the diagonal supercell is also the one
    :func:`ionmd.structures.supercell.min_length_supercell` picks (tested).
    """
    from ase import Atoms

    cell = np.array(
        [[a_A, 0.0, 0.0], [-a_A / 2, a_A * math.sqrt(3) / 2, 0.0], [0.0, 0.0, c_A]]
    )
    atoms = Atoms(symbols=list(_SPECIES), scaled_positions=_FRAC, cell=cell, pbc=True)
    volume = abs(np.linalg.det(cell))
    widths = [
        volume / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3]))
        for i in range(3)
    ]
    reps = [max(1, math.ceil(min_cell_length_A / w - 1e-9)) for w in widths]
    return atoms.repeat(reps)
