"""Resolve the ``materials`` of a config into (material id, structure) pairs.

Accepted: ``"obelix21"`` (the study's 21 OBELiX materials), ``"obelix22"``
(with goi), a list whose items are OBELiX ids, CIF/POSCAR paths, or
``"builtin:alpha-Li3N"`` (built in code, no data needed), or the toy
conductor's ``"builtin:toy-fast"``, ``"builtin:toy-slow"``, ``"builtin:toy-melt"``
(for ``model = "toy"``, docs/toy_conductor.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ionmd.errors import InputError

BUILTINS = (
    "builtin:alpha-Li3N",
    "builtin:toy-fast",
    "builtin:toy-slow",
    "builtin:toy-melt",
)


@dataclass(frozen=True)
class MaterialSource:
    """Where a material comes from (resolved lazily, so one bad entry fails
    alone)."""

    material_id: str
    kind: str  # "obelix", "file", "builtin"
    location: str


def material_sources(
    materials: str | Sequence[str], *, obelix_data: str | None
) -> list[MaterialSource]:
    """The sources named by a config, without reading any structure yet."""
    from ionmd.datasets.obelix import OBELIX21, OBELIX22

    if isinstance(materials, str):
        named = {"obelix21": OBELIX21, "obelix22": OBELIX22}
        if materials.lower() in named:
            materials = list(named[materials.lower()])
        else:
            materials = [materials]
    if not materials:
        raise InputError('no materials given (materials = "obelix21", ids or CIF paths)')
    out: list[MaterialSource] = []
    for item in materials:
        item = str(item)
        if item in BUILTINS:
            out.append(MaterialSource(item.split(":", 1)[1], "builtin", item))
        elif (
            Path(item).suffix.lower() in (".cif", ".vasp", ".poscar")
            or "/" in item
            or Path(item).name in ("POSCAR", "CONTCAR")
        ):
            path = Path(item)
            if not path.exists():
                raise InputError(f"material file {path} does not exist")
            out.append(
                MaterialSource(path.stem if path.suffix else path.name, "file", str(path))
            )
        else:
            out.append(MaterialSource(item, "obelix", item))
    ids = [m.material_id for m in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(f"materials named twice: {', '.join(dupes)}")
    return out


def load_material(
    source: MaterialSource,
    *,
    obelix_data: str | None,
    round_occupancies: bool,
    mobile_species: str,
) -> object:
    """The pymatgen Structure of one material (InputError with a clear reason)."""
    if source.kind == "builtin" and source.material_id.startswith("toy-"):
        from ionmd.structures.builders import toy_conductor

        return toy_conductor(source.material_id)
    if source.kind == "builtin":
        from ionmd.structures.builders import alpha_li3n

        return alpha_li3n()
    if source.kind == "file":
        from ionmd.structures.load import load_structure

        return load_structure(
            source.location,
            round_occupancies=round_occupancies,
            mobile_species=mobile_species,
        )
    from ionmd.datasets.obelix import obelix_structure

    return obelix_structure(
        source.location, data_path=obelix_data, round_occupancies=round_occupancies
    )
