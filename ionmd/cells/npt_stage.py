"""``cell = "npt"``: a system's NPT stage as campaign.json records it
(:func:`npt_row`, one row per system key under ``cells``), and the system at its
NPT cell for the NVT production (:func:`at_npt_cell`). The stage itself runs in
the one MD loop (:mod:`ionmd.cells.npt_phase`), whose checkpoints hold these
rows, so a resumed production continues at exactly the cell it started with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ionmd.cells.geometry import geometry_sha256, volume_change_pct
from ionmd.cells.npt import NptResult, npt_systems
from ionmd.cells.settings import CellSettings
from ionmd.cells.stage_error import stage_error_fields
from ionmd.engine.systems import SystemSpec
from ionmd.fileformat import NptStageSeries


def stage_rows(
    systems: Sequence[SystemSpec], *, model: Any, settings: CellSettings, md: Any
) -> dict[str, dict[str, Any]]:
    """The NPT stage of ``systems`` run on its own, in one batch (benchmarks; a
    campaign runs it in the MD loop): campaign.json's row of each system key.
    ``md``: the timestep, thermostat time and mobile species (``MDSettings``)."""
    results = npt_systems(
        systems,
        model=model,
        settings=settings,
        timestep_fs=md.timestep_fs,
        thermostat_tau_fs=md.thermostat_tau_fs,
        mobile_species=md.mobile_species,
    )
    return {
        s.key: npt_row(s.atoms, r, sha=geometry_sha256(s.atoms))
        for s, r in zip(systems, results, strict=True)
    }


def npt_row(experimental: Any, r: NptResult, *, sha: str) -> dict[str, Any]:
    """campaign.json's record of one system's NPT stage."""
    exp_cell = np.asarray(experimental.cell[:], dtype=np.float64)
    half = len(r.volume_A3) // 2
    # a stage ended before its first sample (its cell blew up) has no means: None
    sampled = len(r.volume_A3) > 0
    return {
        "cell_source": "npt",
        "experimental_sha256": sha,
        "volume_change_pct": volume_change_pct(experimental_cell=exp_cell, cell=r.cell_A),
        "converged": r.failed is None,
        "failed": r.failed,
        "mean_pressure_GPa": float(np.mean(r.pressure_GPa[half:])) if sampled else None,
        "experimental_cell_A": exp_cell.tolist(),
        "cell_A": np.asarray(r.cell_A, dtype=np.float64).tolist(),
        "time_ps": r.time_ps.tolist(),
        "volume_A3": r.volume_A3.tolist(),
        "pressure_GPa": r.pressure_GPa.tolist(),
        # per lattice vector (npt_cell = "anisotropic" moves each on its own)
        "mean_axis_pressure_GPa": (
            np.mean(r.axis_pressure_GPa[half:], axis=0).tolist() if sampled else None
        ),
        "lengths_A": r.lengths_A.tolist(),
        # the second half's mean volume and lengths, each ± an error that holds
        # its coverage, or None and the reason (ionmd/cells/stage_error.py)
        **stage_error_fields(volume_A3=r.volume_A3, lengths_A=r.lengths_A),
        # JSON-safe: a system without framework atoms has none (None)
        "framework_msd_A2": [
            float(x) if np.isfinite(x) else None
            for x in (() if r.framework_msd_A2 is None else r.framework_msd_A2)
        ],
    }


def at_npt_cell(s: SystemSpec, row: dict[str, Any]) -> SystemSpec:
    """System ``s`` at its NPT cell, fractional coordinates kept."""
    atoms = s.atoms.copy()  # type: ignore[attr-defined]
    atoms.set_cell(np.asarray(row["cell_A"], dtype=np.float64), scale_atoms=True)
    return dataclasses.replace(
        s,
        atoms=atoms,
        cell_source="npt",
        experimental_cell=np.asarray(row["experimental_cell_A"], dtype=np.float64),
        npt_stage=NptStageSeries(
            time_ps=np.asarray(row["time_ps"], dtype=np.float64),
            volume_A3=np.asarray(row["volume_A3"], dtype=np.float64),
            pressure_GPa=np.asarray(row["pressure_GPa"], dtype=np.float64),
            # a stage ended before its first sample has none
            mean_pressure_GPa=float(
                "nan" if row["mean_pressure_GPa"] is None else row["mean_pressure_GPa"]
            ),
        ),
    )
