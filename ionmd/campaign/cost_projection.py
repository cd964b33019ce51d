"""``ionmd plan``: what a campaign would run and cost, without any MD.

Per material: the supercell, its atoms, the orderings (``occupancy = "order"``),
the replicas (``n_replicas``: each a full copy of the material's systems), the
systems and batches they fall in, the atom-steps of the protocol and the
projected GPU-hours; or a one-line reason why it cannot be run (unparseable,
too large, ordering impossible within tolerance, element not covered by the
model). The ordering is only planned (counts, tolerance, charge), not placed:
the Ewald ranking runs in ``ionmd run``.

Cost: ``atom-steps x us_per_atom_step``, the configured model's own figure
(:mod:`ionmd.campaign.plan_cost`: given, its anchor, or "no anchor" and no
cost); batches from ``max_atoms_per_batch`` or the memory model for the model
and device. Elements: the model's coverage by name
(:mod:`ionmd.calculators.coverage`), refused by the run's own check
(:func:`ionmd.campaign.plan.uncovered_elements`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np

from ionmd.campaign.config import CampaignConfig as RunConfig
from ionmd.campaign.materials import load_material, material_sources
from ionmd.campaign.orderings import load_disordered
from ionmd.campaign.plan import pack_batches, uncovered_elements
from ionmd.campaign.plan_cost import PlanCost, plan_batch_limit, plan_cost
from ionmd.campaign.protocols import protocol_of
from ionmd.cells.plan import cell_stage_plan
from ionmd.errors import IonmdError


@dataclass(frozen=True)
class _Sized:
    """Stands in for a SystemSpec in :func:`pack_batches` (only its size counts)."""

    material_id: str
    atoms: range


def _load(src: Any, *, config: RunConfig) -> Any:
    """The material's structure, as the campaign's occupancy policy loads it."""
    if config.occupancy_mode == "order":
        return load_disordered(src, config=config)
    return load_material(
        src,
        obelix_data=config.obelix_data,
        round_occupancies=config.occupancy_mode == "round",
        mobile_species=config.mobile_species,
    )


def _placed(structure: Any, material_id: str, *, config: RunConfig) -> dict[str, Any]:
    """Place the orderings (``--place``): how many symmetry-distinct ones there
    are (raises IonmdError when none keeps its atoms apart)."""
    import time

    from ionmd.structures.ordering import make_orderings

    start = time.perf_counter()
    orderings = make_orderings(
        structure,
        n_orderings=config.n_orderings,
        seed=config.seed,
        material_id=material_id,
        min_cell_length_A=config.min_cell_length_A,
        mobile_species=config.mobile_species,
    )
    rec = orderings[0].record
    return {
        "orderings": len(orderings),
        "symmetry_distinct_found": rec["n_symmetry_distinct_found"],
        "placement_s": round(time.perf_counter() - start, 2),
        "symmetry_check_s": rec["symmetry_check_s"],
    }


def _sized_row(
    src: Any, *, config: RunConfig, known: frozenset[int] | None, place: bool = False
) -> dict[str, Any]:
    """Supercell, atoms and orderings of one material (raises IonmdError if unusable)."""
    from ionmd.structures.load import load_structure
    from ionmd.structures.occupancy import partial_sites
    from ionmd.structures.ordering import plan_ordering
    from ionmd.structures.supercell import MAX_SUPERCELL_ATOMS, supercell_repeats

    row: dict[str, Any] = {"material": src.material_id}
    structure = _load(src, config=config)
    elements = {el.symbol for el in structure.composition.elements}
    if partial_sites(structure):
        plan = plan_ordering(
            structure,
            min_cell_length_A=config.min_cell_length_A,
            mobile_species=config.mobile_species,
            origin=src.material_id,
        )
        row |= {
            "supercell": [int(x) for x in np.diag(plan.scaling)],
            "supercell_10A_rule": plan.base_repeats,
            "atoms": plan.n_atoms,
            "orderings": config.n_orderings,
            "counts_intended_placed": plan.counts(),
            "rounding": {k: v for k, v in plan.rounding().items() if v},
            "charge": plan.charge_source,
        }
        if place:
            row |= _placed(structure, src.material_id, config=config)
        elements = set(plan.composition_ordered)
    else:
        structure = load_structure(structure, mobile_species=config.mobile_species)
        n = supercell_repeats(
            structure.lattice.matrix, min_cell_length_A=config.min_cell_length_A
        )
        atoms = len(structure) * int(np.prod(n))
        if atoms > MAX_SUPERCELL_ATOMS:
            raise IonmdError(f"too large: {atoms} atoms (limit {MAX_SUPERCELL_ATOMS})")
        row |= {"supercell": [int(x) for x in n], "atoms": atoms, "orderings": 1}
    from ase.data import atomic_numbers

    numbers = {atomic_numbers[el] for el in elements}
    refusal = uncovered_elements(numbers, known=known, model_label=config.model)
    if refusal is not None:
        raise IonmdError(refusal)
    return row


def _assign_batches(ok: list[dict[str, Any]], *, max_atoms: int | None) -> list[Any] | None:
    """Pack the runnable rows' systems into batches; each row gets its batch
    indices (none, and None returned, when the atoms per batch are not known)."""
    if max_atoms is None:
        for r in ok:
            r["batches"] = []
        return None
    sized = [
        _Sized(r["material"], range(r["atoms"])) for r in ok for _ in range(r["systems"])
    ]
    batches = pack_batches(sized, max_atoms=max_atoms) if sized else []
    where: dict[str, set[int]] = {}
    for b, batch in enumerate(batches):
        for s in batch:
            where.setdefault(s.material_id, set()).add(b)
    for r in ok:
        r["batches"] = sorted(where.get(r["material"], set()))
    return batches


def _totals(
    rows: list[dict[str, Any]],
    ok: list[dict[str, Any]],
    *,
    n_batches: int | None,
    cost: PlanCost,
) -> dict[str, Any]:
    """Campaign-wide sums, medians and cost."""
    atoms = [r["atoms"] for r in ok]
    atom_steps = sum(r["atom_steps"] for r in ok)
    return {
        "n_materials": len(rows),
        "n_runnable": len(ok),
        "n_skipped": len(rows) - len(ok),
        "n_ordered_from_disorder": sum(1 for r in ok if "charge" in r),
        "atoms_median": statistics.median(atoms) if atoms else 0,
        "atoms_max": max(atoms) if atoms else 0,
        "atoms_sum_over_systems": sum(r["atoms"] * r["systems"] for r in ok),
        "n_systems": sum(r["systems"] for r in ok),
        "n_batches": n_batches,
        "atom_steps": atom_steps,
        "gpu_hours": cost.hours(atom_steps),
    }


def plan_campaign(
    config: RunConfig, *, us_per_atom_step: float | None = None, place: bool = False
) -> dict[str, Any]:
    """The plan of ``config`` as a JSON-able dict (rows per material, totals).
    ``place``: also place the orderings (the Ewald ranking, the species-aware
    distances and the symmetry check of ``ionmd run``; seconds per material), so
    the orderings per material and the refusals are those the run will have."""
    from ionmd.calculators.coverage import model_coverage

    cost = plan_cost(config, us_given=us_per_atom_step)
    coverage = model_coverage(config.model)
    n_steps, n_temps = config.n_steps, len(config.temperatures_K)
    rows: list[dict[str, Any]] = []
    for src in material_sources(config.materials, obelix_data=config.obelix_data):
        try:
            row = _sized_row(src, config=config, known=coverage.numbers, place=place)
        except IonmdError as exc:
            row = {"material": src.material_id, "reason": str(exc)}
        if "atoms" in row:
            row["replicas"] = config.n_replicas
            row["systems"] = row["orderings"] * config.n_replicas * n_temps
            row["atom_steps"] = row["atoms"] * row["systems"] * n_steps
            row["gpu_hours"] = cost.hours(row["atom_steps"])
        rows.append(row)
    ok = [r for r in rows if "atoms" in r]
    max_atoms, batch_source = plan_batch_limit(config)
    batches = _assign_batches(ok, max_atoms=max_atoms)
    # the protocol's part: the adaptive one has one in-flight batch and open-ended
    # durations (it sets the rows' worst cases and adds its own section)
    projected = protocol_of(config).project(
        ok,
        n_fixed_batches=None if batches is None else len(batches),
        cost=cost,
        limit=(max_atoms, batch_source),
    )
    plan = {
        "config": _config_section(config),
        "cost_source": cost.describe(),
        "cost_card": cost.card,
        "us_per_atom_step": cost.us_per_atom_step,
        "max_atoms_per_batch_used": max_atoms,
        "batch_source": batch_source,
        "model_elements": coverage.source,
        "materials": rows,
        "totals": _totals(rows, ok, n_batches=projected.n_batches, cost=cost),
    }
    stage = cell_stage_plan(
        ok,
        settings=config.cell_settings,
        md_atom_steps=plan["totals"]["atom_steps"],
        duration_ps=config.duration_ps,
        timestep_fs=config.timestep_fs,
    )
    if stage is not None:  # not in the totals: its own hours, at the MD's rate
        steps = stage.get("atom_steps", stage.get("worst_case_atom_steps"))
        stage["gpu_hours_at_md_rate"] = None if steps is None else cost.hours(steps)
    return plan | projected.sections | ({"cells": stage} if stage is not None else {})


def _config_section(config: RunConfig) -> dict[str, Any]:
    """The settings the plan was made from."""
    return {
        "materials": config.materials,
        "occupancy": config.occupancy_mode,
        "n_orderings": config.n_orderings,
        "n_replicas": config.n_replicas,
        "temperatures_K": list(config.temperatures_K),
        "n_steps": config.n_steps,
        "min_cell_length_A": config.min_cell_length_A,
        "model": config.model,
        "device": config.device,
        "max_atoms_per_batch": config.max_atoms_per_batch,
    }
