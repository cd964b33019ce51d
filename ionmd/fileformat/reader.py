"""Read the ionmd run file (see docs/hdf5_layout.md).

Errors about the file itself are :class:`RunFileError` with a one-line message
that names the file, so a CLI can print it without a traceback.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ionmd.errors import InputError
from ionmd.fileformat import layout


class RunFileError(InputError):
    """The file is missing, truncated or not an ionmd run file."""


@dataclass(kw_only=True)
class SystemRecord:
    """One system as stored. Shapes: ``positions (F, M, 3)`` Å (only complete
    frames), ``position_steps (F,)``, ``position_time_ps (F,)``, ``cell (3, 3)``;
    ``msd[name] (L,)``; ``thermo[name] = (steps, time_ps, values)``;
    ``framework_com_A (F, 3)`` the framework centre-of-mass displacement already
    subtracted from ``positions`` (None in files written before it was stored).
    """

    key: str
    attrs: dict[str, Any]
    cell: np.ndarray
    positions: np.ndarray | None
    position_steps: np.ndarray
    position_time_ps: np.ndarray
    mobile_numbers: np.ndarray
    msd: dict[str, np.ndarray] = field(default_factory=dict)
    thermo: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict
    )
    framework_com_A: np.ndarray | None = None

    @property
    def position_frame(self) -> str:
        """``framework_com`` (relative to the framework's centre of mass) or
        ``as_simulated`` (total-momentum frame; every file written before the
        attribute existed)."""
        return str(self.attrs.get("position_frame", layout.FRAME_AS_SIMULATED))

    @property
    def temperature_K(self) -> float:
        return float(self.attrs["temperature_K"])

    @property
    def timestep_fs(self) -> float:
        return float(self.attrs["timestep_fs"])

    @property
    def n_mobile(self) -> int:
        return int(self.attrs["n_mobile"])

    @property
    def volume_A3(self) -> float:
        return float(self.attrs["volume_A3"])


def _open(path: str | os.PathLike[str]) -> h5py.File:
    p = Path(path)
    if not p.exists():
        raise RunFileError(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise RunFileError(f"{p}: empty file")
    try:
        return h5py.File(p, "r", locking=False)
    except OSError as exc:
        raise RunFileError(f"{p}: not a readable HDF5 file ({exc})") from None


def _guarded[T](fn: Callable[..., T]) -> Callable[..., T]:
    """A corrupt file makes h5py/numpy raise KeyError, OSError, RuntimeError,
    ValueError or TypeError from deep inside: all become one-line RunFileErrors."""

    @functools.wraps(fn)
    def wrapper(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(path, *args, **kwargs)
        except RunFileError:
            raise
        except (KeyError, OSError, RuntimeError, ValueError, TypeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise RunFileError(
                f"{path}: corrupt run file ({type(exc).__name__}: {reason})"
            ) from None

    return wrapper


def _attrs(group: h5py.Group) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in group.attrs.items():
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, np.ndarray) and v.dtype.kind in "OS":
            v = [x.decode() if isinstance(x, bytes) else str(x) for x in v.tolist()]
        out[k] = v
    return out


@_guarded
def read_run_attrs(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Run-level attributes (``/parameters/ionmd``), with ``config`` decoded."""
    with _open(path) as f:
        if layout.RUN_PARAMETERS not in f:
            raise RunFileError(
                f"{path}: not an ionmd run file (no /{layout.RUN_PARAMETERS})"
            )
        attrs = _attrs(f[layout.RUN_PARAMETERS])
    attrs["config"] = json.loads(attrs.get("config_json", "{}") or "{}")
    return attrs


@_guarded
def list_systems(path: str | os.PathLike[str]) -> list[str]:
    """Keys of the systems in the file, in creation order."""
    with _open(path) as f:
        if layout.PARAMETERS not in f:
            raise RunFileError(f"{path}: not an ionmd run file (no /{layout.PARAMETERS})")
        params = f[layout.PARAMETERS]
        return [k for k in params if k != "ionmd"]


@_guarded
def read_system(
    path: str | os.PathLike[str], key: str, *, positions: bool = True
) -> SystemRecord:
    """Read one system; ``positions=False`` skips the (large) frame array."""
    with _open(path) as f:
        ppath = layout.parameters_path(key)
        if ppath not in f:
            raise RunFileError(f"{path}: no system {key!r}")
        try:
            attrs = _attrs(f[ppath])
            if isinstance(f[ppath].get("species"), h5py.Dataset):  # since 0.x: dataset
                attrs["species"] = [
                    x.decode() if isinstance(x, bytes) else str(x)
                    for x in f[ppath]["species"][()].tolist()
                ]
            part = f[layout.particles_path(key)]
            n_valid = int(attrs.get("n_frames_valid", part["position/step"].shape[0]))
            steps = part["position/step"][:n_valid]
            times = part["position/time"][:n_valid]
            pos = part["position/value"][:n_valid] if positions else None
            cell = np.asarray(attrs["cell"], dtype=np.float64)
            mobile = part["species"][()]
            obs = f[layout.observables_path(key)]
            msd_group = f[layout.msd_path(key)]
            msd = {
                name: msd_group[name][()]
                for name in layout.MSD_DATASETS
                if name in msd_group
            }
            thermo = {}
            for name in layout.THERMO_SERIES:
                if name in obs:
                    g = obs[name]
                    n = min(g["step"].shape[0], g["time"].shape[0], g["value"].shape[0])
                    thermo[name] = (g["step"][:n], g["time"][:n], g["value"][:n])
            com = None
            if layout.FRAMEWORK_COM in obs:
                com = obs[layout.FRAMEWORK_COM]["value"][:n_valid]
                if com.shape[0] != n_valid:
                    com = None
        except (KeyError, OSError) as exc:
            raise RunFileError(f"{path}: system {key!r} is incomplete ({exc})") from None
    if positions and pos is not None and pos.shape[0] != steps.shape[0]:
        raise RunFileError(f"{path}: system {key!r} has inconsistent frame counts")
    if cell.shape != (3, 3) or not np.all(np.isfinite(cell)):
        raise RunFileError(f"{path}: system {key!r} has no valid (3, 3) cell")
    for name in ("temperature_K", "timestep_fs"):
        if not np.isfinite(float(attrs.get(name, np.nan))):
            raise RunFileError(f"{path}: system {key!r} has no valid {name}")
    return SystemRecord(
        key=key,
        attrs=attrs,
        cell=cell,
        positions=pos,
        position_steps=steps,
        position_time_ps=times,
        mobile_numbers=mobile,
        msd=msd,
        thermo=thermo,
        framework_com_A=com,
    )


@dataclass(frozen=True, kw_only=True)
class FrameworkFrames:
    """The framework (non-mobile) atoms' stored frames of one system. Shapes:
    ``positions (G, n_framework, 3)`` Å, same frame as the mobile-ion positions
    (unwrapped, relative to the framework's centre of mass), ``steps (G,)``,
    ``numbers (n_framework,)`` atomic numbers in the system's atom order."""

    steps: np.ndarray
    time_ps: np.ndarray
    positions: np.ndarray
    numbers: np.ndarray


@_guarded
def read_framework(path: str | os.PathLike[str], key: str) -> FrameworkFrames | None:
    """``key``'s framework frames up to its last complete Li frame (None when the
    run stored none: ``framework_every_fs`` = 0, or a file written before it)."""
    with _open(path) as f:
        if layout.framework_path(key) not in f:
            return None
        valid = int(f[layout.parameters_path(key)].attrs["n_frames_valid"])
        li_steps = f[layout.particles_path(key)]["position/step"][:valid]
        g = f[layout.framework_path(key)]
        pos = g["position"]
        steps = pos["step"][()]
        n = min(
            pos["value"].shape[0],
            pos["time"].shape[0],
            int(np.searchsorted(steps, li_steps[-1], side="right")) if valid else 0,
        )
        return FrameworkFrames(
            steps=steps[:n],
            time_ps=pos["time"][:n],
            positions=pos["value"][:n],
            numbers=g["species"][()],
        )
