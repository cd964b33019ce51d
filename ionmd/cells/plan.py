"""The cell stage in ``ionmd plan``: what it relaxes and its worst-case cost."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ionmd.cells.settings import CellSettings


def cell_stage_plan(
    rows: Sequence[dict[str, Any]],
    *,
    settings: CellSettings,
    md_atom_steps: float,
    duration_ps: float | None = None,
    timestep_fs: float | None = None,
) -> dict[str, Any] | None:
    """The stage's part of the plan (None for the experimental cell): the
    distinct supercells relaxed (one per material and ordering; replicas and
    temperatures share theirs), all in one batch, and at most ``relax_max_steps``
    + 1 force-and-stress evaluations of them, as atom-steps and as a fraction
    of the MD's (a worst case: FIRE usually stops in 100–400 steps)."""
    if settings.cell == "experimental":
        return None
    if settings.cell == "npt":
        return npt_stage_plan(
            rows,
            settings=settings,
            md_atom_steps=md_atom_steps,
            duration_ps=duration_ps,
            timestep_fs=timestep_fs,
        )
    atoms = sum(int(r["atoms"]) * int(r.get("orderings", 1)) for r in rows)
    worst = float(atoms * (settings.relax_max_steps + 1))
    return {
        "cell": settings.cell,
        "structures": sum(int(r.get("orderings", 1)) for r in rows),
        "atoms_in_batch": atoms,
        "worst_case_atom_steps": worst,
        "worst_case_fraction_of_md": worst / md_atom_steps if md_atom_steps else None,
        "relax_fmax_eV_A": settings.relax_fmax_eV_A,
        "relax_stress_GPa": settings.relax_stress_GPa,
    }


def npt_stage_plan(
    rows: Sequence[dict[str, Any]],
    *,
    settings: CellSettings,
    md_atom_steps: float,
    duration_ps: float | None,
    timestep_fs: float | None = None,
) -> dict[str, Any]:
    """The NPT stage's cost: every system runs ``npt_ps`` before its
    ``duration_ps`` of production, at the same atoms and timestep (each step
    also computes the stress: for autograd models about one more backward
    pass). With ``timestep_fs`` and the plan's ``rows`` (atoms, systems): the
    whole steps the stage runs (:meth:`CellSettings.npt_steps`) times the
    systems' atoms; else ``npt_ps / duration_ps`` of the MD's atom-steps."""
    atoms = sum(int(r["atoms"]) * int(r.get("systems", 1)) for r in rows)
    if timestep_fs and atoms:
        steps: float | None = float(atoms * settings.npt_steps(timestep_fs=timestep_fs))
        frac = steps / md_atom_steps if md_atom_steps else None
    else:
        frac = settings.npt_ps / duration_ps if duration_ps else None
        steps = md_atom_steps * frac if frac is not None else None
    return {
        "cell": "npt",
        "npt_ps": settings.npt_ps,
        "pressure_GPa": settings.pressure_GPa,
        "npt_cell": settings.npt_cell,
        "atom_steps": steps,
        "fraction_of_md": frac,
    }


def describe_cell_stage(stage: dict[str, Any]) -> str:
    """One line for the plan's printout."""
    if stage["cell"] == "npt":
        frac = stage["fraction_of_md"]
        share = (
            f": {stage['atom_steps']:,.0f} atom-steps with stress = "
            f"{_percent(100 * frac)} % of the MD's"
            if frac is not None
            else ""
        )
        return (
            f'cell = "npt": an NPT stage of {stage["npt_ps"]:g} ps at '
            f"{stage['pressure_GPa']:g} GPa ({stage['npt_cell']}) per system, in its "
            f"batch's MD loop before its production{share}"
        )
    frac = stage["worst_case_fraction_of_md"]
    share = f" = {_percent(100 * frac)} % of the MD's" if frac is not None else ""
    return (
        f'cell = "{stage["cell"]}": {stage["structures"]} supercell(s), '
        f"{stage['atoms_in_batch']} atoms, relaxed at 0 K in one batch before the MD "
        f"(FIRE to {stage['relax_fmax_eV_A']:g} eV/Å and {stage['relax_stress_GPa']:g} "
        f"GPa); worst case {stage['worst_case_atom_steps']:.3g} atom-steps with "
        f"stress{share}"
    )


def _percent(value: float) -> str:
    """A percentage as people write it: 5, 12.5, 1,000 (never 1e+03)."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
