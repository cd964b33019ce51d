"""A material's engine systems under the config's ``occupancy`` mode.

"refuse" and "round": one material, one system per temperature (as before).
"order": a partially occupied structure becomes up to ``n_orderings`` materials
``<id>#o1``, ``<id>#o2``, ... (:mod:`ionmd.structures.ordering`; only
symmetry-distinct orderings, so fewer when fewer were found: the record's
``fewer_orderings`` says so and the log warns), each with one
system per temperature, so the orderings run as replicas in the same batches at
the same temperatures; the analysis pools them (:mod:`ionmd.analysis.pooling`).
A fully occupied structure stays one material. ``n_replicas`` > 1 then copies
every material (each ordering too) into independent replicas
(:mod:`ionmd.campaign.replicas`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ionmd.campaign.config import CampaignConfig as RunConfig
from ionmd.campaign.materials import MaterialSource, load_material
from ionmd.campaign.plan import systems_for_material
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError
from ionmd.log import get_logger

log = get_logger(__name__)


def load_disordered(source: MaterialSource, *, config: RunConfig) -> object:
    """The structure as written (partial occupancies kept), checked otherwise."""
    from ionmd.structures.load import load_structure

    if source.kind == "builtin":
        return load_material(
            source,
            obelix_data=config.obelix_data,
            round_occupancies=False,
            mobile_species=config.mobile_species,
        )
    if source.kind == "file":
        path: object = source.location
    else:
        from ionmd.datasets.obelix import obelix_cif_path

        path = obelix_cif_path(source.location, data_path=config.obelix_data)
    return load_structure(
        path,  # type: ignore[arg-type]
        allow_partial=True,
        mobile_species=config.mobile_species,
    )


def material_systems(
    source: MaterialSource, *, config: RunConfig
) -> tuple[dict[str, list[SystemSpec]], dict[str, Any] | None]:
    """(material id -> its systems, how its orderings were made or None), each
    material (ordering) in ``config.n_replicas`` replicas."""
    from ionmd.campaign.replicas import with_replicas

    systems, note = _unreplicated_systems(source, config=config)
    return with_replicas(systems, n_replicas=config.n_replicas), note


def _unreplicated_systems(
    source: MaterialSource, *, config: RunConfig
) -> tuple[dict[str, list[SystemSpec]], dict[str, Any] | None]:
    mode = config.occupancy_mode
    if mode != "order":
        structure = load_material(
            source,
            obelix_data=config.obelix_data,
            round_occupancies=mode == "round",
            mobile_species=config.mobile_species,
        )
        return {
            source.material_id: systems_for_material(
                source.material_id, structure, config=config
            )
        }, None
    from ionmd.structures.load import load_structure
    from ionmd.structures.occupancy import partial_sites

    structure = load_disordered(source, config=config)
    if not partial_sites(structure):  # type: ignore[arg-type]
        structure = load_structure(structure, mobile_species=config.mobile_species)
        return {
            source.material_id: systems_for_material(
                source.material_id, structure, config=config
            )
        }, None
    return ordered_systems(source.material_id, structure, config=config)


def ordered_systems(
    material_id: str, structure: object, *, config: RunConfig
) -> tuple[dict[str, list[SystemSpec]], dict[str, Any]]:
    """The systems of every ordering of a partially occupied structure."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ionmd.structures.ordering import make_orderings, ordering_material_id

    if "#" in material_id:
        raise InputError(f"material id {material_id!r}: '#' is reserved for orderings")
    try:
        orderings = make_orderings(
            structure,  # type: ignore[arg-type]
            n_orderings=config.n_orderings,
            seed=config.seed,
            material_id=material_id,
            min_cell_length_A=config.min_cell_length_A,
            mobile_species=config.mobile_species,
        )
    except (ValueError, ArithmeticError, IndexError, KeyError) as exc:  # pymatgen
        raise InputError(f"{material_id}: ordering failed ({exc})") from None
    out: dict[str, list[SystemSpec]] = {}
    records: dict[str, Any] = {}
    for k, ordering in enumerate(orderings, start=1):
        mid = ordering_material_id(material_id, k)
        atoms = AseAtomsAdaptor.get_atoms(ordering.structure)
        atoms.info.clear()
        out[mid] = [
            SystemSpec(
                material_id=mid,
                atoms=atoms.copy(),
                temperature_K=float(t),
                run_seed=config.seed,
                supercell=np.asarray(ordering.scaling, dtype=np.int64),
            )
            for t in config.temperatures_K
        ]
        records[mid] = ordering.record
    note = {
        "n_orderings_asked": config.n_orderings,
        "n_orderings": len(orderings),
        "orderings": records,
    }
    if len(orderings) < config.n_orderings:
        note["fewer_orderings"] = (
            f"{len(orderings)} symmetry-distinct ordering(s) found of "
            f"{config.n_orderings} asked ({orderings[0].record['n_trials']} placements); "
            "only those are run"
        )
        log.warning(f"{material_id}: {note['fewer_orderings']}")
    return out, note
