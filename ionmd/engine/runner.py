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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ionmd import interrupts
from ionmd.engine import integrator as nh
from ionmd.engine.checkpoint import (
    batch_inputs,
    fingerprint,
    load_checkpoint,
    restore_into,
    save_checkpoint,
)
from ionmd.engine.faults import FaultDetector, FaultLimits, record_failures
from ionmd.engine.frame import FrameworkFrame
from ionmd.engine.msd import MultiWindowMSD, system_msd
from ionmd.engine.progress import Progress
from ionmd.engine.protocol import Protocol
from ionmd.engine.recorder import Recorder
from ionmd.engine.systems import SystemSpec, build_state, check_systems, mobile_mask
from ionmd.engine.thermo import Thermo
from ionmd.fileformat import RunFileWriter, SystemUpdate, config_to_json
from ionmd.log import get_logger

log = get_logger(__name__)


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


def run_batch(
    systems: Sequence[SystemSpec],
    model: object,
    *,
    protocol: Protocol,
    out_path: str | Path,
    model_name: str,
    model_version: str = "",
    resume: bool = False,
    run_config: Mapping[str, Any] | None = None,
    step_callback: Callable[[int, object], None] | None = None,
    stop_after_step: int | None = None,
) -> RunSummary:
    """Simulate all ``systems`` together and write ``out_path`` (the run file).

    Args:
        systems: the (cell, temperature) systems of this batch.
        model: a torch-sim model (``model(state)`` → energy, forces).
        protocol: timestep, duration, strides, thermostat, fault limits, flush
            policy and fast paths (:class:`~ionmd.engine.protocol.Protocol`).
        out_path: the ``.h5`` file to create (checkpoint: ``<out>.ckpt.pt``).
        model_name, model_version: recorded in the file.
        resume: continue from the checkpoint if there is one (the run file is
            truncated back to its step); refused if it was written for another
            model, protocol or set of systems.
        step_callback: called as ``f(step, state)`` after every step (tests).
        stop_after_step: raise ``KeyboardInterrupt`` after this step, as a kill
            would (tests of resume).
        run_config: the settings recorded in the file as the run's config (the
            campaign's flat config; default: the protocol).

    A system whose forces or positions turn non-finite, whose atoms jump, or
    whose temperature runs away is marked ``failed`` in the run file with the
    reason and the step, and leaves the batch; the others carry on, unchanged.
    """
    check_systems(systems, mobile_species=protocol.mobile_species)
    return _BatchRun(
        systems,
        model,
        config=protocol,
        out_path=Path(out_path),
        model_name=model_name,
        model_version=model_version,
        resume=resume,
        run_config=protocol.as_dict() if run_config is None else dict(run_config),
    ).run(step_callback=step_callback, stop_after_step=stop_after_step)


def _batch_fingerprint(
    systems: Sequence[SystemSpec], *, config: Protocol, model_name: str, model_version: str
) -> str:
    """What a checkpoint of this batch continues: protocol, model, systems."""
    return fingerprint(
        batch_inputs(
            # the frame of the stored positions/MSD is part of what a checkpoint
            # continues: one written before they were framework-relative is refused
            protocol={**config.fingerprint_fields(), "position_frame": "framework_com"},
            model_name=model_name,
            model_version=model_version,
            systems={s.key: s.content_sha256() for s in systems},
        )
    )


