"""Write the ionmd run file (H5MD 1.1 + ionmd parameters), in blocks.

The file is opened, appended to and closed at every :meth:`RunFileWriter.write`,
so a reader that opens it between two writes, or after a crash, sees complete
blocks only. Counters (``steps_done``, ``n_frames_valid``) are written after the
data they count.
"""

from __future__ import annotations

import datetime as _dt
import errno
import functools
import gc
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ionmd import __version__
from ionmd.caller import option
from ionmd.fileformat import layout
from ionmd.fileformat.npt_series import NptStageSeries, write_npt_stage
from ionmd.fileformat.reader import RunFileError
from ionmd.outputs import (
    OutputError,
    collect_unraisable,
    disk_nearly_full,
    ensure_free_space,
    is_no_space,
    output_error,
)

_STR = h5py.string_dtype()


@dataclass(frozen=True, kw_only=True)
class SystemInfo:
    """Static description of one simulated (material, temperature) system.

    Shapes: ``cell (3, 3)`` row vectors in Å; ``species (n_atoms,)`` symbols;
    ``mobile_numbers (n_mobile,)`` atomic numbers; ``supercell (3, 3)``.
    """

    key: str
    material_id: str
    formula: str
    temperature_K: float
    timestep_fs: float
    steps_total: int
    equilibration_steps: int
    sample_every_steps: int
    cell: np.ndarray
    species: tuple[str, ...]
    mobile_species: str = "Li"
    supercell: np.ndarray = field(default_factory=lambda: np.eye(3, dtype=np.int64))
    model_name: str = ""
    model_version: str = ""
    seed: int = 0
    source: str = "ionmd-engine"
    #: ``framework_com``: positions (and MSDs) relative to the framework's centre of
    #: mass; ``as_simulated``: not (see docs/hdf5_layout.md)
    position_frame: str = layout.FRAME_FRAMEWORK
    #: how ``cell`` was obtained: "experimental" (nothing more is written, the
    #: file as before the key existed) or "relaxed", with ``experimental_cell``
    cell_source: str = "experimental"
    experimental_cell: np.ndarray | None = None
    #: the NPT stage that gave ``cell`` (``cell_source = "npt"``), or None
    npt_stage: NptStageSeries | None = None

    @property
    def n_atoms(self) -> int:
        return len(self.species)

    @property
    def n_mobile(self) -> int:
        return sum(1 for s in self.species if s == self.mobile_species)

    @property
    def volume_A3(self) -> float:
        return float(abs(np.linalg.det(np.asarray(self.cell, dtype=float))))

    @property
    def equilibration_ps(self) -> float:
        return self.equilibration_steps * self.timestep_fs * 1e-3


@dataclass(kw_only=True)
class SystemUpdate:
    """What one flush adds for one system; every field is optional.

    Shapes: ``positions (F, n_mobile, 3)`` Å with ``position_steps (F,)``;
    ``thermo[name] = (steps (T,), values (T,))``; ``msd[name] (L,)`` for the
    names in :data:`ionmd.fileformat.layout.MSD_DATASETS`; ``framework_com (F, 3)``
    Å, the framework centre-of-mass displacement subtracted from ``positions``;
    ``framework_positions (G, n_atoms - n_mobile, 3)`` Å (same frame as
    ``positions``) at ``framework_steps (G,)``, a subset of ``position_steps``.
    """

    key: str
    positions: np.ndarray | None = None
    position_steps: np.ndarray | None = None
    framework_com: np.ndarray | None = None
    framework_positions: np.ndarray | None = None
    framework_steps: np.ndarray | None = None
    thermo: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None
    msd: Mapping[str, np.ndarray] | None = None
    steps_done: int | None = None
    #: the planned length, when it changes after creation (an adaptive system
    #: extended or stopped)
    steps_total: int | None = None
    status: str | None = None
    failure_reason: str | None = None


class _MisuseError(ValueError):
    """A call the writer does not accept (a bug in the caller, not in the file)."""


