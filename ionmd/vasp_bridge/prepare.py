"""``ionmd vasp prepare``: one run directory per (material, temperature) of a campaign."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ionmd.errors import InputError
from ionmd.fileformat import system_key
from ionmd.outdir import check_output_dir
from ionmd.vasp_bridge.config import Campaign, VaspSettings, parse_walltime_s
from ionmd.vasp_bridge.jobs import n_nodes, write_job_scripts
from ionmd.vasp_bridge.potcar import build_potcar, write_potcar
from ionmd.vasp_bridge.rundir import segment_name, write_record
from ionmd.vasp_bridge.segments import max_steps_per_segment, plan_segments
from ionmd.vasp_bridge.structures import build_supercell, load_material, material_label
from ionmd.vasp_bridge.vasp_inputs import build_input_set, segment_incar


def segment_max_steps(settings: VaspSettings, overrides: dict[str, Any]) -> int:
    """The most steps of one segment for a material (its overrides applied)."""
    s = settings
    return max_steps_per_segment(
        walltime_s=parse_walltime_s(str(overrides.get("walltime", s.walltime))),
        stop_margin_s=s.stop_margin_s,
        seconds_per_step=float(overrides.get("seconds_per_step", s.seconds_per_step)),
        sample_every_steps=s.sample_every_steps,
    )


#: files only VASP writes: their presence in a run directory (top level, as when
#: VASP was run there by hand, or in any segment) means it holds results
VASP_OUTPUTS = ("OUTCAR", "OSZICAR", "vasprun.xml", "XDATCAR", "CONTCAR")


def _has_outputs(run_dir: Path) -> bool:
    return any(
        (run_dir / name).exists() or any(run_dir.glob(f"seg_*/{name}"))
        for name in VASP_OUTPUTS
    )


@dataclasses.dataclass(kw_only=True)
class _PlannedRun:
    """Everything one run directory holds, computed before anything is written."""

    run_dir: Path
    inputs: Any
    plan: list[int]
    potcar: object | None
    record: dict[str, Any]
    settings: VaspSettings


def prepare_run(
    campaign: Campaign,
    *,
    material_id: str,
    temperature_K: float,
    out_dir: str | Path,
    force: bool = False,
) -> Path:
    """Write the run directory of one (material, temperature); returns its path.

    Raises:
        InputError: the directory exists (without ``force``) or already holds VASP
            output; or its inputs cannot be built (then nothing is written).
    """
    planned = _plan_run(
        campaign,
        material_id=material_id,
        temperature_K=temperature_K,
        out_dir=Path(out_dir),
        force=force,
    )
    return _write_run(planned)


def _plan_run(
    campaign: Campaign,
    *,
    material_id: str,
    temperature_K: float,
    out_dir: Path,
    force: bool,
) -> _PlannedRun:
    label = material_label(material_id)
    key = system_key(label, temperature_K)
    run_dir = out_dir / key
    if run_dir.exists():
        if _has_outputs(run_dir):
            raise InputError(f"{run_dir} already holds VASP output: not overwritten")
        if not force:
            raise InputError(f"{run_dir} exists (use --force to rewrite its inputs)")
    settings = campaign.vasp
    overrides = settings.for_material(material_id) or settings.for_material(label)
    unit = load_material(
        material_id,
        obelix_data=campaign.obelix_data,
        round_occupancies=campaign.round_occupancies,
    )
    rule = overrides.get("supercell", "min_length")
    min_len = float(overrides.get("min_cell_length_A", campaign.min_cell_length_A))
    cell, matrix = build_supercell(unit, rule=rule, min_cell_length_A=min_len)
    total = campaign.total_steps
    inputs = build_input_set(
        cell,
        settings=settings,
        temperature_K=temperature_K,
        timestep_fs=campaign.timestep_fs,
        nsw=total,
        incar_extra=dict(overrides.get("incar", {})),
    )
    plan = plan_segments(
        total_steps=total, max_steps=segment_max_steps(settings, overrides)
    )
    potcar = build_potcar(
        symbols=inputs.potcar_symbols, functional=inputs.potcar_functional
    )
    n_atoms = len(inputs.structure)
    cores = int(overrides.get("cores_per_node", settings.cores_per_node))
    record: dict[str, Any] = {
        "key": key,
        "material_id": label,
        "material_source": material_id,
        "temperature_K": float(temperature_K),
        "timestep_fs": campaign.timestep_fs,
        "duration_ps": campaign.duration_ps,
        "equilibration_ps": campaign.equilibration_ps,
        "total_steps": total,
        "sample_every_steps": settings.sample_every_steps,
        "segments": plan,
        "n_atoms": n_atoms,
        "formula": inputs.structure.composition.reduced_formula,
        "species": [site.specie.symbol for site in inputs.structure],
        "sort_map": inputs.sort_map,
        "supercell_rule": rule if isinstance(rule, str) else np.asarray(rule).tolist(),
        "supercell": np.asarray(matrix).tolist(),
        "cell_A": inputs.structure.lattice.matrix,
        "potcar_symbols": list(inputs.potcar_symbols),
        "potcar_functional": inputs.potcar_functional,
        "potcar_file": "POTCAR.spec" if potcar is None else "POTCAR",
        "incar": {k: v for k, v in inputs.incar.items() if k != "NSW"},
        "n_nodes": n_nodes(n_atoms=n_atoms, cores_per_node=cores),
        "cores_per_node": cores,
        "overrides": overrides,
        "vasp_command": settings.vasp_command,
        "vasp_settings": dataclasses.asdict(settings),
    }
    return _PlannedRun(
        run_dir=run_dir,
        inputs=inputs,
        plan=plan,
        potcar=potcar,
        record=record,
        settings=settings,
    )


def _write_run(planned: _PlannedRun) -> Path:
    run_dir, inputs = planned.run_dir, planned.inputs
    run_dir.mkdir(parents=True, exist_ok=True)
    inputs.incar.write_file(run_dir / "INCAR")
    inputs.kpoints.write_file(run_dir / "KPOINTS")
    inputs.poscar.write_file(run_dir / "POSCAR")
    for stale in ("POTCAR", "POTCAR.spec"):
        (run_dir / stale).unlink(missing_ok=True)
    write_potcar(
        run_dir,
        symbols=inputs.potcar_symbols,
        functional=inputs.potcar_functional,
        potcar=planned.potcar,
    )
    for i, nsw in enumerate(planned.plan):
        seg = run_dir / segment_name(i)
        seg.mkdir(exist_ok=True)
        segment_incar(inputs.incar, nsw=nsw).write_file(seg / "INCAR")
    write_job_scripts(run_dir, record=planned.record, settings=planned.settings)
    write_record(run_dir, planned.record)
    return run_dir


def prepare_campaign(
    campaign: Campaign, *, out_dir: str | Path, force: bool = False
) -> list[Path]:
    """Prepare every (material, temperature) of a campaign: all inputs are built
    and checked first (structures, INCARs, POTCARs), so a refusal writes nothing."""
    out = check_output_dir(out_dir, what="campaign directory (--out)")
    planned = [
        _plan_run(campaign, material_id=m, temperature_K=t, out_dir=out, force=force)
        for m in campaign.materials
        for t in campaign.temperatures_K
    ]
    return [_write_run(p) for p in planned]
