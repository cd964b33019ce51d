"""Resolve the ``materials`` of a config into (material id, structure) pairs.

Accepted: ``"obelix21"`` (the study's 21 OBELiX materials), ``"obelix22"``
(with goi), ``"obelix-cif"`` (every OBELiX entry with a CIF that contains Li),
a list whose items are OBELiX ids, CIF/POSCAR paths, or
``"builtin:alpha-Li3N"`` (built in code, no data needed), or the toy
conductor's ``"builtin:toy-fast"``, ``"builtin:toy-slow"``, ``"builtin:toy-melt"``
(for ``model = "toy"``, docs/toy_conductor.md).
"""

from __future__ import annotations

from collections import Counter
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

    if isinstance(materials, str) and not materials.strip():
        raise InputError('no materials given (materials = "obelix21", ids or CIF paths)')
    if isinstance(materials, str):
        named = {"obelix21": OBELIX21, "obelix22": OBELIX22}
        if materials.lower() == "obelix-cif":  # every OBELiX entry whose CIF has Li
            from ionmd.datasets.obelix import obelix_cif_ids

            materials = obelix_cif_ids(data_path=obelix_data)
        elif materials.lower() in named:
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
            shown = item if len(item) <= 120 else f"{item[:60]}…({len(item)} characters)"
            try:
                exists = path.is_file() or path.exists()
            except OSError as exc:  # a name too long, a loop of symlinks
                raise InputError(f"material file {shown}: {exc.strerror or exc}") from None
            if not exists:
                raise InputError(f"material file {shown} does not exist")
            out.append(
                MaterialSource(path.stem if path.suffix else path.name, "file", str(path))
            )
        else:
            out.append(MaterialSource(item, "obelix", item))
    counts = Counter(m.material_id for m in out)
    dupes = sorted(i for i, n in counts.items() if n > 1)
    if dupes:
        raise InputError(f"materials named twice: {_first_few(dupes)}")
    _check_obelix_ids([m.material_id for m in out if m.kind == "obelix"], obelix_data)
    return out


def _first_few(items: Sequence[str], *, shown: int = 5) -> str:
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(repr(x)[:60] for x in items[:shown]) + more


def _check_obelix_ids(ids: list[str], obelix_data: str | None) -> None:
    """All OBELiX ids at once: one line for any number of unknown ids (their
    count, the first few, and the nearest valid names)."""
    if not ids:
        return
    import difflib

    from ionmd.datasets.obelix import obelix_ids

    known = set(obelix_ids(data_path=obelix_data))
    unknown = [i for i in ids if i.strip().lower() not in known]
    if not unknown:
        return
    hints = []
    for item in unknown[:3]:
        close = difflib.get_close_matches(
            item.strip().lower(), sorted(known), n=1, cutoff=0.5
        )
        if close:
            hints.append(f"{item!r}: {close[0]}?"[:80])
    hint = f" (nearest: {'; '.join(hints)})" if hints else ""
    raise InputError(
        f"{len(unknown)} unknown OBELiX id(s) of {len(ids)}: {_first_few(unknown)}{hint}"
    )


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
