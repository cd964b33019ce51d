"""The systems the parts run: α-Li3N built with ASE and numpy only (no
pymatgen, no data file on the device)."""

from __future__ import annotations

import numpy as np


def standin_systems(reps: list[tuple[int, int, int]], *, temperature_K: float) -> list:
    """``len(reps)`` α-Li3N supercells (material ids ``li3n-standin-NN``) at one T."""
    from ionmd.engine.systems import SystemSpec
    from ionmd.structures.builders import alpha_li3n_atoms

    unit = alpha_li3n_atoms()
    return [
        SystemSpec(
            material_id=f"li3n-standin-{i:02d}",
            atoms=unit.repeat(r),
            temperature_K=temperature_K,
            run_seed=0,
            supercell=np.diag(r).astype(np.int64),
        )
        for i, r in enumerate(reps)
    ]


def ase_systems(*, min_cell_length_A: float, temperatures_K: tuple[float, ...]) -> list:
    """α-Li3N on the ≥ L supercell at each temperature (no pymatgen needed)."""
    from ionmd.engine.systems import SystemSpec
    from ionmd.structures.builders import alpha_li3n_atoms

    atoms = alpha_li3n_atoms(min_cell_length_A=min_cell_length_A)
    return [
        SystemSpec(
            material_id="alpha-Li3N",
            atoms=atoms.copy(),
            temperature_K=t,
            run_seed=0,
            supercell=np.eye(3, dtype=np.int64),
        )
        for t in temperatures_K
    ]


def n_atoms(systems: list) -> int:
    return sum(len(s.atoms) for s in systems)
