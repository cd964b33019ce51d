"""The MD loop: one batched state, NH steps, on-device MSD, blocks to HDF5.

Data flow per step: model forces → NH step (all systems at once) → every
``msd_every`` steps the MSD accumulator reads the unwrapped positions on the
device → every ``sample_every`` steps the mobile ions are copied (on the
device) into the frame buffer → at each flush, one device → host copy of the
buffers and the MSD, appended to the run file. Nothing in the loop moves the
trajectory to the host per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ionmd.engine import integrator as nh
from ionmd.engine.config import RunConfig
from ionmd.engine.msd import MultiWindowMSD
from ionmd.engine.progress import Progress
from ionmd.engine.recorder import Recorder
from ionmd.engine.systems import SystemSpec, build_state, check_systems
from ionmd.fileformat import RunFileWriter, SystemUpdate, config_to_json


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """What a finished batch reports (wall time excludes model loading)."""

    path: Path
    n_systems: int
    n_atoms: int
    steps: int
    wall_s: float
    atom_steps_per_s: float
    ns_per_day: float
    peak_device_bytes: int
    failed: dict[str, str]


def _mobile_mask(
    systems: Sequence[SystemSpec], species: str, device: torch.device
) -> torch.Tensor:
    mask = np.concatenate(
        [
            np.asarray(s.atoms.get_chemical_symbols()) == species  # type: ignore[attr-defined]
            for s in systems
        ]
    )
    return torch.as_tensor(mask, device=device)


def run_batch(
    systems: Sequence[SystemSpec],
    model: object,
    *,
    config: RunConfig,
    out_path: str | Path,
    model_name: str,
    model_version: str = "",
    step_callback: Callable[[int, object], None] | None = None,
) -> RunSummary:
    """Simulate all ``systems`` together and write ``out_path`` (the run file).

    Args:
        systems: the (cell, temperature) systems of this batch.
        model: a torch-sim model (``model(state)`` → energy, forces).
        config: protocol (timestep, duration, strides, thermostat).
        out_path: the ``.h5`` file to create.
        model_name, model_version: recorded in the file.
        step_callback: called as ``f(step, state)`` after every step (tests).
    """
    check_systems(systems, mobile_species=config.mobile_species)
    device = model.device  # type: ignore[attr-defined]
    dtype = model.dtype  # type: ignore[attr-defined]
    state, momenta, kT = build_state(systems, device=device, dtype=dtype)
    mobile = _mobile_mask(systems, config.mobile_species, device)
    n_sys = len(systems)
    n_atoms = int(state.positions.shape[0])  # type: ignore[attr-defined]

    eq, total = config.equilibration_steps, config.n_steps
    msd_stride, frame_stride = config.msd_every_steps, config.sample_every_steps
    thermo_stride, flush_stride = config.thermo_every_steps, config.flush_every_steps
    n_msd_samples = (total - eq) // msd_stride + 1

    writer = RunFileWriter(out_path, config_json=config_to_json(config.as_dict()))
    writer.create_systems(
        [
            s.info(
                timestep_fs=config.timestep_fs,
                steps_total=total,
                equilibration_steps=eq,
                sample_every_steps=frame_stride,
                mobile_species=config.mobile_species,
                model_name=model_name,
                model_version=model_version,
            )
            for s in systems
        ]
    )
    msd = MultiWindowMSD(
        system_idx=state.system_idx,
        mobile_mask=mobile,  # type: ignore[attr-defined]
        n_systems=n_sys,
        stride_steps=msd_stride,
        n_samples=n_msd_samples,
        block_size=config.msd_block_size,
    )
    rec = Recorder(
        keys=[s.key for s in systems], system_idx=state.system_idx, mobile_mask=mobile
    )  # type: ignore[attr-defined]
    keys = [s.key for s in systems]

    def record(step: int, st: object) -> None:
        if step >= eq:
            since = step - eq
            if since % msd_stride == 0:
                msd.sample(st.positions)  # type: ignore[attr-defined]
            if since % frame_stride == 0:
                rec.add_frame(step=step, positions=st.positions)  # type: ignore[attr-defined]
        if step % thermo_stride == 0:
            rec.add_thermo(
                step=step,
                temperature_K=nh.kinetic_temperature_K(st),
                potential_energy_eV=st.energy,  # type: ignore[attr-defined]
                conserved_energy_eV=nh.nh_conserved_energy(st, kT=kT),
            )

    failed: dict[str, str] = {}

    def flush(step: int, *, final: bool = False) -> None:
        updates = rec.drain()
        res = msd.result() if msd.n_taken > 0 else None
        finite = torch.isfinite(st_ref[0].positions).all(dim=1)  # type: ignore[attr-defined]
        ok_sys = (
            torch.zeros(n_sys, dtype=torch.long, device=device)
            .index_add_(0, st_ref[0].system_idx, (~finite).long())
            .cpu()
            .numpy()
            == 0
        )  # type: ignore[attr-defined]
        for i, up in enumerate(updates):
            up.steps_done = step
            if res is not None:
                up.msd = _msd_for_system(res, i, config.timestep_fs)
            if not ok_sys[i] and keys[i] not in failed:
                failed[keys[i]] = f"non-finite positions by step {step}"
                up.status, up.failure_reason = "failed", failed[keys[i]]
            elif final and keys[i] not in failed:
                up.status = "done"
        writer.write(updates)

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    st = nh.nh_init(
        state,
        model,
        kT=kT,
        momenta=momenta,
        timestep_fs=config.timestep_fs,
        tau_fs=config.thermostat_tau_fs,
        chain_length=config.chain_length,
    )
    st_ref = [st]
    dt = nh.time_internal(config.timestep_fs)
    record(0, st)
    progress = Progress(
        total_steps=total,
        timestep_fs=config.timestep_fs,
        n_atoms=n_atoms,
        enabled=config.progress,
        label=f"MD {n_sys} systems, {n_atoms} atoms",
    )
    t0 = time.perf_counter()
    last_flush = t0
    for step in range(1, total + 1):
        st = nh.nh_step(st, model, kT=kT, dt=dt)
        st_ref[0] = st
        record(step, st)
        if step_callback is not None:
            step_callback(step, st)
        if (
            step % flush_stride == 0
            or time.perf_counter() - last_flush > config.flush_every_s
        ):
            if step < total:
                flush(step)
                last_flush = time.perf_counter()
        progress.update(step)
    flush(total, final=True)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    wall = time.perf_counter() - t0
    progress.close()
    peak = int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else 0
    sim_ns = total * config.timestep_fs * 1e-6
    return RunSummary(
        path=Path(out_path),
        n_systems=n_sys,
        n_atoms=n_atoms,
        steps=total,
        wall_s=wall,
        atom_steps_per_s=n_atoms * total / wall if wall > 0 else float("inf"),
        ns_per_day=sim_ns / (wall / 86400.0) if wall > 0 else float("inf"),
        peak_device_bytes=peak,
        failed=failed,
    )


def _msd_for_system(
    res: dict[str, np.ndarray], i: int, timestep_fs: float
) -> dict[str, np.ndarray]:
    lag = res["lag_steps"]
    return {
        "lag_steps": lag,
        "lag_ps": lag * timestep_fs * 1e-3,
        "mobile_A2": res["mobile_A2"][i],
        "framework_A2": res["framework_A2"][i],
        "collective_A2": res["collective_A2"][i],
        "n_origins": res["n_origins"],
    }


__all__ = ["RunSummary", "SystemUpdate", "run_batch"]
