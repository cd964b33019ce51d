"""The names of the members of a pool: the replicas of a material.

``n_replicas = k`` runs k independent copies of each (material, temperature,
ordering), differing only in their initial velocities. The first keeps the
material's id (so its seed, system keys and data are those of a campaign
without replicas); the others are ``<id>#r2``, ``<id>#r3``, ... (system keys
``<id>_r2_<T>K``), each seeded from its own id (:mod:`ionmd.engine.seeding`).
An ordering's replicas are ``<id>#o1#r2``, .... The analysis reports each
replica as its own material and pools them (:mod:`ionmd.analysis.pooling`).
"""

from __future__ import annotations

__all__ = ["REPLICA_SEPARATOR", "member_base", "replica_material_id", "replica_of"]

REPLICA_SEPARATOR = "#r"


def replica_material_id(material_id: str, k: int) -> str:
    """``qa9`` for the first replica of qa9, ``qa9#r2`` for the second."""
    return material_id if k == 1 else f"{material_id}{REPLICA_SEPARATOR}{k}"


def replica_of(material_id: str) -> tuple[str, int]:
    """(``qa9``, 2) for ``qa9#r2``; (id, 1) for an id without a replica suffix."""
    head, sep, tail = material_id.rpartition(REPLICA_SEPARATOR)
    if sep and head and tail.isdigit() and int(tail) >= 2:
        return head, int(tail)
    return material_id, 1


def member_base(material_id: str) -> str:
    """The material a replica or ordering belongs to: ``qa9`` for ``qa9#o2#r3``."""
    from ionmd.structures.ordering import base_material_id

    return base_material_id(replica_of(material_id)[0])[0]