def _guarded_write[T](fn: Callable[..., T]) -> Callable[..., T]:
    """One mapping of everything a write can raise to a one-line error: a full
    disk is an :class:`OutputError` naming the file; an existing file that h5py
    cannot open or that lacks what it should hold (cut, overwritten) is a
    :class:`RunFileError` saying how to go on."""

    @functools.wraps(fn)
    def wrapper(self: RunFileWriter, *args: Any, **kwargs: Any) -> T:
        failure: BaseException | None = None
        with collect_unraisable() as ignored:
            try:
                result = fn(self, *args, **kwargs)
            except (OutputError, RunFileError, _MisuseError):
                raise
            except (KeyError, OSError, RuntimeError, ValueError, TypeError) as exc:
                failure = exc.with_traceback(None)  # frees h5py's objects now...
                gc.collect()  # ...so their complaints are collected, not printed
        causes = (failure, *(u.exc_value for u in ignored))
        if failure is None and not any(is_no_space(e) for e in causes):
            for u in ignored:
                if hasattr(u, "exc_type"):
                    sys.unraisablehook(u)
            return result
        # a write h5py called a success while HDF5 complained of a full disk
        # while freeing its objects is a failure too
        # HDF5 may report a full disk as anything (e.g. "Slist already enabled?")
        if any(is_no_space(e) for e in causes) or disk_nearly_full(self.path):
            raise output_error(self.path, OSError(errno.ENOSPC, "disk full")) from None
        reason = str(failure).strip().splitlines()[0] if str(failure).strip() else ""
        raise RunFileError(
            f"{self.path}: corrupt run file ({type(failure).__name__}: {reason}); "
            "its trajectory cannot be rebuilt from the checkpoint: delete "
            f"{self.path.name} and {self.path.with_suffix('.ckpt.pt').name} to run "
            f"this batch again from the start, or re-run with {option('--force')}"
        ) from None

    return wrapper


def _payload_bytes(updates: Iterable[SystemUpdate]) -> int:
    """What a block of updates adds to the file, with a new chunk per system."""
    total = 0
    for up in updates:
        for arr in (up.positions, up.position_steps, up.framework_positions):
            if arr is not None:
                total += np.asarray(arr).nbytes
        if up.positions is not None:
            rows = max(1, np.asarray(up.positions).shape[1] * 3 * 8)
            total += min(2**20, 256 * rows)  # a newly allocated position chunk
        for _steps, values in (up.thermo or {}).values():
            total += 3 * np.asarray(values).nbytes
        for arr in (up.msd or {}).values():
            total += np.asarray(arr).nbytes
    return 2 * total


def _extendable(
    group: h5py.Group,
    name: str,
    shape_tail: tuple[int, ...],
    dtype: str,
    unit: str | None = None,
    chunk_rows: int = 64,
) -> h5py.Dataset:
    ds = group.create_dataset(
        name,
        shape=(0, *shape_tail),
        maxshape=(None, *shape_tail),
        dtype=dtype,
        chunks=(chunk_rows, *shape_tail),
    )
    if unit is not None:
        ds.attrs["unit"] = unit
    return ds


def _append(ds: h5py.Dataset, rows: np.ndarray) -> None:
    n = ds.shape[0]
    ds.resize(n + rows.shape[0], axis=0)
    ds[n:] = rows


def _time_series(parent: h5py.Group, name: str, unit: str) -> None:
    g = parent.create_group(name)
    _extendable(g, "step", (), "i8")
    _extendable(g, "time", (), "f8", unit="ps")
    _extendable(g, "value", (), "f8", unit=unit)


