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

__all__ = [
    "ALPHA_LI3N_A_A",
    "ALPHA_LI3N_C_A",
    "ARGON_FCC_A",
    "alpha_li3n",
    "alpha_li3n_atoms",
    "argon_fcc",
    "toy_conductor",
]

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


# --- toy conductor (ionmd/calculators/toy.py; docs/toy_conductor.md) ----------

#: Variant → framework element; must match ``ionmd.calculators.toy``.
TOY_FRAMEWORK_ELEMENT = {"toy-fast": "Kr", "toy-slow": "Xe", "toy-melt": "Ar"}
#: fcc lattice constant of the toy framework, Å: the zero-pressure minimum of
#: its shifted-force LJ (σ = 3.4 Å, cutoff 2σ) at 0 K (tests check it).
TOY_FCC_A_A = 5.36
#: Conventional fcc cells per edge (3: 108 framework atoms, 15.9 Å).
TOY_N_CELLS = 3
#: Li on this many of the 108 octahedral interstices (random, seeded).
TOY_N_LI = 27


def toy_conductor(
    variant: str, *, n_cells: int = TOY_N_CELLS, n_li: int = TOY_N_LI, seed: int = 0
) -> Structure:
    """A toy-conductor cell: fcc framework + Li on octahedral interstices.

    ``variant``: ``"toy-fast"``, ``"toy-slow"`` or ``"toy-melt"`` (the framework
    element differs, see ``TOY_FRAMEWORK_ELEMENT``). The cell is already the
    simulation cell (``n_cells``³ conventional cells, ≥ 10 Å per edge for
    ``n_cells`` ≥ 2); ``n_li`` of the ``4 n_cells³`` octahedral sites (fcc
    (½,0,0)-type) hold Li, chosen with ``seed``; the empty ones let Li hop.
    Framework atoms first, then Li.
    """
    from pymatgen.core import Lattice, Structure

    if variant not in TOY_FRAMEWORK_ELEMENT:
        raise ValueError(
            f"unknown toy variant {variant!r}: one of {', '.join(TOY_FRAMEWORK_ELEMENT)}"
        )
    n_sites = 4 * n_cells**3
    if not 0 < n_li <= n_sites:
        raise ValueError(f"n_li must be in 1..{n_sites}, got {n_li}")
    fcc = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    octa = np.array([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0.5, 0.5]])
    shifts = np.array(
        [[i, j, k] for i in range(n_cells) for j in range(n_cells) for k in range(n_cells)]
    )
    frame = ((fcc[None, :, :] + shifts[:, None, :]) / n_cells).reshape(-1, 3)
    sites = ((octa[None, :, :] + shifts[:, None, :]) / n_cells).reshape(-1, 3)
    chosen = np.sort(np.random.default_rng(seed).choice(n_sites, size=n_li, replace=False))
    lattice = Lattice.cubic(TOY_FCC_A_A * n_cells)
    species = [TOY_FRAMEWORK_ELEMENT[variant]] * len(frame) + ["Li"] * n_li
    return Structure(lattice, species, np.vstack([frame, sites[chosen]]))


#: fcc lattice constant of solid argon near 0 K, Å.
ARGON_FCC_A = 5.26


def argon_fcc(*, n_cells: int = 3, a_A: float = ARGON_FCC_A) -> ase.Atoms:
    """Cubic fcc argon, `n_cells`³ conventional cells (4 atoms each: 108 for 3), as
    ASE ``Atoms``: the Lennard-Jones test system."""
    from ase.build import bulk

    if n_cells < 1:
        raise ValueError(f"n_cells must be >= 1, got {n_cells}")
    return bulk("Ar", "fcc", a=a_A, cubic=True).repeat((n_cells, n_cells, n_cells))
