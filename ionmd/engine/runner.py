"""The fixed batch: every system enters at step 0 and leaves at ``duration_ps``
(the study protocol), run by the one MD loop, :class:`~ionmd.engine.inflight.
InFlightBatch`, as a single cohort.

Data flow per step (in that loop): model forces → NH step (all systems at once)
→ every ``msd_every`` steps the MSD accumulator reads the unwrapped positions on
the device → every ``sample_every`` steps the mobile ions are copied (on the
device) into the frame buffer → at each flush, one device → host copy of the
buffers and the MSD, appended to the run file, then the checkpoint. Nothing in
the loop moves the trajectory to the host per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import torch

from ionmd import interrupts
from ionmd.caller import option
from ionmd.engine.checkpoint import checkpoint_fingerprints
from ionmd.engine.inflight import InFlightBatch
from ionmd.engine.md_settings import MDSettings
from ionmd.engine.out_of_memory import run_halving_on_oom
from ionmd.engine.progress import Progress
from ionmd.engine.staging import Stage
from ionmd.engine.systems import SystemSpec, check_systems
from ionmd.errors import InputError
from ionmd.fileformat import SystemUpdate
from ionmd.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """What a finished batch reports (wall time excludes model loading)."""

    path: Path
    n_systems: int
    n_atoms: int
    #: the batch clock's steps (after an out-of-memory split, longer than each
    #: system's own run: its systems ran one after another)
    steps: int
    wall_s: float
    atom_steps_per_s: float
    ns_per_day: float
    peak_device_bytes: int
    failed: dict[str, str]
    #: the atoms the batch held each time it ran out of memory (each time its
    #: capacity was halved and the newest systems re-entered later)
    oom_held_atoms: tuple[int, ...] = ()
    #: each system's own steps run here x its atoms, summed (the work done; not
    #: ``n_atoms * steps`` once systems waited), and its own steps summed
    atom_steps: int = 0
    system_steps: int = 0
    #: each system's record of its stage before the production (key -> JSON
    #: row; ``cell = "npt"``), {} without one
    stage_records: dict[str, Any] = field(default_factory=dict)


#: the checkpoint's ``extra`` keys: the systems waiting to enter, and the atoms
#: the batch may hold (0: no limit; halved at each allocation failure)
PENDING, CAPACITY = "pending", "capacity_atoms"


def run_batch(
    systems: Sequence[SystemSpec],
    model: object,
    *,
    md: MDSettings,
    out_path: str | Path,
    model_name: str,
    model_version: str = "",
    resume: bool = False,
    run_config: Mapping[str, Any] | None = None,
    step_callback: Callable[[int, object], None] | None = None,
    stop_after_step: int | None = None,
    stage: Stage | None = None,
) -> RunSummary:
    """Simulate all ``systems`` together and write ``out_path`` (the run file).

    Args:
        systems: the (cell, temperature) systems of this batch.
        model: a torch-sim model (``model(state)`` → energy, forces).
        md: the MD settings: timestep, duration, strides, thermostat, fault
            limits, flush policy and fast paths
            (:class:`~ionmd.engine.md_settings.MDSettings`).
        out_path: the ``.h5`` file to create (checkpoint: ``<out>.ckpt.pt``).
        model_name, model_version: recorded in the file.
        resume: continue from the checkpoint if there is one (the run file is
            truncated back to its step); refused if it was written for another
            model, MD settings or set of systems.
        step_callback: called as ``f(step, state)`` after every step (tests).
        stop_after_step: raise ``KeyboardInterrupt`` after this step, as a kill
            would (tests of resume).
        run_config: the settings recorded in the file as the run's config (the
            campaign's flat config; default: ``md``).
        stage: what every system runs before its production, in the same loop
            and checkpoints (:mod:`ionmd.engine.staging`: ``cell = "npt"``'s NPT
            stage, :func:`ionmd.cells.npt_phase.npt_phase`), or None. Its
            settings are part of what a checkpoint must match.

    A system whose forces or positions turn non-finite, whose atoms jump, or
    whose temperature runs away is marked ``failed`` in the run file with the
    reason and the step, and leaves the batch; the others carry on, unchanged.
    """
    check_systems(systems, mobile_species=md.mobile_species)
    reopen = partial(
        _open,
        systems,
        model,
        md=md,
        out_path=Path(out_path),
        model_name=model_name,
        model_version=model_version,
        run_config=md.as_dict() if run_config is None else dict(run_config),
        stage=stage,
    )
    return _run_fixed(
        reopen(resume=resume),
        reopen=reopen,
        systems=systems,
        step_callback=step_callback,
        stop_after_step=stop_after_step,
    )


def _open(
    systems: Sequence[SystemSpec],
    model: Any,
    *,
    md: MDSettings,
    out_path: Path,
    model_name: str,
    model_version: str,
    resume: bool,
    run_config: dict[str, Any],
    stage: Stage | None = None,
) -> InFlightBatch:
    """The batch at its checkpoint (``resume`` and there is one: the run file put
    back to it), else a new run file with every system waiting to enter at step
    0 (:func:`_refill`)."""
    protocol = md.fingerprint_fields()
    if stage is not None:  # without one: the fingerprint as before stages
        protocol = protocol | {"stage": stage.fingerprint()}
    fp, as_spelled = checkpoint_fingerprints(
        protocol=protocol,
        model_name=model_name,
        model_version=model_version,
        systems=systems,
    )
    batch = InFlightBatch(
        model,
        md=md,
        out_path=out_path,
        model_name=model_name,
        model_version=model_version,
        run_config=run_config,
        fingerprint_hex=fp,
        stage=stage,
    )
    payload = (
        _read_checkpoint(out_path, hexes=(fp, as_spelled), staged=stage is not None)
        if resume
        else None
    )
    if payload is None:
        batch.start()
        batch.extra = {PENDING: [s.key for s in systems]}
    else:
        batch.resume(payload, specs={s.key: s for s in systems})
    return batch


def _read_checkpoint(
    out_path: Path, *, hexes: Sequence[str], staged: bool
) -> dict[str, Any] | None:
    """The checkpoint to resume (:meth:`InFlightBatch.read_checkpoint`); one that
    a batch with a stage cannot continue because it was written before stages
    ran in the loop (no ``stage`` entry: ``cell = "npt"`` ran its NPT stage as a
    pass before the MD then) is refused saying so, not as "another protocol"
    (found by a hostile test: a campaign killed under the older ionmd)."""
    try:
        return InFlightBatch.read_checkpoint(out_path, fingerprint_hex=hexes)
    except InputError:
        ckpt = out_path.with_suffix(".ckpt.pt")
        if staged and "stage" not in torch.load(
            ckpt, map_location="cpu", weights_only=False
        ):
            raise InputError(
                f"{ckpt}: written by an older ionmd, whose NPT stage ran before the MD "
                "instead of inside its loop; this version cannot continue it: re-run with "
                f"{option('--force')} to start again (or finish it with that version)"
            ) from None
        raise


def _run_fixed(
    batch: InFlightBatch,
    *,
    reopen: Callable[..., InFlightBatch],
    systems: Sequence[SystemSpec],
    step_callback: Callable[[int, object], None] | None,
    stop_after_step: int | None,
) -> RunSummary:
    """Run ``batch`` until every system has run the MD settings' steps (the wall
    time and the device's peak from the first step on, as before the one loop)."""
    cfg, device = batch.md, batch.device
    total, start = cfg.n_steps, batch.step
    # the batch clock's steps: the stage's (to a chunk boundary) and the production's
    stage_steps = 0 if batch.stage is None else batch.stage.n_steps
    clock_total = total + stage_steps + (-stage_steps % batch.chunk_steps)
    specs = {s.key: s for s in systems}
    n_atoms = sum(len(s.atoms) for s in systems)  # type: ignore[arg-type]
    progress = Progress(
        total_steps=clock_total,
        timestep_fs=cfg.timestep_fs,
        n_atoms=n_atoms,
        enabled=cfg.progress and start < clock_total,
        label=f"MD {len(systems)} systems, {n_atoms} atoms",
        line_every_s=cfg.flush_every_s,  # without a terminal: a line per flush
    )
    progress.update(start)
    held: list[int] = []  # the atoms held at each allocation failure
    atom_steps0, system_steps0 = batch.atom_steps, batch.system_steps

    def on_step(b: InFlightBatch) -> None:
        if step_callback is not None:
            step_callback(b.step, b.st)
        progress.update(min(b.step, clock_total))

    def to_the_end(w: _Waiting) -> None:
        w.batch.on_step = partial(on_step, w.batch)
        _to_the_end(w.batch, specs=specs, steps=total, stop_after_step=stop_after_step)

    def enter(w: _Waiting) -> None:
        _refill(w.batch, specs=specs, steps=total)

    def reopen_waiting() -> _Waiting:
        return _Waiting(reopen(resume=True))

    oom = partial(run_halving_on_oom, reopen=reopen_waiting, held=held)
    try:
        with interrupts.deferred():  # SIGINT/SIGTERM: stop at the end of a step
            owner, _ = oom(_Waiting(batch), run=enter)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            t0 = time.perf_counter()
            owner, _ = oom(owner, run=to_the_end)
            batch = owner.batch
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    finally:
        progress.close()
    wall = time.perf_counter() - t0
    done = batch.step - start
    atom_steps = batch.atom_steps - atom_steps0
    return RunSummary(
        path=batch.out_path,
        n_systems=len(systems),
        n_atoms=n_atoms,
        steps=done,
        wall_s=wall,
        atom_steps_per_s=atom_steps / wall if wall > 0 else float("inf"),
        ns_per_day=done * cfg.timestep_fs * 1e-6 / (wall / 86400.0)
        if wall > 0
        else float("inf"),
        peak_device_bytes=batch.peak_device_bytes(),
        failed=dict(batch.failed),
        oom_held_atoms=tuple(held),
        atom_steps=atom_steps,
        system_steps=batch.system_steps - system_steps0,
        stage_records=dict(batch.stage_records),
    )


