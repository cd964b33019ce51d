"""Structures built in code from published crystallographic data (no files needed).

``alpha_li3n`` is the embedded default for ``ionmd demo``: it must work on a
machine without the shared data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymatgen.core import Lattice, Structure

if TYPE_CHECKING:
    from ase import Atoms

__all__ = ["ALPHA_LI3N_A_A", "ALPHA_LI3N_C_A", "ARGON_FCC_A", "alpha_li3n", "argon_fcc"]

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
    lattice = Lattice.hexagonal(a_A, c_A)
    species = ["N", "Li", "Li", "Li"]
    frac = [
        [0.0, 0.0, 0.0],
        [1 / 3, 2 / 3, 0.0],
        [2 / 3, 1 / 3, 0.0],
        [0.0, 0.0, 0.5],
    ]
    return Structure(lattice, species, frac)


#: fcc lattice constant of solid argon near 0 K, Å.
ARGON_FCC_A = 5.26


def argon_fcc(*, n_cells: int = 3, a_A: float = ARGON_FCC_A) -> Atoms:
    """Cubic fcc argon, `n_cells`³ conventional cells (4 atoms each: 108 for 3), as
    ASE ``Atoms``: the Lennard-Jones test system."""
    from ase.build import bulk

    if n_cells < 1:
        raise ValueError(f"n_cells must be >= 1, got {n_cells}")
    return bulk("Ar", "fcc", a=a_A, cubic=True).repeat((n_cells, n_cells, n_cells))
