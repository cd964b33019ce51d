"""From structures to engine systems (10 Å rule) and batches that fit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ionmd.engine.config import RunConfig
from ionmd.engine.systems import SystemSpec


def systems_for_material(
    material_id: str, structure: object, *, config: RunConfig
) -> list[SystemSpec]:
    """One system per temperature, on the smallest diagonal supercell whose
    perpendicular widths are all >= ``config.min_cell_length_A``."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ionmd.structures.supercell import min_length_supercell

    sc, matrix = min_length_supercell(
        structure,  # type: ignore[arg-type]
        min_cell_length_A=config.min_cell_length_A,
    )
    atoms = AseAtomsAdaptor.get_atoms(sc)
    atoms.info.clear()
    return [
        SystemSpec(
            material_id=material_id,
            atoms=atoms.copy(),
            temperature_K=float(t),
            run_seed=config.seed,
            supercell=np.asarray(matrix, dtype=np.int64),
        )
        for t in config.temperatures_K
    ]


def pack_batches(
    systems: Sequence[SystemSpec], *, max_atoms: int
) -> list[list[SystemSpec]]:
    """Greedy first-fit-decreasing packing into batches of at most ``max_atoms``
    atoms (0: everything in one batch). A system larger than the limit gets a
    batch of its own."""
    if max_atoms <= 0:
        return [list(systems)]
    order = sorted(systems, key=lambda s: -len(s.atoms))  # type: ignore[arg-type]
    batches: list[list[SystemSpec]] = []
    sizes: list[int] = []
    for s in order:
        n = len(s.atoms)  # type: ignore[arg-type]
        for i, size in enumerate(sizes):
            if size + n <= max_atoms:
                batches[i].append(s)
                sizes[i] += n
                break
        else:
            batches.append([s])
            sizes.append(n)
    return batches
