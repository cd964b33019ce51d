"""The engine's run file (docs/hdf5_layout.md) via :mod:`ionmd.fileformat`.

Positions there are already unwrapped and hold the mobile ions only; the
framework's mobility comes from ``msd/framework_A2``. Files written since the
``position_frame`` attribute exist hold positions relative to the framework's
centre of mass (``framework_com``); older ones (``as_simulated``) are read as
they are, and the analysis says so in the notes of each temperature.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError
from ionmd.fileformat import RunFileError, list_systems, read_system


def read_run_file(
    path: str | os.PathLike[str],
    *,
    material_id: str | None = None,
) -> tuple[list[MobileTrajectory], list[str]]:
    """All usable systems of an ``md.h5`` (sorted by material, then temperature),
    and one line per skipped system."""
    p = Path(path)
    try:
        keys = list_systems(p)
    except RunFileError as exc:
        raise InputError(str(exc)) from None
    if not keys:
        raise InputError(f"{p}: the run file holds no systems")
    out: list[MobileTrajectory] = []
    skipped: list[str] = []
    for key in keys:
        try:
            rec = read_system(p, key)
        except RunFileError as exc:
            skipped.append(f"{key}: {exc}")
            continue
        attrs = rec.attrs
        if rec.positions is None or rec.positions.shape[0] < 2:
            skipped.append(f"{key}: fewer than 2 complete frames")
            continue
        if not np.all(np.isfinite(rec.positions)):
            skipped.append(f"{key}: non-finite positions in the run file")
            continue
        if str(attrs.get("status", "")) == "failed":
            skipped.append(f"{key}: failed ({attrs.get('failure_reason', '')})")
            continue
        fw_lag = rec.msd.get("lag_ps")
        fw_msd = rec.msd.get("framework_A2")
        if fw_msd is not None and not np.all(np.isfinite(fw_msd)):
            fw_lag, fw_msd = None, None
        species = str(attrs.get("mobile_species", "Li"))
        try:
            traj = MobileTrajectory(
                positions_A=rec.positions,
                time_ps=rec.position_time_ps,
                cell_A=rec.cell,
                temperature_K=rec.temperature_K,
                material_id=material_id or str(attrs.get("material_id", key)),
                species=species,
                n_atoms=int(attrs.get("n_atoms", 0)),
                formula=str(attrs.get("formula", "")),
                source=f"{p}:{key}",
                framework_lag_ps=fw_lag,
                framework_msd_A2=fw_msd,
                meta={
                    "reader": "h5",
                    "key": key,
                    "status": attrs.get("status", ""),
                    "timestep_fs": float(attrs.get("timestep_fs", np.nan)),
                    "step_skip": int(attrs.get("sample_every_steps", 0)),
                    "model_name": attrs.get("model_name", ""),
                    "source_kind": attrs.get("source", ""),
                    "position_frame": rec.position_frame,
                },
            )
        except (InputError, TypeError, ValueError) as exc:  # incl. garbled attributes
            skipped.append(f"{key}: {exc}")
            continue
        out.append(traj)
    out.sort(key=lambda t: (t.material_id, t.temperature_K))
    return out, skipped