@dataclass
class _Waiting:
    """The fixed batch as the owner of its waiting systems
    (:class:`~ionmd.engine.out_of_memory.BatchOwner`): they and the capacity are
    in its checkpoint (:data:`PENDING`, :data:`CAPACITY`)."""

    batch: InFlightBatch

    @property
    def capacity_atoms(self) -> int:
        return int(self.batch.extra.get(CAPACITY, 0))

    def requeue(self, keys: list[str], *, capacity_atoms: int) -> None:
        b = self.batch
        b.extra[CAPACITY] = capacity_atoms
        b.extra[PENDING] = list(keys) + list(b.extra.get(PENDING, []))
        b.flush()


def _to_the_end(
    batch: InFlightBatch,
    *,
    specs: Mapping[str, SystemSpec],
    steps: int,
    stop_after_step: int | None,
) -> None:
    """Run every system to its own step ``steps`` and mark it done (after its
    stage, when the batch has one); the systems waiting (:data:`PENDING`) enter
    when the batch is empty."""
    while True:
        _refill(batch, specs=specs, steps=steps)
        batch.end_stages()  # also those ended before a kill, at its checkpoint
        if not (batch.keys or batch.staging):
            return
        left = min(
            [steps - batch.local_step(k) for k in batch.keys] + batch.stage_steps_left()
        )
        batch.advance(left, stop_after_step=stop_after_step)
        batch.end_stages()
        # also when a resume starts at the last step (killed after the last
        # checkpoint, before or while the systems were marked done)
        if batch.keys:
            batch.flush()
            done = [k for k in batch.keys if batch.local_step(k) >= steps]
            batch.remove(dict.fromkeys(done, "done"))


def _refill(batch: InFlightBatch, *, specs: Mapping[str, SystemSpec], steps: int) -> None:
    """Enter the waiting systems that fit the capacity (:data:`CAPACITY`, none by
    default: all of them), when the batch is empty, at the next chunk boundary."""
    pending = list(batch.extra.get(PENDING, []))
    if not pending or batch.keys or batch.staging:
        return
    capacity = int(batch.extra.get(CAPACITY, 0))
    take, atoms = [pending[0]], len(specs[pending[0]].atoms)  # type: ignore[arg-type]
    for key in pending[1:]:
        atoms += len(specs[key].atoms)  # type: ignore[arg-type]
        if capacity and atoms > capacity:
            break
        take.append(key)
    batch.advance(-batch.step % batch.chunk_steps)  # the clock only: nothing runs
    batch.extra[PENDING] = pending[len(take) :]
    batch.add([specs[k] for k in take], steps_total=steps)


__all__ = ["RunSummary", "SystemUpdate", "run_batch"]
