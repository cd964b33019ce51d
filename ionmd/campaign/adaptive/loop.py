"""The adaptive campaign loop: one in-flight batch, a queue, decisions per chunk.

At every chunk boundary (the batch clock; every system's own clock is a
multiple of the chunk too) the loop
1. judges every running system from its MSD accumulator
   (:func:`~ionmd.campaign.adaptive.judge.judge_system`) and takes the stopped
   ones out of the batch;
2. plans each material (:func:`~ionmd.campaign.adaptive.judge.plan_material`):
   cancels queued temperatures above a melt, queues added temperatures (at the
   front of the queue, so materials finish), marks it resolved or unresolved;
3. refills the batch from the queue, first fit, up to ``capacity_atoms``;
4. writes the checkpoint (the batch and this loop's state: queue, records,
   events) and OUT/adaptive.json (docs/adaptive.md; the report reads it).

With a stage (``cell = "npt"``: :func:`ionmd.cells.npt_phase.npt_phase`) a
system that enters runs its own stage first, in the same batch and clock: it
holds its atoms of the capacity and counts as running, but is judged only from
its production, which it enters at the first chunk boundary after its stage
ended (step 0 of the boundary sequence above, before the judging); a system
its stage ends is finished with the stage's reason: ``melted`` when it melted
(the hotter temperatures are cancelled, as after a melt in NVT), ``failed``
when its cell blew up. Its ``entered_step`` and ``run_ps`` are its production's; its
``stage_entered_step`` and ``stage_ps`` (the batch time from entering its stage
to entering its production, whole chunks) say what the stage took.

Everything it decides from is in the checkpoint, and the decisions are pure
functions of it, so a kill at any moment followed by a re-run replays the same
decisions: the re-run's results equal an uninterrupted run's.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ionmd.campaign.adaptive.judge import (
    FINISHED,
    judge_system,
    plan_material,
    system_numbers,
)
from ionmd.campaign.adaptive.progress import adaptive_progress
from ionmd.campaign.adaptive.settings import AdaptiveSettings
from ionmd.campaign.cost import cost_record
from ionmd.cells.npt_framework import is_stage_melt
from ionmd.engine.checkpoint import checkpoint_fingerprints
from ionmd.engine.inflight import InFlightBatch
from ionmd.engine.md_settings import MDSettings
from ionmd.engine.out_of_memory import shrink_to
from ionmd.engine.staging import Stage
from ionmd.engine.systems import SystemSpec
from ionmd.fileformat import system_key
from ionmd.log import get_logger
from ionmd.outputs import write_text_atomic

log = get_logger(__name__)

STATE_FILE = "adaptive.json"


class AdaptiveLoop:
    """Runs (or resumes) an adaptive campaign's systems into ``out_path``.

    Args:
        model: the torch-sim model.
        md: the MD settings; settings: the adaptive keys.
        systems: the initial (material, temperature) systems (queued hottest first).
        capacity_atoms: atoms the batch may hold (a system larger than it runs alone).
        out_path: the run file; OUT/adaptive.json is written next to it.
        model_name, model_version, run_config: recorded in the run file.
        fingerprint_protocol: what a checkpoint must match (the campaign's
            ``protocol_fingerprint()``: MD settings + adaptive keys).
        state_path: where the state is written (default OUT/adaptive.json).
        stage: what each system runs before its production (``cell = "npt"``:
            :func:`ionmd.cells.npt_phase.npt_phase`), or None.
    """

    def __init__(
        self,
        model: Any,
        *,
        md: MDSettings,
        settings: AdaptiveSettings,
        systems: Sequence[SystemSpec],
        capacity_atoms: int,
        out_path: Path,
        model_name: str,
        model_version: str,
        run_config: Mapping[str, Any],
        fingerprint_protocol: Mapping[str, Any],
        state_path: Path | None = None,
        stage: Stage | None = None,
    ) -> None:
        self.md, self.settings = md, settings
        self.base = {s.material_id: s for s in systems}
        self.chunk = settings.chunk_steps(md)
        self.capacity = int(capacity_atoms)
        self.state_path = state_path or out_path.parent / STATE_FILE
        #: (time, batch step, atom-steps) the cost record counts from; a loop
        #: rebuilt after running out of memory takes its predecessor's
        self.origin: tuple[float, int, int] | None = None
        fp, as_spelled = checkpoint_fingerprints(
            protocol=fingerprint_protocol,
            model_name=model_name,
            model_version=model_version,
            systems=systems,
        )
        self.pool = InFlightBatch(
            model,
            md=md,
            out_path=out_path,
            model_name=model_name,
            model_version=model_version,
            run_config=run_config,
            fingerprint_hex=fp,
            chunk_steps=self.chunk,
            stage=stage,
        )
        payload = InFlightBatch.read_checkpoint(out_path, fingerprint_hex=(fp, as_spelled))
        if payload is None:
            self.pool.start()
            self.state = self._new_state(systems)
        else:
            state = payload["extra"]
            # every system it knows: those in the production and in their stage
            specs = {k: self._spec(k, state) for k in state["systems"]}
            self.pool.resume(payload, specs=specs)
            self.state = self.pool.extra
            if self.state.get("oom_capacity_atoms"):  # halved before a kill: still
                cap = int(self.state["oom_capacity_atoms"])
                self.requeue(shrink_to(self.pool, capacity_atoms=cap), capacity_atoms=cap)
            log.info(f"adaptive: resuming at batch step {self.pool.step}")

    # --- the owner of the batch's waiting systems (engine/out_of_memory.py) -------
    @property
    def batch(self) -> InFlightBatch:
        return self.pool

    @property
    def capacity_atoms(self) -> int:
        return self.capacity

    def requeue(self, keys: list[str], *, capacity_atoms: int) -> None:
        """Hold at most ``capacity_atoms`` from now on; ``keys``, just evicted from
        the batch (it ran out of device memory:
        :func:`~ionmd.engine.out_of_memory.run_halving_on_oom`), go back to the
        front of the queue, the one list of waiting systems, and start again when
        they re-enter; the rest go on from the checkpoint."""
        st = self.state
        cap = int(capacity_atoms)
        self.capacity = min(self.capacity, cap) if self.capacity else cap
        st["oom_capacity_atoms"] = self.capacity
        for key in reversed(keys):  # newest first: the batch order is kept
            self._split_occupancy(at_step=self.pool.step,
                                  atoms_left=st["systems"][key]["n_atoms"])  # fmt: skip
            st["systems"][key] |= {"outcome": "queued", "entered_step": None,
                                   "run_ps": 0.0, "numbers": {}}  # fmt: skip
            if self.pool.stage is not None:  # it runs its stage again on re-entry
                st["systems"][key] |= {"stage_entered_step": None, "stage_ps": 0.0}
            st["queue"].insert(0, key)
            why = f"out of memory: capacity now {self.capacity} atoms"
            self._event("requeue", key=key, reason=why)
        if keys:
            rows = st["occupancy"]
            if rows and rows[-1]["step_start"] == self.pool.step:  # the row from now on
                rows[-1]["queued"] = len(st["queue"])
            log.info(f"adaptive: {', '.join(keys)} back in the queue (out of memory)")
        self._save()

    # --- state ------------------------------------------------------------------
    def _new_state(self, systems: Sequence[SystemSpec]) -> dict[str, Any]:
        recs = {s.key: self._record(s) for s in systems}
        materials: dict[str, Any] = {}
        for s in systems:
            m = materials.setdefault(
                s.material_id, {"status": "running", "reason": "", "temperatures_K": []}
            )
            m["temperatures_K"].append(float(s.temperature_K))
        return {
            "schema": 1,
            "settings": self.settings.as_dict(),
            "timestep_fs": self.md.timestep_fs,
            "capacity_atoms": self.capacity,
            "step": 0,
            "atom_steps": 0,
            "decided_step": -1,
            # hottest first, across materials: a melt, or a material that stays
            # caged (or too slow) even hot (its colder temperatures are then
            # cancelled), is known before the colder runs are spent
            "queue": [s.key for s in sorted(systems, key=lambda s: -s.temperature_K)],
            "systems": recs,
            "materials": materials,
            "events": [],
            "occupancy": [],
            "done": False,
        }

    def _record(self, spec: SystemSpec) -> dict[str, Any]:
        symbols = spec.atoms.get_chemical_symbols()  # type: ignore[attr-defined]
        # with a stage: when it entered it and the batch time it took
        staged = (
            {"stage_entered_step": None, "stage_ps": 0.0}
            if self.pool.stage is not None
            else {}
        )
        return {
            "material_id": spec.material_id,
            "temperature_K": float(spec.temperature_K),
            "n_atoms": len(symbols),
            "n_ions": symbols.count(self.md.mobile_species),
            "entered_step": None,
            "left_step": None,
            "run_ps": 0.0,
            "outcome": "queued",
            "reason": "",
            "numbers": {},
        } | staged

    def _spec(self, key: str, state: Mapping[str, Any]) -> SystemSpec:
        rec = state["systems"][key]
        base = self.base[rec["material_id"]]
        return dataclasses.replace(base, temperature_K=float(rec["temperature_K"]))

    def _event(
        self, event: str, *, key: str | None = None, step: int | None = None, **fields: Any
    ) -> None:
        st = self.state
        row: dict[str, Any] = {"step": self.pool.step if step is None else step}
        if key is not None:
            rec = st["systems"][key]
            row |= {"key": key, "material_id": rec["material_id"]}
            row |= {"temperature_K": rec["temperature_K"]}
        row |= {"event": event, **fields}
        st["events"].append(row)

    # --- the loop ---------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Run to the end; returns the cost record (campaign.json's batch entry)."""
        if self.origin is None:
            self.origin = (time.perf_counter(), self.pool.step, self.pool.atom_steps)
        t0, steps0, atom_steps0 = self.origin
        with adaptive_progress(self) as progress:  # one bar (ionmd/.../progress.py)
            while True:
                at_boundary = self.pool.step % self.chunk == 0  # (a resume: mid-chunk)
                if at_boundary and self.state["decided_step"] != self.pool.step:
                    self._boundary()
                progress.boundary()
                if not (self.pool.keys or self.pool.staging):
                    break
                todo = self.chunk - self.pool.step % self.chunk
                self.pool.advance(todo)
                self.pool.flush()
        self.state["done"] = True
        self._save()
        wall = time.perf_counter() - t0
        done = self.pool.atom_steps - atom_steps0
        cost = cost_record(
            file=self.pool.out_path.name,
            protocol="adaptive",
            # the systems that ran (a cancelled temperature never entered)
            n_systems=sum(_ran(r) for r in self.state["systems"].values()),
            n_atoms=self.capacity,
            steps=self.pool.step - steps0,
            atom_steps=done,
            simulated_ps=sum(r["run_ps"] for r in self.state["systems"].values()),
            timestep_fs=self.md.timestep_fs,
            wall_s=wall,
            md_wall_s=wall,
            peak_device_bytes=self.pool.peak_device_bytes(),
            failed=self.pool.failed,
            occupancy_mean=occupancy_mean(self.state),
        )
        if self.pool.stage_records:  # cell = "npt": campaign.json's cells
            cost["cells"] = dict(self.pool.stage_records)
        return cost

    def _boundary(self) -> None:
        """Decide, refill, checkpoint (see the module doc)."""
        self._stop_stages_if_spent()
        self._end_stages()
        self._judge_systems()
        self._plan_materials()
        self._fill()
        self.state["decided_step"] = self.pool.step
        self._save()

    def _save(self) -> None:
        st = self.state
        st["step"], st["atom_steps"] = self.pool.step, self.pool.atom_steps
        st["occupancy_mean"] = occupancy_mean(st)
        st["occupancy_mean_while_queued"] = occupancy_mean(st, while_queued=True)
        self.pool.extra = st
        self.pool.flush()  # the checkpoint now holds this state
        write_text_atomic(self.state_path, json.dumps(st, indent=1, allow_nan=False))

    def _over_budget(self) -> bool:
        s = self.settings
        return bool(s.max_atom_steps) and self.pool.atom_steps >= s.max_atom_steps

    def _stop_stages_if_spent(self) -> None:
        """The budget is spent: the systems in their stage (or at its end) stop
        there (outcome budget): they never enter the production."""
        st = self.state
        if self.pool.stage is None or not self._over_budget():
            return
        staged = [k for k, r in st["systems"].items() if _in_stage(r)]
        for key in staged:
            self._finish(key, "budget", _spent(self.settings))
        self.pool.remove(dict.fromkeys(staged, "budget"))

    def _end_stages(self) -> None:
        """The systems whose stage ended enter the production now (a chunk
        boundary); those it ended are finished with its reason: ``melted`` when
        it melted (the hotter temperatures are then cancelled, as after a melt
        in the NVT production), else ``failed``."""
        st, pool = self.state, self.pool
        if pool.stage is None:
            return
        before = set(pool.keys)
        pool.end_stages()
        for key in pool.keys:
            if key not in before:
                rec = self._stage_taken(key)
                rec["entered_step"] = pool.step
                row = pool.stage_records[key]
                self._event("enter", key=key, stage_ps=rec["stage_ps"],
                            volume_change_pct=row.get("volume_change_pct"))  # fmt: skip
        for key, why in pool.failed.items():
            if _in_stage(st["systems"][key]):  # melting in its stage: as in NVT
                self._finish(key, "melted" if is_stage_melt(why) else "failed", why)

    def _stage_taken(self, key: str) -> dict[str, Any]:
        """``key``'s record, its ``stage_ps`` set: its stage has ended now."""
        rec = self.state["systems"][key]
        steps = self.pool.step - rec["stage_entered_step"]
        rec["stage_ps"] = steps * self.md.timestep_fs * 1e-3
        return rec

    def _take_out(self, outcomes: Mapping[str, str]) -> None:
        """Take the stopped systems out of the batch: from their stage, or from
        the production; one that entered it at this boundary (cancelled by the
        decisions that follow) leaves no run-file group of 0 steps and has no
        ``entered_step`` (its stage's record stays in campaign.json's cells)."""
        pool = self.pool
        fresh = [k for k in outcomes if k in pool.keys and pool.local_step(k) == 0]
        pool.evict(fresh)
        for key in fresh:
            self.state["systems"][key]["entered_step"] = None
        pool.remove({k: v for k, v in outcomes.items() if k not in fresh})

    def _judge_systems(self) -> None:
        """Judge the running systems; stop, or extend by a chunk."""
        st, pool, s = self.state, self.pool, self.settings
        failed = [k for k in pool.failed if st["systems"][k]["outcome"] == "running"]
        for key in sorted(failed, key=lambda k: pool.failed_step[k]):
            # it left the batch at the fault check, mid-chunk: its exit, run time and
            # the batch's occupancy say so (not the boundary where it is noticed)
            left = pool.failed_step[key]
            rec = st["systems"][key]
            rec["run_ps"] = (left - rec["entered_step"]) * self.md.timestep_fs * 1e-3
            self._split_occupancy(at_step=left, atoms_left=rec["n_atoms"])
            self._finish(key, "failed", pool.failed[key], step=left)
        msd = pool.msd_results()
        over_budget = self._over_budget()
        stopped: dict[str, str] = {}
        extend: dict[str, int] = {}
        for key in pool.keys:
            rec = st["systems"][key]
            local = pool.local_step(key)
            if local == 0:  # its production starts now (after its stage)
                continue
            rec["run_ps"] = local * self.md.timestep_fs * 1e-3
            if key in msd:
                rec["numbers"] = system_numbers(
                    msd[key],
                    n_ions=rec["n_ions"],
                    run_ps=rec["run_ps"],
                    equilibration_ps=self.md.equilibration_ps,
                )
            numbers = rec["numbers"] or {"run_ps": rec["run_ps"]}
            verdict = judge_system(
                numbers, settings=s, target_reached_ps=rec.get("target_reached_ps")
            )
            if verdict.target_reached_ps is not None:
                rec["target_reached_ps"] = verdict.target_reached_ps
            if over_budget and not verdict.stop:
                verdict = dataclasses.replace(
                    verdict,
                    stop=True,
                    outcome="reliable" if _reached(numbers, s) else "budget",
                    reason=f"{_spent(s)}; " + verdict.reason,
                )
            if verdict.stop:
                stopped[key] = verdict.outcome
                self._finish(key, verdict.outcome, verdict.reason, numbers=numbers)
            else:
                extend[key] = local + self.chunk
                self._event("extend", key=key, reason=verdict.reason, numbers=numbers)
        self._take_out(stopped)
        pool.extend(extend)
        if over_budget:
            for key in list(st["queue"]):
                self._finish(key, "budget", _spent(s))

    def _split_occupancy(self, *, at_step: int, atoms_left: int) -> None:
        """The current chunk's occupancy row ends at ``at_step``; a row with
        ``atoms_left`` fewer atoms continues from there."""
        rows = self.state["occupancy"]
        if not rows or not rows[-1]["step_start"] <= at_step < rows[-1]["step_end"]:
            return
        last = rows[-1]
        if last["step_start"] == at_step:  # another system left at the same step
            last["atoms"] -= atoms_left
            last["n_systems"] -= 1
            return
        rest = dict(last, step_start=at_step, atoms=last["atoms"] - atoms_left,
                    n_systems=last["n_systems"] - 1)  # fmt: skip
        last["step_end"] = at_step
        rows.append(rest)

    def _finish(
        self,
        key: str,
        outcome: str,
        reason: str,
        *,
        numbers: Mapping | None = None,
        step: int | None = None,
    ) -> None:
        st = self.state
        rec = st["systems"][key]
        was_queued = rec["outcome"] == "queued"
        if rec.get("stage_entered_step") is not None and rec["entered_step"] is None:
            self._stage_taken(key)  # it stops in (or at the end of) its stage
        rec |= {"outcome": outcome, "reason": reason}
        if key in st["queue"]:
            st["queue"].remove(key)
        if not was_queued:
            rec["left_step"] = self.pool.step if step is None else step
        fields = {"outcome": outcome, "reason": reason}
        if numbers:
            fields["numbers"] = dict(numbers)
        kind = "stop" if not was_queued else "cancel"
        self._event(kind, key=key, step=step, **fields)
        if not was_queued:
            log.info(f"adaptive: {key} stops ({outcome}): {reason}")

    def _room_atoms(self) -> int:
        """Atoms the batch could still take after the queue has entered."""
        st = self.state
        queued = sum(st["systems"][k]["n_atoms"] for k in st["queue"])
        return self.capacity - self._held_atoms() - queued

    def _held_atoms(self) -> int:
        """Atoms the batch holds: in the production and in their stage."""
        return self.pool.n_atoms + self.pool.staging_atoms

    def _plan_materials(self) -> None:
        st, s = self.state, self.settings
        spent = self._over_budget()
        for mid, mat in st["materials"].items():
            if mat["status"] != "running":
                continue
            systems = {k: r for k, r in st["systems"].items() if r["material_id"] == mid}
            size = self.base[mid].atoms.get_global_number_of_atoms()  # type: ignore[attr-defined]
            plan = plan_material(
                systems, settings=s, allow_add=not spent, room=self._room_atoms() >= size
            )
            held = set(self.pool.keys) | set(self.pool.staging)
            running = {k: "cancelled" for k in plan.cancel if k in held}
            _log_cancelled(mid, plan.cancel, systems)
            for key, why in plan.cancel.items():
                self._finish(key, "cancelled", why)
            self._take_out(running)  # stopped early: they cannot become reliable
            mat["sigma300_log10_ci"] = plan.sigma300_log10_ci
            for T, why in zip(plan.add_K, plan.add_reasons, strict=True):
                self._add_temperature(mid, T, why)
            if plan.done:
                reason = plan.reason
                if spent and plan.status != "resolved":
                    reason = f"{_spent(s)}: {reason}"
                mat |= {"status": plan.status, "reason": reason}
                mat["fit_K"] = plan.fit_K  # what σ(300 K) is fitted over
                mat["reliable_K"] = plan.reliable_K  # of them, reached the target
                mat["melted_K"] = _temps(systems, "melted")
                self._event("material_done", material_id=mid, outcome=plan.status,
                            reason=reason)  # fmt: skip
                log.info(f"adaptive: {mid} {plan.status}: {reason}")

    def _add_temperature(self, material_id: str, T: float, reason: str) -> None:
        st = self.state
        spec = dataclasses.replace(self.base[material_id], temperature_K=float(T))
        key = system_key(material_id, T)
        st["systems"][key] = self._record(spec)
        st["materials"][material_id]["temperatures_K"].append(float(T))
        n_front = sum(1 for k in st["queue"] if st["systems"][k].get("added"))
        st["systems"][key]["added"] = True
        st["queue"].insert(n_front, key)  # added ones first, in the order added
        self._event("add_temperature", key=key, reason=reason)
        log.info(f"adaptive: {material_id} gets {T:g} K ({reason})")

    def _fill(self) -> None:
        """First fit from the queue up to the capacity (one system always fits an
        empty batch)."""
        st, pool = self.state, self.pool
        room = self.capacity - self._held_atoms() if self.capacity > 0 else None
        empty = not (pool.keys or pool.staging)
        enter: list[str] = []
        for key in list(st["queue"]):
            n = st["systems"][key]["n_atoms"]
            if room is None or n <= room or (empty and not enter):
                enter.append(key)
                if room is not None:
                    room -= n
        if enter:
            # with a stage they enter it; their production comes when it ends
            entered = "stage_entered_step" if pool.stage is not None else "entered_step"
            for key in enter:
                st["queue"].remove(key)
                st["systems"][key] |= {"outcome": "running", entered: pool.step}
            pool.add([self._spec(k, st) for k in enter], steps_total=self.chunk)
            for key in enter:
                self._event("enter_stage" if pool.stage is not None else "enter", key=key)
            t_ps = pool.step * self.md.timestep_fs * 1e-3
            log.info(
                f"adaptive: batch at {t_ps:g} ps: {self._n_held()} systems, "
                f"{self._held_atoms()} of {self.capacity} atoms, {len(st['queue'])} "
                f"queued (entered: {', '.join(enter)})"
            )
        if st["occupancy"]:
            st["occupancy"][-1]["step_end"] = pool.step
        if self._n_held():
            row = {
                "step_start": pool.step,
                "step_end": pool.step + self.chunk,
                "atoms": self._held_atoms(),
                "n_systems": self._n_held(),
                "queued": len(st["queue"]),
            }
            if pool.stage is not None:  # of them, in their stage
                row["staging"] = len(pool.staging)
            st["occupancy"].append(row)

    def _n_held(self) -> int:
        return len(self.pool.keys) + len(self.pool.staging)


