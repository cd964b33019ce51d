"""``n_replicas``: independent copies of each (material, temperature, ordering).

Each copy is a material of its own (``<id>``, ``<id>#r2``, ...:
:mod:`ionmd.analysis.members`) with the same atoms and temperatures, so the
replicas run in the same batches as everything else, and each system is seeded
from its own id (:func:`ionmd.engine.seeding.system_seed`): the seed differs per
replica, does not depend on the batch, and a resumed run continues it. With
``n_replicas = 1`` the systems are returned as they are.
"""

from __future__ import annotations

import dataclasses

from ionmd.analysis.members import replica_material_id
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError


def with_replicas(
    systems: dict[str, list[SystemSpec]], *, n_replicas: int
) -> dict[str, list[SystemSpec]]:
    """material id -> its systems, with ``n_replicas`` copies of each material
    (the first under its own id)."""
    if n_replicas == 1:
        return systems
    out: dict[str, list[SystemSpec]] = {}
    for material_id, specs in systems.items():
        if "#r" in material_id:
            raise InputError(f"material id {material_id!r}: '#r' is reserved for replicas")
        for k in range(1, n_replicas + 1):
            rid = replica_material_id(material_id, k)
            out[rid] = [
                dataclasses.replace(s, material_id=rid, atoms=s.atoms.copy())  # type: ignore[attr-defined]
                for s in specs
            ]
    return out
