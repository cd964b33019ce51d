"""In-flight batching: one batched state whose systems enter and leave while it
runs. It is the one MD loop of both protocols: the adaptive protocol decides who
enters and leaves (docs/adaptive.md); the study's fixed batch
(:func:`ionmd.engine.runner.run_batch`) is one cohort entering at step 0 and
leaving at ``duration_ps``.

Systems enter in *cohorts* (the systems added at the same step), appended at the
end of the batch, and leave at any chunk boundary. Each system keeps its own clock
(its step = the batch's step − its cohort's entry step) and its run-file group
looks like a normal run's (steps from 0). A cohort has its own MSD accumulator
(open-ended: :class:`~ionmd.engine.msd.MultiWindowMSD` without ``n_samples``),
framework frame and recorder, because the multiple-window MSD's levels are tied
to the sample counter, which differs between cohorts. Entries happen at steps
that are multiples of every stride (``chunk_steps`` is), so every cohort samples
at the same batch steps.

The step itself is :func:`ionmd.engine.integrator.nh_step` on the whole batch:
a system alone, in a fixed batch, or entering a
running batch follows the same trajectory (to float tolerance; bitwise when the
batch does not change, tests/engine/test_inflight.py). A checkpoint at every
flush holds the state, the cohorts (entry step, keys, MSD) and the caller's
``extra`` (the adaptive loop's queue and decisions; the fixed batch's waiting
systems and capacity after running out of memory), so a kill at any moment
resumes bit-for-bit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ionmd import interrupts
from ionmd.engine import integrator as nh
from ionmd.engine.checkpoint import (
    load_checkpoint,
    restore_into,
    save_checkpoint,
    upgrade_fixed_batch,
)
from ionmd.engine.faults import FaultDetector, FaultLimits, record_failures
from ionmd.engine.frame import FrameworkFrame
from ionmd.engine.md_settings import MDSettings
from ionmd.engine.msd import MultiWindowMSD, system_msd
from ionmd.engine.recorder import Recorder
from ionmd.engine.staging import Stage, StageEnd
from ionmd.engine.systems import SystemSpec, build_state, check_systems, mobile_mask
from ionmd.engine.thermo import Thermo
from ionmd.errors import InputError
from ionmd.fileformat import RunFileWriter, SystemUpdate, config_to_json
from ionmd.log import get_logger

log = get_logger(__name__)


@dataclass(kw_only=True)
class _Cohort:
    """Systems that entered together: their clock, MSD, frame and recorder."""

    entry_step: int
    keys: list[str]
    msd: MultiWindowMSD
    frame: FrameworkFrame
    rec: Recorder
    #: positions (framework frame) at the first MSD sample: the whole-run lag,
    #: which the analysis includes in the 20 Å² check, is measured against them
    origin: torch.Tensor | None = None
    #: system and atom ranges in the batch (recomputed when the batch changes)
    systems: slice = slice(0, 0)
    atoms: slice = slice(0, 0)


class InFlightBatch:
    """A running batch that systems enter and leave.

    Args:
        model: a torch-sim model.
        md: the MD settings (their ``duration_ps`` is not used: the caller
            decides how long each system runs).
        out_path: the run file (``<out>.ckpt.pt``: its checkpoint).
        model_name, model_version: recorded per system.
        run_config: recorded as the run file's config.
        fingerprint_hex: what a checkpoint must match to be continued.
        chunk_steps: entries happen at multiples of this (a multiple of every
            stride of ``md``); None: the least common multiple of the
            strides (a batch whose systems all enter at step 0).
        stage: what every system runs before its production, in this loop
            (:mod:`ionmd.engine.staging`; ``cell = "npt"``), or None.
    """

    def __init__(
        self,
        model: Any,
        *,
        md: MDSettings,
        out_path: str | Path,
        model_name: str,
        model_version: str,
        run_config: Mapping[str, Any],
        fingerprint_hex: str,
        chunk_steps: int | None = None,
        stage: Stage | None = None,
    ) -> None:
        self.model, self.md = model, md
        self.stage = stage
        #: each system's record of its stage, once ended (key -> JSON row)
        self.stage_records: dict[str, dict[str, Any]] = {}
        self.device = model.device
        self.out_path = Path(out_path)
        self.ckpt_path = self.out_path.with_suffix(".ckpt.pt")
        self.model_name, self.model_version = model_name, model_version
        self.fp = fingerprint_hex
        self.chunk_steps = _strides_lcm(md) if chunk_steps is None else int(chunk_steps)
        _check_chunk(md, self.chunk_steps)
        self.run_config = dict(run_config)
        self.step = 0
        self.st: Any = None
        self.kT: torch.Tensor | None = None
        self.cohorts: list[_Cohort] = []
        #: systems in the batch (kept with the layout: counted every step)
        self.n_running = 0
        #: every system created in the run file (a resume removes the others)
        self.known: list[str] = []
        self.failed: dict[str, str] = {}
        #: the batch step at which each failed system left (mid-chunk, at a check)
        self.failed_step: dict[str, int] = {}
        #: the caller's state, saved in every checkpoint
        self.extra: dict[str, Any] = {}
        self.writer: RunFileWriter | None = None
        self.dt = nh.time_internal(md.timestep_fs)
        #: atom-steps and system-steps run by the systems now in the run file
        #: (each system's own steps x its atoms; an evicted system's are taken off)
        self.atom_steps = 0
        self.system_steps = 0
        #: the systems being entered (their first force call may run out of memory)
        self.entering: list[SystemSpec] = []
        #: called after every step (the caller's progress display), or None
        self.on_step: Callable[[], None] | None = None

    # --- what is in the batch ------------------------------------------------------
    @property
    def keys(self) -> list[str]:
        return [k for c in self.cohorts for k in c.keys]

    @property
    def n_atoms(self) -> int:
        return 0 if self.st is None else int(self.st.positions.shape[0])

    @property
    def staging(self) -> list[str]:
        """The systems in their stage (not yet in :attr:`keys`)."""
        return [] if self.stage is None else self.stage.keys

    @property
    def staging_atoms(self) -> int:
        """The atoms of the systems in their stage."""
        return 0 if self.stage is None else self.stage.n_atoms

    def staged(self) -> list[tuple[str, int]]:
        """The systems the stage holds (in it, or ended and not yet in the
        production) with their atoms, oldest first."""
        return [] if self.stage is None else self.stage.held()

    def stage_steps_left(self) -> list[int]:
        """Steps until the next system's stage ends ([] when none is in one)."""
        left = None if self.stage is None else self.stage.steps_left()
        return [] if left is None else [left]

    def atoms_per_system(self) -> list[int]:
        """Atoms of each system, in batch order."""
        return [] if self.st is None else self.st.n_atoms_per_system.tolist()

    def local_step(self, key: str) -> int:
        """``key``'s own step (0 when it entered)."""
        for c in self.cohorts:
            if key in c.keys:
                return self.step - c.entry_step
        raise KeyError(key)

    # --- opening and resuming ----------------------------------------------------------
    def start(self) -> None:
        """A new run file (nothing in the batch yet)."""
        self.writer = RunFileWriter(
            self.out_path, config_json=config_to_json(self.run_config)
        )

    @staticmethod
    def read_checkpoint(
        out_path: str | Path, *, fingerprint_hex: str | Sequence[str]
    ) -> dict | None:
        """The checkpoint to resume from, or None (no run file or no checkpoint);
        ``fingerprint_hex``: the one it must have, or several it may have."""
        out_path = Path(out_path)
        ckpt = out_path.with_suffix(".ckpt.pt")
        if not (out_path.exists() and ckpt.exists()):
            return None
        return load_checkpoint(ckpt, fingerprint_hex=fingerprint_hex)

    def resume(
        self, payload: Mapping[str, Any], *, specs: Mapping[str, SystemSpec]
    ) -> None:
        """Continue from a checkpoint (:meth:`read_checkpoint`): ``specs`` gives the
        system of each key in it. The run file is put back to the checkpoint (a
        fixed batch's checkpoint from before the one loop is upgraded:
        :func:`~ionmd.engine.checkpoint.upgrade_fixed_batch`). No force call: the
        checkpoint holds the forces and energy, so restoring takes no model
        memory and a batch that does not fit the device fails at its first step,
        inside the loop, where the out-of-memory split can evict
        (:func:`~ionmd.engine.out_of_memory.run_halving_on_oom`)."""
        payload = upgrade_fixed_batch(payload, keys=list(specs))
        self.writer = RunFileWriter(self.out_path, append=True)
        self.step = int(payload["step"])
        self.stage_records = dict(payload.get("stage_records") or {})
        if self.stage is not None:
            self.stage.load_state_dict(payload.get("stage"), specs=specs)
        cohorts = payload["msd"]["cohorts"]
        for c in cohorts:
            self._enter(
                [self._production_spec(specs[k]) for k in c["keys"]],
                entry_step=int(c["entry_step"]),
                forces=_from_checkpoint,
            )
        if cohorts:
            restore_into(self.st, payload)
            for cohort, saved in zip(self.cohorts, cohorts, strict=True):
                cohort.msd.load_state_dict(saved["msd"])
                origin = saved.get("origin")
                cohort.origin = None if origin is None else origin.to(self.device)
        self.known = list(payload["known_keys"])
        self.failed = dict(payload.get("failed", {}))
        self.failed_step = {k: int(v) for k, v in payload.get("failed_step", {}).items()}
        self.extra = dict(payload.get("extra", {}))
        self.atom_steps = int(payload.get("atom_steps", 0))
        self.system_steps = int(payload.get("system_steps", 0))
        steps = {k: self.step - c.entry_step for c in self.cohorts for k in c.keys}
        self.writer.rewind(steps=steps, keep=self.known)
        self._new_fault_detector()

    def _production_spec(self, spec: SystemSpec) -> SystemSpec:
        """``spec`` as its production started (after its stage, at the stage's cell)."""
        record = self.stage_records.get(spec.key)
        if record is None or self.stage is None:
            return spec
        return self.stage.production_spec(spec, record)

    # --- entering and leaving ----------------------------------------------------------
    def add(self, systems: Sequence[SystemSpec], *, steps_total: int) -> None:
        """Enter ``systems`` now (a chunk boundary): into their stage when the
        batch has one (they enter the production when it ends:
        :meth:`end_stages`), else a new cohort at the end of the batch; their
        run-file groups are created with ``steps_total`` planned."""
        if not systems:
            return
        if self.step % self.chunk_steps:
            raise ValueError(f"systems enter at chunk boundaries, not at step {self.step}")
        check_systems(systems, mobile_species=self.md.mobile_species)
        taken = set(self.known) | set(self.keys) | set(self.staging)
        clash = sorted({s.key for s in systems} & taken)
        if clash:
            raise InputError(f"system {clash[0]} is already in this run")
        if self.stage is not None:
            self.entering = list(systems)  # their first force call may not fit
            self.stage.enter(systems, steps_total=steps_total)
            self.entering = []
            return
        self._add_production(systems, steps_total=steps_total)

    def end_stages(self) -> None:
        """The systems whose stage ended enter the production (at the next chunk
        boundary; the clock moves on to it): a new cohort per planned length; a
        system the stage failed gets its run-file group with the reason."""
        if self.stage is None:
            return
        ended = self.stage.take_ended()
        if not ended:
            return
        if self.step % self.chunk_steps:  # the batch's others run on to it
            self.advance(-self.step % self.chunk_steps)
        self.stage_records.update({e.key: e.record for e in ended})
        failed = [e for e in ended if e.failed is not None]
        if failed:
            self._record_stage_failures(failed)
        by_length: dict[int, list[StageEnd]] = {}
        for e in ended:
            if e.failed is None:
                by_length.setdefault(e.steps_total, []).append(e)
        for steps_total, group in by_length.items():
            self._add_production([e.spec for e in group], steps_total=steps_total)

    def _record_stage_failures(self, failed: Sequence[StageEnd]) -> None:
        """Run-file groups for systems their stage ended: the stage's record
        (cell, series), no frames, status ``failed`` with the reason."""
        assert self.writer is not None
        self.writer.create_systems([self._info(e.spec, steps_total=0) for e in failed])
        keys = [e.key for e in failed]
        self.known.extend(keys)
        record_failures(
            self.writer, keys=keys, failed={i: e.failed for i, e in enumerate(failed)}
        )
        for e in failed:
            self.failed[e.key] = str(e.failed)
            self.failed_step[e.key] = self.step

    def _info(self, s: SystemSpec, *, steps_total: int) -> Any:
        p = self.md
        return s.info(
            timestep_fs=p.timestep_fs,
            steps_total=int(steps_total),
            equilibration_steps=p.equilibration_steps,
            sample_every_steps=p.sample_every_steps,
            mobile_species=p.mobile_species,
            model_name=self.model_name,
            model_version=self.model_version,
        )

    def _add_production(self, systems: Sequence[SystemSpec], *, steps_total: int) -> None:
        """A new production cohort of ``systems`` now, at the end of the batch."""
        assert self.writer is not None
        self.writer.create_systems(
            [self._info(s, steps_total=steps_total) for s in systems]
        )
        self.known.extend(s.key for s in systems)
        self.entering = list(systems)
        self._enter(systems, entry_step=self.step)
        self.entering = []
        cohort = self.cohorts[-1]
        self._record_cohort(cohort, 0)
        self._new_fault_detector()

    def _enter(
        self, systems: Sequence[SystemSpec], *, entry_step: int, forces: Any = None
    ) -> None:
        """A new cohort at the end of the batch; ``forces``: what gives its first
        forces and energy (None: the model; :func:`_from_checkpoint` on a resume)."""
        state, momenta, kT = build_state(
            systems, device=self.device, dtype=self.model.dtype
        )
        p = self.md
        st = nh.nh_init(
            state,
            self.model if forces is None else forces,
            kT=kT,
            momenta=momenta,
            timestep_fs=p.timestep_fs,
            tau_fs=p.thermostat_tau_fs,
            chain_length=p.chain_length,
        )
        mobile = mobile_mask(systems, species=p.mobile_species, device=self.device)
        n = len(systems)
        cohort = _Cohort(
            entry_step=entry_step,
            keys=[s.key for s in systems],
            msd=MultiWindowMSD(
                system_idx=state.system_idx,
                mobile_mask=mobile,
                n_systems=n,
                stride_steps=p.msd_every_steps,
                n_samples=None,
                block_size=p.msd_block_size,
            ),
            frame=FrameworkFrame(
                positions0=state.positions,
                masses=state.masses,
                system_idx=state.system_idx,
                framework_mask=~mobile,
                n_systems=n,
            ),
            rec=Recorder(
                keys=[s.key for s in systems],
                system_idx=state.system_idx,
                mobile_mask=mobile,
            ),
        )
        if self.st is None:
            self.st, self.kT = st, kT
        else:
            self.st, self.kT = nh.concat_systems(self.st, st), torch.cat([self.kT, kT])
        self.cohorts.append(cohort)
        self._layout()

    def remove(self, outcomes: Mapping[str, str], *, status: str = "done") -> None:
        """Take the systems in ``outcomes`` out of the batch (after a flush: their
        data are written), writing their status and final length; one still in
        its stage, or at its end, leaves it (:meth:`Stage.remove`: it has no
        run-file group and no stage record)."""
        # in their stage, or at its end (not yet in the production: end_stages)
        keys = set(self.keys)
        in_stage = [k for k in outcomes if k not in keys] if self.stage else []
        if in_stage:
            assert self.stage is not None
            self.stage.remove(in_stage)
            outcomes = {k: v for k, v in outcomes.items() if k not in in_stage}
        if not outcomes:
            return
        assert self.writer is not None
        self.writer.write(
            [
                SystemUpdate(
                    key=k,
                    status=status,
                    steps_done=self.local_step(k),
                    steps_total=self.local_step(k),
                )
                for k in outcomes
            ]
        )
        self._select(keep_keys=[k for k in self.keys if k not in outcomes])

    def evict(self, keys: Sequence[str]) -> None:
        """Take ``keys`` out of the batch and their groups out of the run file, as
        if they had never entered (the batch did not fit its device: they start
        again when they re-enter)."""
        if not keys:
            return
        for k in keys:  # a stage it ran is run again when it re-enters
            self.stage_records.pop(k, None)
        staged = {k for k, _ in self.staged()} & set(keys)
        if staged:  # in their stage: they leave it (the others go on)
            assert self.stage is not None
            self.stage.remove(sorted(staged))
        gone = set(keys) - staged
        sizes = dict(zip(self.keys, self.atoms_per_system(), strict=True))
        for k in gone:  # the steps they ran are run again when they re-enter
            self.atom_steps -= self.local_step(k) * sizes[k]
            self.system_steps -= self.local_step(k)
        self._select(keep_keys=[k for k in self.keys if k not in gone])
        self.known = [k for k in self.known if k not in gone]
        assert self.writer is not None
        self.writer.rewind(steps={}, keep=self.known)

    def extend(self, steps_total: Mapping[str, int]) -> None:
        """Record the new planned length (own steps) of systems that go on."""
        assert self.writer is not None
        self.writer.write(
            [SystemUpdate(key=k, steps_total=int(n)) for k, n in steps_total.items()]
        )

    def _select(self, *, keep_keys: Sequence[str]) -> None:
        keep_set = set(keep_keys)
        keep = torch.tensor([k in keep_set for k in self.keys], device=self.device)
        if not keep_set:
            self.st, self.kT, self.cohorts = None, None, []
            self.n_running = 0
            return
        if bool(keep.all()):
            return
        self.st, self.kT = nh.select_systems(self.st, keep), self.kT[keep]  # type: ignore[index]
        cohorts = []
        for c in self.cohorts:
            ck = keep[c.systems]
            if not bool(ck.any()):
                continue
            if not bool(ck.all()):
                mobile = c.msd._mobile  # the cohort's own atoms, before the drop
                atoms = ck[c.frame.system_idx]
                c.keys = [k for k, ok in zip(c.keys, ck.tolist(), strict=True) if ok]
                c.msd.select(ck)
                sys_idx = c.msd._system_idx
                masses = c.frame.masses[atoms]
                c.frame.select(
                    ck, masses=masses, system_idx=sys_idx, framework_mask=~mobile[atoms]
                )
                c.rec.select(ck, system_idx=sys_idx, mobile_mask=mobile[atoms])
                if c.origin is not None:
                    c.origin = c.origin[atoms]
            cohorts.append(c)
        self.cohorts = cohorts
        self._layout()
        self._new_fault_detector()

    def _layout(self) -> None:
        s = a = 0
        for c in self.cohorts:
            n_atoms = int(c.frame.system_idx.shape[0])
            c.systems, c.atoms = slice(s, s + len(c.keys)), slice(a, a + n_atoms)
            s, a = s + len(c.keys), a + n_atoms
        self.n_running = s
        self.thermo = Thermo.of_state(self.st, n_systems=s)

    def _new_fault_detector(self) -> None:
        p = self.md
        self.faults = FaultDetector(
            limits=FaultLimits(
                max_step_displacement_A=p.max_step_displacement_A,
                max_temperature_factor=p.max_temperature_factor,
            ),
            positions=self.st.positions if self.st is not None else torch.zeros(0, 3),
            step=self.step,
        )

    # --- the step loop -------------------------------------------------------------------
    def advance(self, n_steps: int, *, stop_after_step: int | None = None) -> None:
        """Run ``n_steps`` steps of every system in the batch (flushing and
        checkpointing as the MD settings say; SIGINT/SIGTERM: checkpoint, then
        :class:`ionmd.interrupts.Interrupted`). ``stop_after_step``: raise
        ``KeyboardInterrupt`` after this batch step, as a kill would (tests)."""
        p = self.md
        end = self.step + int(n_steps)
        last_flush = time.perf_counter()
        with interrupts.deferred():
            while self.step < end:
                staging = self.staging  # (one list per step, not three)
                if not (self.cohorts or staging):
                    break
                if staging:  # the stage's systems: one step of their own
                    assert self.stage is not None
                    self.atom_steps += self.stage.n_atoms
                    self.system_steps += len(staging)
                    self.stage.step()
                if self.cohorts:
                    self.st = nh.nh_step(self.st, self.model, kT=self.kT, dt=self.dt)
                self.step += 1
                self.atom_steps += self.n_atoms
                self.system_steps += self.n_running
                if self.cohorts:
                    self._record()
                if self.on_step is not None:
                    self.on_step()
                due = time.perf_counter() - last_flush > p.flush_every_s
                if self.step < end and (self.step % p.flush_every_steps == 0 or due):
                    self.flush()
                    last_flush = time.perf_counter()
                elif self.step % p.fault_check_every_steps == 0 and self.cohorts:
                    self._check()
                signum = interrupts.pending_signal()
                if signum is not None:
                    self.flush()
                    raise interrupts.Interrupted(
                        signum,
                        f"{self.out_path.name}: checkpoint written at step {self.step}",
                    )
                if stop_after_step is not None and self.step >= stop_after_step:
                    raise KeyboardInterrupt(f"stopped after step {self.step}")
        if not (self.cohorts or self.staging):  # none left: the clock runs on, idle
            self.step = end

    def _record(self) -> None:
        thermo = self._thermo_now() if self.step % self.md.thermo_every_steps == 0 else None
        for c in self.cohorts:
            self._record_cohort(c, self.step - c.entry_step, thermo=thermo)

    def _thermo_now(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Temperature and conserved energy of every system (once per thermo step;
        each cohort takes its rows)."""
        st = self.st
        return self.thermo.temperature_K(st), self.thermo.conserved_energy_eV(
            st, kT=self.kT
        )

    def _record_cohort(
        self,
        c: _Cohort,
        local: int,
        *,
        thermo: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        """MSD sample, frame and thermo of cohort ``c`` at its own step ``local``
        when due (entries are at multiples of every stride, so the thermo steps of
        all cohorts coincide)."""
        p, st = self.md, self.st
        eq = p.equilibration_steps
        if local >= eq:
            due_msd = (local - eq) % p.msd_every_steps == 0
            due_frame = (local - eq) % p.sample_every_steps == 0
            if due_msd or due_frame:
                rel, shift = c.frame.relative(st.positions[c.atoms])
                if due_msd:
                    if c.msd.n_taken == 0:
                        c.origin = rel.detach().clone()
                    c.msd.sample(rel)
                if due_frame:
                    c.rec.add_frame(
                        step=local,
                        positions=rel,
                        framework_com=shift,
                        with_framework=p.framework_frame_due(local),
                    )
        if local % p.thermo_every_steps == 0:
            temps, conserved = thermo if thermo is not None else self._thermo_now()
            c.rec.add_thermo(
                step=local,
                temperature_K=temps[c.systems],
                potential_energy_eV=st.energy[c.systems],
                conserved_energy_eV=conserved[c.systems],
            )

    def _check(self) -> None:
        """Fault check: a failed system leaves the batch, its status and reason
        written (the caller reads :attr:`failed`)."""
        failed = self.faults.check_state(
            self.st,
            step=self.step,
            thermo=self.thermo,
            kT=self.kT,
            n_systems=len(self.keys),
        )
        if not failed:
            return
        keys = self.keys
        assert self.writer is not None
        record_failures(self.writer, keys=keys, failed=failed)
        for i, why in failed.items():
            self.failed[keys[i]] = why
            self.failed_step[keys[i]] = self.step
        self._select(keep_keys=[k for i, k in enumerate(keys) if i not in failed])

    def flush(self) -> None:
        """Write what the recorders hold and the MSDs, then the checkpoint."""
        if self.cohorts:
            self._check()
        assert self.writer is not None
        updates: list[SystemUpdate] = []
        for c in self.cohorts:
            res = c.msd.result() if c.msd.n_taken > 0 else None
            for i, up in enumerate(c.rec.drain()):
                up.steps_done = self.step - c.entry_step
                if res is not None:
                    up.msd = system_msd(res, i, timestep_fs=self.md.timestep_fs)
                updates.append(up)
        self.writer.write(updates)
        self._save()

    def _save(self) -> None:
        empty = self.st is None
        save_checkpoint(
            self.ckpt_path,
            step=self.step,
            state=self.st if not empty else _EmptyState(),
            msd_state={
                "cohorts": [
                    {
                        "entry_step": c.entry_step,
                        "keys": list(c.keys),
                        "msd": c.msd.state_dict(),
                        "origin": None if c.origin is None else c.origin.cpu(),
                    }
                    for c in self.cohorts
                ]
            },
            fingerprint_hex=self.fp,
            active_keys=self.keys,
            extra={
                "stage": None if self.stage is None else self.stage.state_dict(),
                "stage_records": dict(self.stage_records),
                "known_keys": list(self.known),
                "failed": dict(self.failed),
                "failed_step": dict(self.failed_step),
                "extra": self.extra,
                "atom_steps": int(self.atom_steps),
                "system_steps": int(self.system_steps),
            },
        )

    def peak_device_bytes(self) -> int:
        """Peak device memory so far (0 off CUDA)."""
        if self.device.type != "cuda":
            return 0
        return int(torch.cuda.max_memory_allocated(self.device))

    def msd_results(self) -> dict[str, dict[str, Any]]:
        """Each system's MSD on its lag grid now (one small device → host copy per
        cohort): the arrays of the run file's /msd group."""
        out: dict[str, dict[str, Any]] = {}
        for c in self.cohorts:
            if c.msd.n_taken == 0:
                continue
            res = c.msd.result()
            whole = self._whole_run_msd(c)
            for i, key in enumerate(c.keys):
                out[key] = system_msd(res, i, timestep_fs=self.md.timestep_fs)
                if whole is not None:
                    out[key]["mobile_whole_run_A2"] = float(whole[i, 0])
                    out[key]["framework_whole_run_A2"] = float(whole[i, 1])
        return out

    def _whole_run_msd(self, c: _Cohort) -> Any:
        """``(n_systems, 2)`` MSD of the mobile ions and of the framework between the
        first MSD sample and now (one origin: the analysis's whole-run lag)."""
        if c.origin is None:
            return None
        rel, _ = c.frame.relative(self.st.positions[c.atoms])
        sq = ((rel - c.origin).to(torch.float64) ** 2).sum(-1)
        n = c.msd.n_systems
        sums = torch.zeros(2 * n, dtype=torch.float64, device=sq.device)
        sums.index_add_(0, c.msd._group, sq)
        counts = torch.stack([c.msd.n_mobile, c.msd.n_framework], 1).to(torch.float64)
        return (sums.view(n, 2) / counts.clamp_min(1)).cpu().numpy()