class RunFileWriter:
    """Creates and appends to an ionmd run file.

    Args:
        path: the ``.h5`` file.
        config_json: the run configuration, stored in ``/parameters/ionmd``.
        position_dtype: storage type of the subsampled positions ("f4" or "f8").
        append: open an existing file (resume) instead of creating a new one.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        config_json: str = "{}",
        position_dtype: str = "f8",
        append: bool = False,
    ) -> None:
        self.path = Path(path)
        self.position_dtype = position_dtype
        if append:
            if not self.path.exists():
                raise FileNotFoundError(f"cannot resume: {self.path} does not exist")
            return
        self._create(config_json)

    @_guarded_write
    def _create(self, config_json: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ensure_free_space(self.path, need_bytes=0)
        with h5py.File(self.path, "w") as f:
            h5 = f.create_group("h5md")
            h5.attrs["version"] = np.array(layout.H5MD_VERSION, dtype=np.int32)
            h5.create_group("author").attrs["name"] = os.environ.get("USER", "ionmd user")
            creator = h5.create_group("creator")
            creator.attrs["name"] = "ionmd"
            creator.attrs["version"] = __version__
            f.create_group(layout.PARTICLES)
            f.create_group(layout.OBSERVABLES)
            f.create_group(layout.MSD_ROOT)
            run = f.create_group(layout.RUN_PARAMETERS)
            run.attrs["ionmd_version"] = __version__
            run.attrs["config_json"] = config_json
            run.attrs["created_utc"] = _dt.datetime.now(_dt.UTC).isoformat()

    @_guarded_write
    def create_systems(self, infos: Iterable[SystemInfo]) -> None:
        """Create the groups of new systems (status ``running``, nothing written)."""
        with h5py.File(self.path, "a") as f:
            for info in infos:
                self._create_system(f, info)

    def _create_system(self, f: h5py.File, info: SystemInfo) -> None:
        key = info.key
        if layout.parameters_path(key) in f:
            raise _MisuseError(f"system {key!r} already exists in {self.path}")
        mobile_numbers = _atomic_numbers(
            [s for s in info.species if s == info.mobile_species]
        )
        part = f.create_group(layout.particles_path(key))
        box = part.create_group("box")
        box.attrs["dimension"] = 3
        box.attrs["boundary"] = np.array(["periodic"] * 3, dtype=_STR)
        # time-dependent in H5MD terms (one row per frame) although fixed in NVT:
        # MDAnalysis only reads time-dependent box edges
        edges = box.create_group("edges")
        _extendable(edges, "value", (3, 3), "f8", unit="Angstrom")
        _extendable(edges, "step", (), "i8")
        _extendable(edges, "time", (), "f8", unit="ps")
        pos = part.create_group("position")
        m = info.n_mobile
        _extendable(
            pos,
            "value",
            (m, 3),
            self.position_dtype,
            unit="Angstrom",
            chunk_rows=max(1, min(256, 2**20 // max(1, m * 24))),
        )
        _extendable(pos, "step", (), "i8")
        _extendable(pos, "time", (), "f8", unit="ps")
        part.create_dataset("species", data=mobile_numbers.astype(np.int32))

        obs = f.create_group(layout.observables_path(key))
        msd = f.require_group(layout.MSD_ROOT).create_group(key)
        for name in layout.MSD_DATASETS:
            dtype = "i8" if name in ("lag_steps", "n_origins") else "f8"
            msd.create_dataset(
                name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(256,)
            )
        for name, unit in zip(layout.THERMO_SERIES, ("K", "eV", "eV"), strict=True):
            _time_series(obs, name, unit)
        com = obs.create_group(layout.FRAMEWORK_COM)
        _extendable(com, "step", (), "i8")
        _extendable(com, "time", (), "f8", unit="ps")
        _extendable(com, "value", (3,), "f8", unit="Angstrom")

        p = f.create_group(layout.parameters_path(key))
        a = p.attrs
        a["material_id"] = info.material_id
        a["formula"] = info.formula
        a["temperature_K"] = float(info.temperature_K)
        a["timestep_fs"] = float(info.timestep_fs)
        a["steps_total"] = int(info.steps_total)
        a["steps_done"] = 0
        a["equilibration_steps"] = int(info.equilibration_steps)
        a["equilibration_ps"] = float(info.equilibration_ps)
        a["sample_every_steps"] = int(info.sample_every_steps)
        a["mobile_species"] = info.mobile_species
        a["n_mobile"] = int(info.n_mobile)
        a["n_atoms"] = int(info.n_atoms)
        a["volume_A3"] = info.volume_A3
        a["cell"] = np.asarray(info.cell, dtype=np.float64)
        # a dataset, not an attribute: attributes live in the object header
        # (64 kB), which ~4,000 symbols overflow ("object header message is too large")
        p.create_dataset("species", data=np.array(list(info.species), dtype=_STR))
        a["supercell"] = np.asarray(info.supercell, dtype=np.int64)
        a["model_name"] = info.model_name
        a["model_version"] = info.model_version
        a["seed"] = int(info.seed)
        a["status"] = "running"
        a["failure_reason"] = ""
        a["source"] = info.source
        if info.cell_source != "experimental":
            _write_cell_source(a, info)
        if info.npt_stage is not None:
            write_npt_stage(p, info.npt_stage)
        a["n_frames_valid"] = 0
        if info.position_frame not in (layout.FRAME_FRAMEWORK, layout.FRAME_AS_SIMULATED):
            raise ValueError(f"unknown position_frame {info.position_frame!r}")
        a["position_frame"] = info.position_frame

    @_guarded_write
    def rewind(self, *, steps: Mapping[str, int], keep: Iterable[str]) -> None:
        """Put the file back to a checkpoint (both protocols' resume; in the
        adaptive one systems entered at different times): each system in ``steps``
        is truncated after its own step and set running again, a failure recorded
        after the checkpoint cleared; systems in ``keep`` are left as they
        are (finished before the checkpoint); any other system (created after the
        checkpoint) is removed."""
        keep = set(keep)
        with h5py.File(self.path, "a") as f:
            for key in _system_keys(f):
                if key in steps:
                    _truncate_system(f, key, int(steps[key]))
                elif key not in keep:
                    for path in (
                        layout.particles_path(key),
                        layout.observables_path(key),
                        layout.msd_path(key),
                        layout.parameters_path(key),
                        layout.framework_path(key),
                    ):
                        if path in f:
                            del f[path]

    @_guarded_write
    def write(self, updates: Iterable[SystemUpdate]) -> None:
        """Append one block for each system in ``updates``, then close the file.

        Refused before anything is written when the disk lacks room for the block
        and a reserve (:func:`ionmd.outputs.ensure_free_space`): HDF5 cannot undo
        a write that fails half-way."""
        updates = list(updates)
        ensure_free_space(self.path, need_bytes=_payload_bytes(updates))
        with h5py.File(self.path, "a") as f:
            for up in updates:
                self._write_one(f, up)
            f.flush()

    def _write_one(self, f: h5py.File, up: SystemUpdate) -> None:
        key = up.key
        params = f[layout.parameters_path(key)]
        dt_ps = float(params.attrs["timestep_fs"]) * 1e-3
        if up.positions is not None:
            if up.position_steps is None:
                raise _MisuseError("positions need position_steps")
            pos = f[layout.particles_path(key)]["position"]
            valid = int(params.attrs["n_frames_valid"])
            edges = f[layout.particles_path(key)]["box/edges"]
            obs = f[layout.observables_path(key)]
            series = [pos, edges]
            if layout.FRAMEWORK_COM in obs:
                series.append(obs[layout.FRAMEWORK_COM])
            for g in series:  # drop any incomplete tail
                _truncate_series(g, ("value", "step", "time"), valid)
            steps = np.asarray(up.position_steps, dtype=np.int64)
            cell = np.asarray(params.attrs["cell"], dtype=np.float64)
            com = (
                np.zeros((len(steps), 3))
                if up.framework_com is None
                else np.asarray(up.framework_com, dtype=np.float64).reshape(len(steps), 3)
            )
            blocks = [
                (pos, np.asarray(up.positions)),
                (edges, np.broadcast_to(cell, (len(steps), 3, 3))),
            ]
            if layout.FRAMEWORK_COM in obs:
                blocks.append((obs[layout.FRAMEWORK_COM], com))
            for g, values in blocks:
                _append(g["value"], values)
                _append(g["step"], steps)
                _append(g["time"], steps * dt_ps)
            params.attrs["n_frames_valid"] = valid + len(steps)
        if up.framework_positions is not None:
            self._write_framework(f, up, dt_ps=dt_ps)
        if up.thermo:
            obs = f[layout.observables_path(key)]
            for name, (steps, values) in up.thermo.items():
                g = obs[name]
                steps = np.asarray(steps, dtype=np.int64)
                _append(g["step"], steps)
                _append(g["time"], steps * dt_ps)
                _append(g["value"], np.asarray(values, dtype=np.float64))
        if up.msd is not None:
            msd = f[layout.msd_path(key)]
            for name in layout.MSD_DATASETS:
                values = np.asarray(up.msd[name])
                msd[name].resize(values.shape[0], axis=0)
                msd[name][:] = values
        if up.status is not None:
            if up.status not in layout.STATUS_VALUES:
                raise _MisuseError(f"status must be one of {layout.STATUS_VALUES}")
            params.attrs["status"] = up.status
        if up.failure_reason is not None:
            params.attrs["failure_reason"] = up.failure_reason
        if up.steps_done is not None:
            params.attrs["steps_done"] = int(up.steps_done)
        if up.steps_total is not None:
            params.attrs["steps_total"] = int(up.steps_total)

    def _write_framework(self, f: h5py.File, up: SystemUpdate, *, dt_ps: float) -> None:
        """Append framework frames (after their Li frames: a crash in between
        leaves framework frames that :func:`_truncate_framework` drops or the
        reader ignores, never Li frames without their count)."""
        if up.framework_steps is None:
            raise _MisuseError("framework_positions need framework_steps")
        values = np.asarray(up.framework_positions)
        g = f.get(layout.framework_path(up.key))
        if g is None:
            g = _create_framework(
                f, up.key, n_atoms=values.shape[1], dtype=self.position_dtype
            )
        _truncate_framework(f, up.key)
        steps = np.asarray(up.framework_steps, dtype=np.int64)
        pos = g["position"]
        _append(pos["value"], values)
        _append(pos["step"], steps)
        _append(pos["time"], steps * dt_ps)


def _create_framework(f: h5py.File, key: str, *, n_atoms: int, dtype: str) -> h5py.Group:
    """``/framework/<key>``: the non-mobile atoms in their order in the system's
    ``species``, and their positions (created at the first framework frame)."""
    params = f[layout.parameters_path(key)]
    mobile = str(params.attrs["mobile_species"])
    species = [
        x.decode() if isinstance(x, bytes) else str(x) for x in params["species"][()]
    ]
    framework = [s for s in species if s != mobile]
    if len(framework) != n_atoms:
        raise _MisuseError(
            f"{key}: {n_atoms} framework atoms, species lists {len(framework)}"
        )
    g = f.require_group(layout.FRAMEWORK_ROOT).create_group(key)
    g.create_dataset("species", data=_atomic_numbers(framework).astype(np.int32))
    pos = g.create_group("position")
    _extendable(
        pos,
        "value",
        (n_atoms, 3),
        dtype,
        unit="Angstrom",
        chunk_rows=max(1, min(64, 2**20 // max(1, n_atoms * 24))),
    )
    _extendable(pos, "step", (), "i8")
    _extendable(pos, "time", (), "f8", unit="ps")
    return g


def _truncate_framework(f: h5py.File, key: str) -> None:
    """Drop framework frames after the last complete Li frame."""
    path = layout.framework_path(key)
    if path not in f:
        return
    params = f[layout.parameters_path(key)]
    valid = int(params.attrs["n_frames_valid"])
    li_steps = f[layout.particles_path(key)]["position/step"][:valid]
    last = int(li_steps[-1]) if valid else -1
    pos = f[path]["position"]
    keep = int(np.searchsorted(pos["step"][()], last, side="right"))
    _truncate_series(pos, ("value", "step", "time"), keep)


def _system_keys(f: h5py.File) -> list[str]:
    return [k for k in f[layout.PARAMETERS] if k != "ionmd"]


def _truncate_system(f: h5py.File, key: str, step: int) -> None:
    """Drop ``key``'s frames and thermo rows after ``step``; a ``done`` or
    ``failed`` system is running again, with no failure reason."""
    params = f[layout.parameters_path(key)]
    pos = f[layout.particles_path(key)]["position"]
    valid = int(params.attrs["n_frames_valid"])
    keep = int(np.searchsorted(pos["step"][:valid], step, side="right"))
    _truncate_series(pos, ("value", "step", "time"), keep)
    edges = f[layout.particles_path(key)]["box/edges"]
    _truncate_series(edges, ("value", "step", "time"), keep)
    obs = f[layout.observables_path(key)]
    if layout.FRAMEWORK_COM in obs:
        com = obs[layout.FRAMEWORK_COM]
        _truncate_series(com, ("value", "step", "time"), keep)
    params.attrs["n_frames_valid"] = keep
    _truncate_framework(f, key)
    for name in layout.THERMO_SERIES:
        n = int(np.searchsorted(obs[name]["step"][()], step, side="right"))
        _truncate_series(obs[name], ("step", "time", "value"), n)
    params.attrs["steps_done"] = min(int(params.attrs["steps_done"]), step)
    if params.attrs["status"] in ("done", "failed"):
        params.attrs["status"] = "running"
        params.attrs["failure_reason"] = ""


def _truncate_series(g: h5py.Group, names: tuple[str, ...], keep: int) -> None:
    for name in names:
        if g[name].shape[0] > keep:
            g[name].resize(keep, axis=0)


def _write_cell_source(attrs: Any, info: SystemInfo) -> None:
    """``cell_source``, the experimental cell and the volume change (%) of a
    system not simulated at the structure file's cell."""
    attrs["cell_source"] = info.cell_source
    if info.experimental_cell is not None:
        exp = np.asarray(info.experimental_cell, dtype=np.float64)
        attrs["experimental_cell"] = exp
        v_exp = float(abs(np.linalg.det(exp)))
        attrs["volume_change_pct"] = 100.0 * (info.volume_A3 / v_exp - 1.0)


def _atomic_numbers(symbols: list[str]) -> np.ndarray:
    from ase.data import atomic_numbers

    return np.array([atomic_numbers[s] for s in symbols], dtype=np.int64)


def config_to_json(config: Mapping[str, object]) -> str:
    """Serialise a run configuration for ``/parameters/ionmd``."""
    return json.dumps(dict(config), sort_keys=True, default=str)
