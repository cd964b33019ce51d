"""A serialized pymatgen-analysis-diffusion ``DiffusionAnalyzer`` (JSON): the
initial structure plus per-site Cartesian displacements ``(N, F, 3)`` in Å,
with the temperature, time step (fs) and step skip it was made with."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ionmd.analysis.readers._common import reduced_formula, unwrap_meta
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError
from ionmd.numerics.com import masses_amu
from ionmd.numerics.unwrap import to_fractional
from ionmd.numerics.unwrap_check import displacement_stats


def read_pmg_analyzer_json(
    path: str | os.PathLike[str],
    *,
    material_id: str | None = None,
    temperature_K: float | None = None,
) -> MobileTrajectory:
    """Read the JSON of a pymatgen ``DiffusionAnalyzer`` as a :class:`MobileTrajectory`."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    try:
        d = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not valid JSON ({exc})") from None
    needed = ("structure", "displacements", "time_step", "step_skip")
    if not isinstance(d, dict) or any(k not in d for k in needed):
        raise InputError(f"{p}: not a pymatgen DiffusionAnalyzer JSON (needs {needed})")
    species = str(d.get("specie", "Li"))
    sites = d["structure"]["sites"]
    symbols = [s["species"][0]["element"] for s in sites]
    cell = np.array(d["structure"]["lattice"]["matrix"], dtype=np.float64)
    cart0 = np.array([s["xyz"] for s in sites], dtype=np.float64)
    disp = np.asarray(d["displacements"], dtype=np.float64)
    if disp.ndim != 3 or disp.shape[0] != len(symbols):
        raise InputError(
            f"{p}: displacements of shape {disp.shape} do not match {len(symbols)} sites"
        )
    pos = cart0[None, :, :] + disp.transpose(1, 0, 2)
    mobile = np.array([s == species for s in symbols])
    if not mobile.any():
        raise InputError(f"{p}: no {species} atoms")
    dt_ps = float(d["time_step"]) * int(d["step_skip"]) * 1e-3
    temp = temperature_K if temperature_K is not None else d.get("temperature")
    if temp is None:
        raise InputError(f"{p}: no temperature; pass --temperature-K")
    # pymatgen unwrapped these by the minimum image at this very stride
    frac = to_fractional(positions_A=pos[:, mobile], cell_A=cell)
    stride = unwrap_meta(
        stats=displacement_stats(frac=frac),
        cell_A=cell,
        atoms=None,
        source=str(p),
        species=species,
    )
    return MobileTrajectory(
        positions_A=pos[:, mobile],
        time_ps=np.arange(pos.shape[0]) * dt_ps,
        cell_A=cell,
        temperature_K=float(temp),
        material_id=material_id or p.resolve().parent.name,
        species=species,
        n_atoms=len(symbols),
        source=str(p),
        formula=reduced_formula(symbols),
        framework_positions_A=pos[:, ~mobile] if (~mobile).any() else None,
        framework_masses_amu=masses_amu([s for s in symbols if s != species]),
        meta={
            "reader": "pymatgen-json",
            "timestep_fs": float(d["time_step"]),
            "step_skip": int(d["step_skip"]),
            **stride,
        },
    )