def _strides(md: MDSettings) -> dict[str, int]:
    p = md
    return {
        "msd_every_fs": p.msd_every_steps,
        "sample_every_fs": p.sample_every_steps,
        "thermo_every_fs": p.thermo_every_steps,
        "fault_check_every_fs": p.fault_check_every_steps,
    }


def _strides_lcm(md: MDSettings) -> int:
    return math.lcm(*_strides(md).values())


def _check_chunk(md: MDSettings, chunk_steps: int) -> None:
    for name, n in _strides(md).items():
        if chunk_steps < 1 or chunk_steps % n:
            raise InputError(
                f"chunk_ps ({chunk_steps} steps) must be a multiple of {name} ({n} steps)"
            )


def _from_checkpoint(state: Any) -> dict[str, torch.Tensor]:
    """Stands in for the model when a cohort is rebuilt from a checkpoint: zero
    forces and energy of the right shapes, which the checkpoint's then replace
    (:func:`~ionmd.engine.checkpoint.restore_into`), so a resume runs no force
    call."""
    zeros = state.positions.new_zeros
    return {"energy": zeros(state.n_systems), "forces": zeros(state.positions.shape)}


class _EmptyState:
    """What a checkpoint of an empty batch holds (between cohorts)."""

    def __init__(self) -> None:
        z = torch.zeros(0)
        self.positions = self.momenta = self.forces = self.energy = z
        self.chain = type("Chain", (), {n: z for n in nh.CHAIN_FIELDS})()


__all__ = ["InFlightBatch"]
