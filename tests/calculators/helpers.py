"""α-Li3N structures for calculator tests and the force-call benchmark."""

import numpy as np
from ase import Atoms

#: α-Li3N lattice constants, Å (P6/mmm).
LI3N_A = 3.648
LI3N_C = 3.875


def li3n_cell() -> Atoms:
    """α-Li3N cell: N at 1a (0,0,0); Li at 2c (1/3,2/3,0), (2/3,1/3,0) and 1b (0,0,1/2)."""
    a, c = LI3N_A, LI3N_C
    return Atoms(
        "NLi3",
        scaled_positions=[[0, 0, 0], [1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0], [0, 0, 0.5]],
        cell=[[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, c]],
        pbc=True,
    )


def li3n_supercell(
    reps: tuple[int, int, int], *, rattle_A: float = 0.05, seed: int = 0
) -> Atoms:
    """Rattled α-Li3N supercell (4 atoms per cell)."""
    atoms = li3n_cell().repeat(reps)
    atoms.rattle(stdev=rattle_A, seed=seed)
    return atoms