class _BatchRun:
    """The mutable state of one batch run (systems can leave it)."""

    def __init__(
        self,
        systems: Sequence[SystemSpec],
        model: Any,
        *,
        config: Protocol,
        out_path: Path,
        model_name: str,
        model_version: str,
        resume: bool,
        run_config: dict[str, Any],
    ) -> None:
        self.model, self.config = model, config
        self.device = model.device
        state, momenta, self.kT = build_state(
            systems, device=self.device, dtype=model.dtype
        )
        self.mobile = mobile_mask(
            systems, species=config.mobile_species, device=self.device
        )
        self.keys = [s.key for s in systems]
        self.n_atoms_total = int(state.positions.shape[0])
        eq, total = config.equilibration_steps, config.n_steps
        self.out_path = out_path
        self.ckpt_path = out_path.with_suffix(".ckpt.pt")
        self.fp = _batch_fingerprint(
            systems, config=config, model_name=model_name, model_version=model_version
        )
        payload = self._open_run_file(
            systems,
            resume=resume,
            run_config=run_config,
            model_name=model_name,
            model_version=model_version,
        )
        self.msd = MultiWindowMSD(
            system_idx=state.system_idx,
            mobile_mask=self.mobile,
            n_systems=len(systems),
            stride_steps=config.msd_every_steps,
            n_samples=(total - eq) // config.msd_every_steps + 1,
            block_size=config.msd_block_size,
        )
        self.frame = FrameworkFrame(
            positions0=state.positions,
            masses=state.masses,
            system_idx=state.system_idx,
            framework_mask=~self.mobile,
            n_systems=len(systems),
        )
        self.rec = Recorder(
            keys=self.keys, system_idx=state.system_idx, mobile_mask=self.mobile
        )
        self.failed: dict[str, str] = {}
        self.st = nh.nh_init(
            state,
            model,
            kT=self.kT,
            momenta=momenta,
            timestep_fs=config.timestep_fs,
            tau_fs=config.thermostat_tau_fs,
            chain_length=config.chain_length,
        )
        self.thermo = Thermo.of_state(self.st, n_systems=len(self.keys))
        self.start = 0
        if payload is not None:
            self._restore(payload)
        else:
            self._record(0)
        self.faults = FaultDetector(
            limits=FaultLimits(
                max_step_displacement_A=config.max_step_displacement_A,
                max_temperature_factor=config.max_temperature_factor,
            ),
            positions=self.st.positions,
            step=self.start,
        )

    def _open_run_file(
        self,
        systems: Sequence[SystemSpec],
        *,
        resume: bool,
        run_config: dict[str, Any],
        model_name: str,
        model_version: str,
    ) -> dict[str, Any] | None:
        """Open the run file: appended to (returning the checkpoint) on resume,
        else created with every system's info (returning None)."""
        config = self.config
        if resume and self.ckpt_path.exists() and self.out_path.exists():
            payload = load_checkpoint(self.ckpt_path, fingerprint_hex=self.fp)
            self.writer = RunFileWriter(self.out_path, append=True)
            # the in-flight batch's rewind: the checkpoint's systems back to its
            # step (a failure written after it cleared: it runs again); the rest
            # failed before it and are left as they are
            step = int(payload["step"])
            active = list(payload.get("active_keys", self.keys))
            self.writer.rewind(steps=dict.fromkeys(active, step), keep=self.keys)
            return payload
        self.writer = RunFileWriter(self.out_path, config_json=config_to_json(run_config))
        self.writer.create_systems(
            [
                s.info(
                    timestep_fs=config.timestep_fs,
                    steps_total=config.n_steps,
                    equilibration_steps=config.equilibration_steps,
                    sample_every_steps=config.sample_every_steps,
                    mobile_species=config.mobile_species,
                    model_name=model_name,
                    model_version=model_version,
                )
                for s in systems
            ]
        )
        return None

    def _restore(self, payload: dict[str, Any]) -> None:
        """Continue from a checkpoint: its active systems, state, MSD and step."""
        active = set(payload.get("active_keys", self.keys))
        keep = torch.tensor([k in active for k in self.keys], device=self.device)
        if not bool(keep.all()):
            self._select(keep)
        restore_into(self.st, payload)
        self.msd.load_state_dict(payload["msd"])
        self.start = int(payload["step"])

    # --- per step ---------------------------------------------------------------
    def _record(self, step: int) -> None:
        cfg, st = self.config, self.st
        eq = cfg.equilibration_steps
        if step >= eq:
            due_msd = (step - eq) % cfg.msd_every_steps == 0
            due_frame = (step - eq) % cfg.sample_every_steps == 0
            if due_msd or due_frame:
                # relative to the framework's centre of mass (ionmd.engine.frame)
                rel, shift = self.frame.relative(st.positions)
                if due_msd:
                    self.msd.sample(rel)
                if due_frame:
                    self.rec.add_frame(
                        step=step,
                        positions=rel,
                        framework_com=shift,
                        with_framework=cfg.framework_frame_due(step),
                    )
        if step % cfg.thermo_every_steps == 0:
            self.rec.add_thermo(
                step=step,
                temperature_K=self.thermo.temperature_K(st),
                potential_energy_eV=st.energy,
                conserved_energy_eV=self.thermo.conserved_energy_eV(st, kT=self.kT),
            )

    def _check(self, step: int) -> None:
        """Fault check; failed systems leave the batch (their data since the last
        flush is dropped, their status and reason written)."""
        failed = self.faults.check_state(
            self.st, step=step, thermo=self.thermo, kT=self.kT, n_systems=len(self.keys)
        )
        if not failed:
            return
        record_failures(self.writer, keys=self.keys, failed=failed)
        for i, why in failed.items():
            self.failed[self.keys[i]] = why
        keep = torch.ones(len(self.keys), dtype=torch.bool, device=self.device)
        keep[list(failed)] = False
        self._select(keep)

    def _select(self, keep: torch.Tensor) -> None:
        atoms = keep[self.st.system_idx]
        idx = torch.nonzero(keep).squeeze(-1).tolist()
        self.keys = [self.keys[i] for i in idx]
        if not idx:
            return
        st = nh.select_systems(self.st, keep)
        self.st, self.kT, self.mobile = st, self.kT[keep], self.mobile[atoms]
        self.thermo = Thermo.of_state(st, n_systems=len(idx))
        self.msd.select(keep)
        self.frame.select(
            keep, masses=st.masses, system_idx=st.system_idx, framework_mask=~self.mobile
        )
        self.rec.select(keep, system_idx=st.system_idx, mobile_mask=self.mobile)
        if hasattr(self, "faults"):
            self.faults.select(atoms)

    def _flush(self, step: int, *, final: bool = False) -> None:
        self._check(step)
        updates = self.rec.drain()
        res = self.msd.result() if self.msd.n_taken > 0 and self.keys else None
        for i, up in enumerate(updates):
            up.steps_done = step
            if res is not None:
                up.msd = system_msd(res, i, timestep_fs=self.config.timestep_fs)
            if final:
                up.status = "done"
        self.writer.write(updates)
        save_checkpoint(
            self.ckpt_path,
            step=step,
            state=self.st,
            msd_state=self.msd.state_dict(),
            fingerprint_hex=self.fp,
            active_keys=self.keys,
        )

    def run(
        self,
        *,
        step_callback: Callable[[int, object], None] | None,
        stop_after_step: int | None,
    ) -> RunSummary:
        cfg, device = self.config, self.device
        total, start = cfg.n_steps, self.start
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        dt = nh.time_internal(cfg.timestep_fs)
        progress = Progress(
            total_steps=total,
            timestep_fs=cfg.timestep_fs,
            n_atoms=self.n_atoms_total,
            enabled=cfg.progress and start < total,
            label=f"MD {len(self.keys)} systems, {self.n_atoms_total} atoms",
            line_every_s=cfg.flush_every_s,  # without a terminal: a line per flush
        )
        progress.update(start)
        t0 = last_flush = time.perf_counter()
        with interrupts.deferred():  # SIGINT/SIGTERM: stop at the end of a step
            for step in range(start + 1, total + 1):
                if not self.keys:
                    break
                self.st = nh.nh_step(self.st, self.model, kT=self.kT, dt=dt)
                self._record(step)
                if step_callback is not None:
                    step_callback(step, self.st)
                due = time.perf_counter() - last_flush > cfg.flush_every_s
                if step < total and (step % cfg.flush_every_steps == 0 or due):
                    self._flush(step)
                    last_flush = time.perf_counter()
                elif step % cfg.fault_check_every_steps == 0:
                    self._check(step)
                progress.update(step)
                signum = interrupts.pending_signal()
                if signum is not None:
                    self._flush(step)
                    progress.close()
                    raise interrupts.Interrupted(
                        signum,
                        f"{self.out_path.name}: checkpoint written at step {step}",
                    )
                if stop_after_step is not None and step >= stop_after_step:
                    progress.close()
                    raise KeyboardInterrupt(f"stopped after step {step}")
            # also when a resume starts at the last step (killed after the last
            # checkpoint, before or while the systems were marked done)
            if self.keys:
                self._flush(total, final=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        wall = time.perf_counter() - t0
        progress.close()
        peak = int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else 0
        done = total - start
        n_sys = len(self.keys) + len(self.failed)
        return RunSummary(
            path=self.out_path,
            n_systems=n_sys,
            n_atoms=self.n_atoms_total,
            steps=done,
            wall_s=wall,
            atom_steps_per_s=self.n_atoms_total * done / wall if wall > 0 else float("inf"),
            ns_per_day=done * cfg.timestep_fs * 1e-6 / (wall / 86400.0)
            if wall > 0
            else float("inf"),
            peak_device_bytes=peak,
            failed=dict(self.failed),
        )


__all__ = ["RunSummary", "SystemUpdate", "run_batch"]
