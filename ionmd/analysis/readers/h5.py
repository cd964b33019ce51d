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

from ionmd.analysis import skips
from ionmd.analysis.readers._common import unwrap_meta
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError
from ionmd.fileformat import (
    NptStageSeries,
    RunFileError,
    SystemRecord,
    list_systems,
    read_npt_stage,
    read_run_attrs,
    read_system,
)
from ionmd.numerics.unwrap import to_fractional
from ionmd.numerics.unwrap_check import displacement_stats


def requested_temperatures_K(path: str | os.PathLike[str]) -> tuple[float, ...] | None:
    """The temperatures the run that wrote ``path`` was asked for (its config's
    ``temperatures_K``), or None when the file does not say (VASP bridge, old or
    garbled config)."""
    try:
        config = read_run_attrs(path).get("config", {})
        temps = config.get("temperatures_K") if isinstance(config, dict) else None
        if not isinstance(temps, list | tuple) or not temps:
            return None
        out = tuple(sorted({float(t) for t in temps}))
    except (InputError, TypeError, ValueError, AttributeError):
        return None
    return out if all(np.isfinite(out)) else None


def read_npt_stages(path: str | os.PathLike[str]) -> dict[str, NptStageSeries]:
    """Per system key, the NPT stage that gave its cell (``cell = "npt"``:
    time, volume and pressure series and the second half's mean pressure), from
    the run file alone; systems without one (any other cell) are left out."""
    try:
        stages = {key: read_npt_stage(path, key) for key in list_systems(path)}
    except RunFileError as exc:
        raise InputError(str(exc)) from None
    return {key: s for key, s in stages.items() if s is not None}


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
    requested = requested_temperatures_K(p)

    def skip(key: str, reason: str, status: str, attrs: dict | None = None) -> None:
        attrs = attrs or {}
        try:
            temp = float(attrs.get("temperature_K", np.nan))
        except (TypeError, ValueError):
            temp = float("nan")
        skipped.append(
            skips.SkippedSystem(
                f"{key}: {reason}",
                material_id=material_id or str(attrs.get("material_id", key)),
                temperature_K=temp,
                status=status,
                reason=reason,
                requested_temperatures_K=requested,
            )
        )

    for key in keys:
        try:
            rec = read_system(p, key)
        except RunFileError as exc:
            skip(key, str(exc), skips.STATUS_UNREADABLE)
            continue
        attrs = rec.attrs
        if unusable := _unusable(rec):
            skip(key, *unusable, attrs)
            continue
        try:
            traj = _trajectory(
                rec,
                source=f"{p}:{key}",
                key=key,
                material_id=material_id,
                requested=requested,
            )
        except (InputError, TypeError, ValueError) as exc:  # incl. garbled attributes
            skip(key, str(exc), skips.STATUS_UNREADABLE, attrs)
            continue
        out.append(traj)
    out.sort(key=lambda t: (t.material_id, t.temperature_K))
    return out, skipped


def _unusable(rec: SystemRecord) -> tuple[str, str] | None:
    """(reason, status) of a system that cannot be analysed, else None."""
    attrs = rec.attrs
    if str(attrs.get("status", "")) == "failed":
        why = str(attrs.get("failure_reason", ""))
        return f"failed ({why})", skips.STATUS_FAILED
    if rec.positions is None or rec.positions.shape[0] < 2:
        return "fewer than 2 complete frames", skips.STATUS_TOO_SHORT
    if not np.all(np.isfinite(rec.positions)):
        return "non-finite positions in the run file", skips.STATUS_UNREADABLE
    return None


def _trajectory(
    rec: SystemRecord,
    *,
    source: str,
    key: str,
    material_id: str | None,
    requested: tuple[float, ...] | None,
) -> MobileTrajectory:
    """The trajectory of one usable system record."""
    attrs = rec.attrs
    fw_lag = rec.msd.get("lag_ps")
    fw_msd = rec.msd.get("framework_A2")
    if fw_msd is not None and not np.all(np.isfinite(fw_msd)):
        fw_lag, fw_msd = None, None
    return MobileTrajectory(
        positions_A=rec.positions,
        time_ps=rec.position_time_ps,
        cell_A=rec.cell,
        temperature_K=rec.temperature_K,
        material_id=material_id or str(attrs.get("material_id", key)),
        species=str(attrs.get("mobile_species", "Li")),
        n_atoms=int(attrs.get("n_atoms", 0)),
        formula=str(attrs.get("formula", "")),
        source=source,
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
            **_partial(attrs),
            **cell_meta(attrs),
            **_stride(rec, source=source),
            "position_frame": rec.position_frame,
            "requested_temperatures_K": requested,
        },
    )


def _stride(rec: SystemRecord, *, source: str) -> dict[str, object]:
    """The stride check of the stored positions: the engine integrates positions
    it never wraps (continuous: only a move over half the cell, implausible, is
    flagged); the VASP bridge (``source = "vasp"``) unwrapped VASP's wrapped
    frames by the minimum image at this very stride (checked for aliasing)."""
    return unwrap_meta(
        stats=displacement_stats(
            frac=to_fractional(positions_A=rec.positions, cell_A=rec.cell)
        ),
        cell_A=rec.cell,
        atoms=None,
        source=source,
        species=str(rec.attrs.get("mobile_species", "Li")),
        continuous=str(rec.attrs.get("source", "")) != "vasp",
    )


def cell_meta(attrs: dict) -> dict[str, object]:
    """How the simulated cell was obtained, from a system's attributes:
    ``cell_source`` ("experimental" for every file written without the
    attribute: the structure file's cell, as the study) and its volume change
    against the experimental cell, % (0 for the experimental cell)."""
    source = str(attrs.get("cell_source", "experimental"))
    change = attrs.get("volume_change_pct", 0.0 if source == "experimental" else None)
    return {
        "cell_source": source,
        "volume_change_pct": None if change is None else float(change),
    }


def _partial(attrs: dict) -> dict[str, str]:
    """``{"partial": reason}`` for a system whose run has not finished (the file
    of a campaign still running, or killed): its data end before the protocol."""
    status = str(attrs.get("status", ""))
    try:
        done, total = int(attrs.get("steps_done", 0)), int(attrs.get("steps_total", 0))
    except (TypeError, ValueError):
        done, total = 0, 0
    if status == "done" and done >= total:
        return {}
    return {"partial": f"run {status or 'unfinished'}: {done} of {total} steps"}
