"""``ionmd vasp collect``: the segments of each run → one trajectory → the run file.

For each run directory the finished segments are read in order
(:mod:`ionmd.vasp_bridge.segments_read`), every seam is checked (a gap or an overlap
is an error, never a silent join), the frames are put on one global step grid,
unwrapped across all segments with the minimum-image rule in fractional coordinates
(:mod:`ionmd.numerics.unwrap`, as the analysis unwraps),
and written with :class:`ionmd.fileformat.RunFileWriter` exactly as the engine writes
its runs (``source = "vasp"``, ``model_name = "vasp-pbe"``): mobile-ion positions
from the end of equilibration on, the MSD datasets on the analysis' lag grid
(:mod:`ionmd.numerics.host_msd`), and
the OSZICAR thermo series. The cost (wall time and cores from each OUTCAR) is kept
in :class:`RunCost` and stored in the file's ``config_json`` under ``vasp_cost``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ionmd.errors import InputError
from ionmd.fileformat import RunFileWriter, SystemInfo, SystemUpdate
from ionmd.numerics.com import com_displacement_A, masses_amu
from ionmd.numerics.host_msd import linear_lag_grid, msd_on_lag_grid
from ionmd.numerics.unwrap import unwrap_fractional
from ionmd.vasp_bridge.rundir import read_record, segment_name
from ionmd.vasp_bridge.segments_read import (
    SegmentFrames,
    check_frame_count,
    check_seam,
    read_segment,
)

MODEL_NAME = "vasp-pbe"


@dataclass(frozen=True, kw_only=True)
class RunCost:
    """Cost of one AIMD run, summed over its segments (for the cost table)."""

    key: str
    wall_time_s: float
    core_hours: float
    n_cores: int | None
    n_segments: int
    steps_done: int

    @property
    def wall_time_per_step_s(self) -> float:
        return self.wall_time_s / self.steps_done if self.steps_done else float("nan")


@dataclass(frozen=True, kw_only=True)
class CollectedRun:
    """One run's stitched trajectory.

    ``frac_unwrapped (F, N, 3)`` unwrapped fractional coordinates of all atoms (VASP's
    sorted order), ``steps (F,)`` global MD steps, ``cell (3, 3)`` Å.
    """

    record: dict[str, Any]
    symbols: tuple[str, ...]
    cell: np.ndarray
    steps: np.ndarray
    frac_unwrapped: np.ndarray
    steps_done: int
    thermo: dict[str, tuple[np.ndarray, np.ndarray]]
    cost: RunCost
    notes: tuple[str, ...]

    @property
    def positions_A(self) -> np.ndarray:
        """Unwrapped Cartesian positions ``(F, N, 3)``, Å."""
        return self.frac_unwrapped @ self.cell

    def framework_com_displacement_A(self, *, mobile_species: str = "Li") -> np.ndarray:
        """``(F, 3)`` the mass-weighted centre-of-mass displacement of the framework
        (the atoms other than ``mobile_species``) since the first frame."""
        pos = self.positions_A
        framework = np.array([s != mobile_species for s in self.symbols])
        if not framework.any():
            return np.zeros((pos.shape[0], 3))
        return com_displacement_A(
            pos[:, framework],
            masses_amu=masses_amu([s for s in self.symbols if s != mobile_species]),
        )

    def drift_corrected_positions_A(self, *, mobile_species: str = "Li") -> np.ndarray:
        """Positions ``(F, N, 3)`` relative to the framework's centre of mass
        (:meth:`framework_com_displacement_A`), the frame the analysis layer measures
        an XDATCAR it reads in (and the engine its own runs)."""
        drift = self.framework_com_displacement_A(mobile_species=mobile_species)
        return self.positions_A - drift[:, None, :]


def _finished_segments(run_dir: Path) -> list[Path]:
    out = []
    i = 0
    while (run_dir / segment_name(i)).is_dir():
        seg = run_dir / segment_name(i)
        if any((seg / n).exists() for n in ("XDATCAR", "XDATCAR.gz", "vasprun.xml")):
            out.append(seg)
        else:
            break
        i += 1
    if any((run_dir / segment_name(j) / "XDATCAR").exists() for j in range(i + 1, i + 50)):
        raise InputError(
            f"{run_dir}: {segment_name(i)} has no output but later segments do"
        )
    return out


def has_output(run_dir: str | Path) -> bool:
    """Whether the first segment of a run has written frames."""
    seg = Path(run_dir) / segment_name(0)
    return any((seg / n).exists() for n in ("XDATCAR", "XDATCAR.gz", "vasprun.xml"))


def collect_run(run_dir: str | Path) -> CollectedRun:
    """Read, check and stitch the segments of one run directory."""
    run_dir = Path(run_dir)
    record = read_record(run_dir)
    nblock = int(record["sample_every_steps"])
    seg_dirs = _finished_segments(run_dir)
    if not seg_dirs:
        raise InputError(f"{run_dir}: no segment has output yet")
    segs: list[SegmentFrames] = []
    for j, seg_dir in enumerate(seg_dirs):
        seg = read_segment(seg_dir, nblock=nblock)
        seg = check_frame_count(seg, nblock=nblock, is_last=j == len(seg_dirs) - 1)
        if segs:
            check_seam(segs[-1], seg, nblock=nblock)
        segs.append(seg)
    symbols = segs[0].symbols
    if list(symbols) != list(record["species"]):
        raise InputError(f"{run_dir}: the trajectory's atoms differ from {record['key']}'s")

    offset = 0
    steps, frames = [], []
    temp, epot, econs = [], [], []
    for seg in segs:
        glob = offset + seg.local_steps
        if len(glob) and np.any(glob % nblock):
            raise InputError(
                f"{seg.name} starts at step {offset}, not a multiple of NBLOCK = {nblock}: "
                "its frames are off the trajectory's grid"
            )
        steps.append(glob)
        frames.append(seg.frac)
        if seg.thermo is not None and len(seg.thermo.step):
            ok = seg.thermo.step <= seg.steps_done
            s = offset + seg.thermo.step[ok]
            temp.append((s, seg.thermo.temperature_K[ok]))
            epot.append((s, seg.thermo.potential_eV[ok]))
            econs.append((s, seg.thermo.conserved_eV[ok]))
        offset += seg.steps_done
    all_steps = np.concatenate(steps)
    frac = np.concatenate(frames)
    thermo = {}
    for name, parts in (
        ("temperature_K", temp),
        ("potential_energy_eV", epot),
        ("conserved_energy_eV", econs),
    ):
        if parts:
            thermo[name] = (
                np.concatenate([p[0] for p in parts]),
                np.concatenate([p[1] for p in parts]),
            )
    elapsed = [s.elapsed_s for s in segs if s.elapsed_s is not None]
    core_s = [s.elapsed_s * s.n_cores for s in segs if s.elapsed_s and s.n_cores]
    cores = sorted({s.n_cores for s in segs if s.n_cores})
    cost = RunCost(
        key=record["key"],
        wall_time_s=float(sum(elapsed)),
        core_hours=float(sum(core_s)) / 3600.0,
        n_cores=cores[-1] if cores else None,
        n_segments=len(segs),
        steps_done=offset,
    )
    return CollectedRun(
        record=record,
        symbols=symbols,
        cell=segs[0].cell,
        steps=all_steps,
        frac_unwrapped=unwrap_fractional(frac=frac),
        steps_done=offset,
        thermo=thermo,
        cost=cost,
        notes=tuple(n for s in segs for n in s.notes),
    )


def msd_datasets(
    *, positions_A: np.ndarray, mobile: np.ndarray, nblock: int, timestep_fs: float
) -> dict[str, np.ndarray]:
    """The run file's MSD datasets from unwrapped positions ``(F, N, 3)`` of all atoms.

    ``mobile (N,)`` bool selects the mobile ions; the framework MSD is the tracer MSD
    of the others (NaN if none).
    """
    n_frames = positions_A.shape[0]
    if n_frames < 2:
        raise InputError("fewer than 2 frames after equilibration: nothing to analyse")
    lags = linear_lag_grid(n_frames=n_frames)
    tracer, coll, n_orig = msd_on_lag_grid(
        positions_A=positions_A[:, mobile], lag_frames=lags
    )
    if np.any(~mobile):
        framework, _, _ = msd_on_lag_grid(
            positions_A=positions_A[:, ~mobile], lag_frames=lags
        )
    else:
        framework = np.full(len(lags), np.nan)
    lag_steps = lags * nblock
    return {
        "lag_steps": lag_steps.astype(np.int64),
        "lag_ps": lag_steps * timestep_fs * 1e-3,
        "mobile_A2": tracer,
        "framework_A2": framework,
        "collective_A2": coll,
        "n_origins": np.asarray(n_orig, dtype=np.int64),
    }


def system_info(
    run: CollectedRun, *, equilibration_steps: int, position_frame: str = "framework_com"
) -> SystemInfo:
    """The run file's description of a collected run."""
    rec = run.record
    return SystemInfo(
        key=rec["key"],
        material_id=rec["material_id"],
        formula=rec["formula"],
        temperature_K=float(rec["temperature_K"]),
        timestep_fs=float(rec["timestep_fs"]),
        steps_total=int(rec["total_steps"]),
        equilibration_steps=equilibration_steps,
        sample_every_steps=int(rec["sample_every_steps"]),
        cell=run.cell,
        species=tuple(run.symbols),
        mobile_species=rec.get("mobile_species", "Li"),
        supercell=np.asarray(rec["supercell"], dtype=np.int64),
        model_name=MODEL_NAME,
        model_version=f"VASP {rec.get('potcar_functional', 'PBE')} PAW, ENCUT "
        f"{rec.get('incar', {}).get('ENCUT', '')} eV",
        source="vasp",
        position_frame=position_frame,
    )


