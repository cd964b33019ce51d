"""The relaxed-cell stage of a campaign: each distinct supercell relaxed once
(all of them in one batch), every system of it given the relaxed cell.
(``cell = "npt"``'s stage is per system and runs in the one MD loop before the
production: :mod:`ionmd.cells.npt_phase`.)

Hooked into :func:`ionmd.campaign.run._prepare` by one call,
:func:`relax_stage`, after the batches are planned (the campaign's inputs and
their checks are of the experimental structures; the cell mode and the relax
keys are in the protocol fingerprint). The relaxed structures are kept in
campaign.json (``other["cells"]``) and taken from there when the campaign
resumes, so a resumed batch continues exactly the systems it started with,
whatever the device's arithmetic does to a second relaxation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ionmd.cells.geometry import geometry_sha256, volume_change_pct
from ionmd.cells.relax import Relaxed, relax_structures
from ionmd.cells.settings import CellSettings
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError
from ionmd.log import get_logger

log = get_logger(__name__)


def relax_stage(
    plan: Any,
    *,
    model: Any,
    config: Any,
    previous: Any | None,
) -> dict[str, Any]:
    """:func:`relax_batches` on a campaign's plan (``CampaignPlan``: its batches
    and failed materials are updated); ``previous``: the record of the campaign
    being resumed (``CampaignRecord``, its ``other`` holds the relaxed
    structures), or None; ``config``: the campaign's (``CampaignConfig``: its
    cell settings, and the timestep and thermostat of the NPT stage). Returns
    what goes into campaign.json."""
    settings: CellSettings = config.cell_settings
    kept = previous.other if previous is not None else None
    if settings.cell == "npt":  # a stage of the one MD loop (cells/npt_phase.py)
        # the stages of batches already run (each batch's come with its cost)
        keys = {s.key for b in plan.batches for s in b}
        rows = {k: v for k, v in ((kept or {}).get("cells") or {}).items() if k in keys}
        return {"cells": rows} if rows else {}
    plan.batches, note = relax_batches(
        plan.batches,
        model=model,
        settings=settings,
        failed=plan.failed_materials,
        previous=kept,
    )
    if not plan.batches:
        first = next(iter(plan.failed_materials.items()), ("", ""))
        raise InputError(
            f"no material could be relaxed ({len(plan.failed_materials)} failed; "
            f"{first[0]}: {first[1]})"
        )
    return note


def relax_batches(
    batches: list[list[SystemSpec]],
    *,
    model: Any,
    settings: CellSettings,
    failed: dict[str, str],
    previous: dict[str, Any] | None,
) -> tuple[list[list[SystemSpec]], dict[str, Any]]:
    """The batches with every system at its relaxed cell, and the record of it
    (``{"cells": {material_id: row}}``, {} for the experimental cell). A
    material whose relaxation did not converge leaves the batches; its reason
    goes to ``failed``. ``previous``: campaign.json's ``other`` of the run
    being resumed (its relaxed structures are reused)."""
    if settings.cell == "experimental":
        return batches, {}
    kept = dict((previous or {}).get("cells") or {})
    todo: dict[str, Any] = {}
    for s in (s for b in batches for s in b):
        sha = geometry_sha256(s.atoms)
        row = kept.get(s.material_id)
        if (row is None or row.get("experimental_sha256") != sha) and sha not in todo:
            todo[sha] = s.atoms
    relaxed: dict[str, Relaxed] = {}
    if todo:
        done = relax_structures(list(todo.values()), model=model, settings=settings)
        relaxed = dict(zip(todo, done, strict=True))
    rows: dict[str, Any] = {}
    out: list[list[SystemSpec]] = []
    for batch in batches:
        keep = []
        for s in batch:
            sha = geometry_sha256(s.atoms)
            row = rows.get(s.material_id) or kept.get(s.material_id)
            if row is None or row.get("experimental_sha256") != sha:
                row = _row(s.atoms, relaxed[sha], sha=sha)
            rows[s.material_id] = row
            if not row["converged"]:
                failed[s.material_id] = _not_converged(row, settings)
                continue
            if abs(row["volume_change_pct"]) > MAX_RELAXED_VOLUME_CHANGE_PCT:
                failed[s.material_id] = _implausible(row)
                continue
            keep.append(_at_relaxed_cell(s, row))
        if keep:
            out.append(keep)
    return out, {"cells": rows}


def _row(experimental: Any, r: Relaxed, *, sha: str) -> dict[str, Any]:
    """campaign.json's record of one relaxed supercell (floats kept exactly:
    JSON writes the shortest repr that reads back to the same double)."""
    exp_cell = np.asarray(experimental.cell[:], dtype=np.float64)
    cell = np.asarray(r.atoms.cell[:], dtype=np.float64)
    return {
        "cell_source": "relaxed",
        "experimental_sha256": sha,
        "volume_change_pct": volume_change_pct(experimental_cell=exp_cell, cell=cell),
        "converged": r.converged,
        "n_steps": r.n_steps,
        "fmax_eV_A": r.fmax_eV_A,
        "max_stress_GPa": r.max_stress_GPa,
        "energy_eV": r.energy_eV,
        "experimental_cell_A": exp_cell.tolist(),
        "cell_A": cell.tolist(),
        "positions_A": np.asarray(r.atoms.get_positions(), dtype=np.float64).tolist(),
    }


def _at_relaxed_cell(s: SystemSpec, row: dict[str, Any]) -> SystemSpec:
    """System ``s`` with the relaxed positions and cell of its supercell."""
    atoms = s.atoms.copy()  # type: ignore[attr-defined]
    atoms.set_cell(np.asarray(row["cell_A"], dtype=np.float64), scale_atoms=False)
    atoms.set_positions(np.asarray(row["positions_A"], dtype=np.float64))
    return dataclasses.replace(
        s,
        atoms=atoms,
        cell_source="relaxed",
        experimental_cell=np.asarray(row["experimental_cell_A"], dtype=np.float64),
    )


#: a relaxed cell further than this from the experimental volume is not the
#: material any more (PBE-trained models are a few % soft, thermal expansion to
#: 1200 K adds a few %): the material is not simulated, with the number
MAX_RELAXED_VOLUME_CHANGE_PCT = 25.0


def _implausible(row: dict[str, Any]) -> str:
    return (
        f"the model's relaxed cell is {row['volume_change_pct']:+.1f} % from the "
        f"experimental volume (limit ±{MAX_RELAXED_VOLUME_CHANGE_PCT:g} %): "
        "the model does not describe this material; not simulated"
    )


def _not_converged(row: dict[str, Any], settings: CellSettings) -> str:
    return (
        f"relaxation not converged in {settings.relax_max_steps} FIRE steps (largest "
        f"force {row['fmax_eV_A']:.3g} eV/Å, stress {row['max_stress_GPa']:.3g} GPa; "
        f"limits {settings.relax_fmax_eV_A:g} eV/Å, {settings.relax_stress_GPa:g} GPa)"
    )


#: a column that does not apply to the row (FIRE's steps and residuals of an
#: NPT row, an NPT stage ended before its first sample)
NOT_APPLICABLE = "–"


def volume_rows(cells: dict[str, Any]) -> Sequence[list[str]]:
    """The report's rows: material, cell source, volume change, steps, residuals
    (an NPT row: no FIRE steps or force, and in the stress column the mean
    pressure of the stage's second half)."""
    return [
        [
            mid,
            str(row.get("cell_source", "relaxed")),
            f"{row['volume_change_pct']:+.2f}",
            *_residual_columns(row),
            _converged(row),
        ]
        for mid, row in sorted(cells.items())
    ]


def _converged(row: dict[str, Any]) -> str:
    """yes, or no with what ended it when the stage did (an NPT row's failed
    reason up to its first ":": "no (cell blew up during the NPT stage)"), so a
    row whose volume is that of a blown-up or melted cell does not read as
    merely unconverged."""
    if row.get("converged"):
        return "yes"
    failed = row.get("failed")
    return f"no ({str(failed).split(':')[0]})" if failed else "no"


def _residual_columns(row: dict[str, Any]) -> list[str]:
    """FIRE steps, max force, max stress (relaxed) or –, –, mean pressure (npt)."""

    def num(value: Any) -> str:
        return NOT_APPLICABLE if value is None else f"{value:.2g}"

    if row.get("cell_source") == "npt":
        return [NOT_APPLICABLE, NOT_APPLICABLE, num(row.get("mean_pressure_GPa"))]
    return [
        str(row.get("n_steps", NOT_APPLICABLE)),
        num(row.get("fmax_eV_A")),
        num(row.get("max_stress_GPa")),
    ]
