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
from typing import Any

import numpy as np
import torch

from ionmd.engine import integrator as nh
from ionmd.engine.checkpoint import (
    fingerprint,
    load_checkpoint,
    restore_into,
    save_checkpoint,
)
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
    resume: bool = False,
    step_callback: Callable[[int, object], None] | None = None,
    stop_after_step: int | None = None,
) -> RunSummary:
    """Simulate all ``systems`` together and write ``out_path`` (the run file).

    Args:
        systems: the (cell, temperature) systems of this batch.
        model: a torch-sim model (``model(state)`` → energy, forces).
        config: protocol (timestep, duration, strides, thermostat).
        out_path: the ``.h5`` file to create (checkpoint: ``<out>.ckpt.pt``).
        model_name, model_version: recorded in the file.
        resume: continue from the checkpoint if there is one (the run file is
            truncated back to its step); refused if it was written for another
            model, protocol or set of systems.
        step_callback: called as ``f(step, state)`` after every step (tests).
        stop_after_step: raise ``KeyboardInterrupt`` after this step, as a kill
            would (tests of resume).
    """
    check_systems(systems, mobile_species=config.mobile_species)
    device = model.device  # type: ignore[attr-defined]
    dtype = model.dtype  # type: ignore[attr-defined]
    state, momenta, kT = build_state(systems, device=device, dtype=dtype)
    mobile = _mobile_mask(systems, config.mobile_species, device)
    n_sys, n_atoms = len(systems), int(state.positions.shape[0])  # type: ignore[attr-defined]
    keys = [s.key for s in systems]
    eq, total = config.equilibration_steps, config.n_steps

    out_path = Path(out_path)
    ckpt_path = out_path.with_suffix(".ckpt.pt")
    fp = fingerprint(
        config=config.as_dict(),
        model_name=model_name,
        model_version=model_version,
        system_keys=keys,
    )
    payload = None
    if resume and ckpt_path.exists() and out_path.exists():
        payload = load_checkpoint(ckpt_path, fingerprint_hex=fp)
        writer = RunFileWriter(out_path, append=True)
        writer.truncate_after(int(payload["step"]))
    else:
        writer = RunFileWriter(out_path, config_json=config_to_json(config.as_dict()))
        writer.create_systems(
            [
                s.info(
                    timestep_fs=config.timestep_fs,
                    steps_total=total,
                    equilibration_steps=eq,
                    sample_every_steps=config.sample_every_steps,
                    mobile_species=config.mobile_species,
                    model_name=model_name,
                    model_version=model_version,
                )
                for s in systems
            ]
        )
    msd = MultiWindowMSD(
        system_idx=state.system_idx,  # type: ignore[attr-defined]
        mobile_mask=mobile,
        n_systems=n_sys,
        stride_steps=config.msd_every_steps,
        n_samples=(total - eq) // config.msd_every_steps + 1,
        block_size=config.msd_block_size,
    )
    rec = Recorder(
        keys=keys,
        system_idx=state.system_idx,  # type: ignore[attr-defined]
        mobile_mask=mobile,
    )
    failed: dict[str, str] = {}

    def record(step: int, st: Any) -> None:
        if step >= eq:
            if (step - eq) % config.msd_every_steps == 0:
                msd.sample(st.positions)
            if (step - eq) % config.sample_every_steps == 0:
                rec.add_frame(step=step, positions=st.positions)
        if step % config.thermo_every_steps == 0:
            rec.add_thermo(
                step=step,
                temperature_K=nh.kinetic_temperature_K(st),
                potential_energy_eV=st.energy,
                conserved_energy_eV=nh.nh_conserved_energy(st, kT=kT),
            )

    def flush(step: int, st: Any, *, final: bool = False) -> None:
        updates = rec.drain()
        res = msd.result() if msd.n_taken > 0 else None
        bad = (~torch.isfinite(st.positions).all(dim=1)).long()
        n_bad = torch.zeros(n_sys, dtype=torch.long, device=device)
        n_bad = n_bad.index_add_(0, st.system_idx, bad).cpu().numpy()
        for i, up in enumerate(updates):
            up.steps_done = step
            if res is not None:
                up.msd = _msd_for_system(res, i, config.timestep_fs)
            if n_bad[i] and keys[i] not in failed:
                failed[keys[i]] = f"non-finite positions by step {step}"
                up.status, up.failure_reason = "failed", failed[keys[i]]
            elif final and keys[i] not in failed:
                up.status = "done"
        writer.write(updates)
        save_checkpoint(
            ckpt_path, step=step, state=st, msd_state=msd.state_dict(), fingerprint_hex=fp
        )

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
    start = 0
    if payload is not None:
        restore_into(st, payload)
        msd.load_state_dict(payload["msd"])
        start = int(payload["step"])
    else:
        record(0, st)
    dt = nh.time_internal(config.timestep_fs)
    progress = Progress(
        total_steps=total,
        timestep_fs=config.timestep_fs,
        n_atoms=n_atoms,
        enabled=config.progress and start < total,
        label=f"MD {n_sys} systems, {n_atoms} atoms",
    )
    progress.update(start)
    t0 = last_flush = time.perf_counter()
    for step in range(start + 1, total + 1):
        st = nh.nh_step(st, model, kT=kT, dt=dt)
        record(step, st)
        if step_callback is not None:
            step_callback(step, st)
        due = time.perf_counter() - last_flush > config.flush_every_s
        if step < total and (step % config.flush_every_steps == 0 or due):
            flush(step, st)
            last_flush = time.perf_counter()
        progress.update(step)
        if stop_after_step is not None and step >= stop_after_step:
            progress.close()
            raise KeyboardInterrupt(f"stopped after step {step}")
    if start < total:
        flush(total, st, final=True)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    wall = time.perf_counter() - t0
    progress.close()
    peak = int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else 0
    done = total - start
    return RunSummary(
        path=out_path,
        n_systems=n_sys,
        n_atoms=n_atoms,
        steps=done,
        wall_s=wall,
        atom_steps_per_s=n_atoms * done / wall if wall > 0 else float("inf"),
        ns_per_day=done * config.timestep_fs * 1e-6 / (wall / 86400.0)
        if wall > 0
        else float("inf"),
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