def _log_cancelled(
    material_id: str,
    cancel: Mapping[str, str],
    systems: Mapping[str, Mapping[str, Any]],
) -> None:
    """One INFO line per reason: the material, the temperatures, why."""
    by_reason: dict[str, list[float]] = {}
    for key, why in cancel.items():
        by_reason.setdefault(why, []).append(float(systems[key]["temperature_K"]))
    for why, temps in by_reason.items():
        listed = ", ".join(f"{t:g}" for t in sorted(temps))
        log.info(f"adaptive: {material_id}: cancelled {listed} K ({why})")


def _spent(settings: AdaptiveSettings) -> str:
    return f"budget of {settings.max_atom_steps:g} atom-steps spent"


def _in_stage(rec: Mapping[str, Any]) -> bool:
    """Running, in its stage or at its end (not yet in its production)."""
    return (
        rec["outcome"] == "running"
        and rec["entered_step"] is None
        and rec.get("stage_entered_step") is not None
    )


def _ran(rec: Mapping[str, Any]) -> bool:
    """It entered the batch (its production, or its stage)."""
    return rec["entered_step"] is not None or rec.get("stage_entered_step") is not None


def _reached(numbers: Mapping[str, Any], settings: AdaptiveSettings) -> bool:
    return (numbers.get("msd_A2") or 0.0) >= settings.target_msd_A2


def _temps(systems: Mapping[str, Mapping[str, Any]], outcome: str) -> list[float]:
    return sorted(r["temperature_K"] for r in systems.values() if r["outcome"] == outcome)


def occupancy_mean(state: Mapping[str, Any], *, while_queued: bool = False) -> float | None:
    """Atoms in the batch / capacity, averaged over the batch clock (step-weighted);
    ``while_queued``: only over chunks that left systems waiting in the queue. A
    row may carry its own ``capacity_atoms`` (the merged shares of an executor)."""
    cap = state.get("capacity_atoms") or 0
    rows = [r for r in state.get("occupancy", []) if not while_queued or r["queued"] > 0]
    rows = [r for r in rows if r.get("capacity_atoms", cap) > 0]
    span = sum(r["step_end"] - r["step_start"] for r in rows)
    if span <= 0:
        return None
    # a system larger than the capacity runs alone: that batch is full (1, not > 1)
    full = sum(
        min(r["atoms"] / r.get("capacity_atoms", cap), 1.0)
        * (r["step_end"] - r["step_start"])
        for r in rows
    )
    return full / span


__all__ = ["FINISHED", "STATE_FILE", "AdaptiveLoop", "occupancy_mean"]