def _file_config(runs: list[CollectedRun], *, drift_correct: bool) -> dict[str, Any]:
    """The run file's config: what each run was, its VASP cost, the position frame."""
    return {
        "source": "vasp",
        "runs": [
            {
                k: r.record[k]
                for k in (
                    "key",
                    "material_id",
                    "temperature_K",
                    "total_steps",
                    "segments",
                    "sort_map",
                    "potcar_symbols",
                    "incar",
                )
            }
            for r in runs
        ],
        "vasp_cost": [asdict(r.cost) for r in runs],
        "positions": "framework drift removed" if drift_correct else "as simulated",
    }


def _system_of(
    run: CollectedRun, *, equilibration_ps: float | None, drift_correct: bool
) -> tuple[SystemInfo, SystemUpdate]:
    """One collected run as a run-file system: its description and its data."""
    rec = run.record
    eq_ps = float(
        rec.get("equilibration_ps", 0.0) if equilibration_ps is None else equilibration_ps
    )
    nblock = int(rec["sample_every_steps"])
    eq_steps = round(eq_ps * 1000.0 / float(rec["timestep_fs"]))
    info = system_info(
        run,
        equilibration_steps=eq_steps,
        position_frame="framework_com" if drift_correct else "as_simulated",
    )
    keep = run.steps >= eq_steps
    if drift_correct:
        com = run.framework_com_displacement_A(mobile_species=info.mobile_species)
        pos = (run.positions_A - com[:, None, :])[keep]
        com = com[keep]
    else:
        pos = run.positions_A[keep]
        com = np.zeros((pos.shape[0], 3))
    mobile = np.array([s == info.mobile_species for s in run.symbols])
    msd = msd_datasets(
        positions_A=pos, mobile=mobile, nblock=nblock, timestep_fs=float(rec["timestep_fs"])
    )
    complete = run.steps_done >= int(rec["total_steps"])
    update = SystemUpdate(
        key=info.key,
        positions=pos[:, mobile],
        position_steps=run.steps[keep],
        framework_com=com,
        thermo=run.thermo or None,
        msd=msd,
        steps_done=run.steps_done,
        status="done" if complete else "running",
    )
    return info, update


def write_runs(
    runs: list[CollectedRun],
    *,
    out_path: str | Path,
    equilibration_ps: float | None = None,
    drift_correct: bool = True,
) -> Path:
    """Write collected runs into one run file (one system each).

    ``equilibration_ps`` overrides each run's recorded value (the campaign's).
    ``drift_correct``: store positions (and MSDs) relative to the framework's centre
    of mass (:meth:`CollectedRun.drift_corrected_positions_A`), as the engine does.
    The run file holds only the mobile ions, so the analysis cannot apply this
    correction afterwards, and without it the file would not give the D of the
    XDATCAR analysed directly.
    """
    if not runs:
        raise InputError("nothing to write: no collected run")
    config = _file_config(runs, drift_correct=drift_correct)
    writer = RunFileWriter(out_path, config_json=json.dumps(config, default=str))
    infos, updates = [], []
    for run in runs:
        info, update = _system_of(
            run, equilibration_ps=equilibration_ps, drift_correct=drift_correct
        )
        infos.append(info)
        updates.append(update)
    writer.create_systems(infos)
    writer.write(updates)
    return Path(out_path)
