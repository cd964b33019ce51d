"""``cell = "npt"`` inside the one MD loop: the NPT stage as the loop's
:class:`~ionmd.engine.staging.Stage`. The systems of a batch run their stage
(:class:`~ionmd.cells.npt.NptRun`: one NPT state for the systems that entered
together) step by step in the loop that then runs their NVT production at the
stage's mean cell; its checkpoints hold the stage's integrator state, series and
framework unwrapping, so a kill during the stage resumes it bit for bit.

A system whose cell blows up (:mod:`ionmd.cells.npt_guard`) ends with its reason
and its series up to then; the others of its group go on without it, from
where they are (:meth:`~ionmd.cells.npt.NptRun.without`), so they end as they
would have without it in the batch (each system's stage is deterministic and
its own: :mod:`ionmd.cells.npt`); so do those of a system the caller removes. A
system that melts (:data:`~ionmd.cells.npt.MELT_VOLUME_GROWTH`, the framework
rule) ends at the end of its stage with its reason, as melting ends an NVT run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ionmd.cells.geometry import geometry_sha256, volume_change_pct
from ionmd.cells.npt import NptRun
from ionmd.cells.npt_stage import at_npt_cell, npt_row
from ionmd.cells.settings import CellSettings
from ionmd.engine.staging import StageEnd
from ionmd.engine.systems import SystemSpec
from ionmd.log import get_logger

log = get_logger(__name__)


@dataclass(kw_only=True)
class _NptGroup:
    """Systems that started their stage together, and their production's length."""

    run: NptRun
    steps_total: int


class NptPhase:
    """The NPT stage of the systems entering a batch (``settings.cell = "npt"``),
    with ``model`` (its stress on for the stage's steps), the MD's timestep and
    thermostat time, and ``mobile_species`` (the others are the framework whose
    MSD judges melting)."""

    def __init__(
        self,
        *,
        model: Any,
        settings: CellSettings,
        timestep_fs: float,
        thermostat_tau_fs: float,
        mobile_species: str,
    ) -> None:
        self.model, self.settings = model, settings
        self._run_args = {
            "model": model,
            "settings": settings,
            "timestep_fs": float(timestep_fs),
            "thermostat_tau_fs": float(thermostat_tau_fs),
            "mobile_species": mobile_species,
        }
        self.groups: list[_NptGroup] = []
        self._ended: list[StageEnd] = []

    @property
    def keys(self) -> list[str]:
        return [s.key for g in self.groups for s in g.run.systems]

    @property
    def n_atoms(self) -> int:
        return sum(g.run.n_atoms for g in self.groups)

    @property
    def n_steps(self) -> int:
        return self.settings.npt_steps(timestep_fs=self._run_args["timestep_fs"])

    def fingerprint(self) -> dict[str, Any]:
        return self.settings.fingerprint()

    def enter(self, systems: Sequence[SystemSpec], *, steps_total: int) -> None:
        self.groups.append(
            _NptGroup(run=NptRun(systems, **self._run_args), steps_total=int(steps_total))
        )
        c = self.settings
        log.info(
            f"NPT stage: {len(systems)} systems, {self.n_steps} steps ({c.npt_ps:g} ps "
            f"at {c.pressure_GPa:g} GPa, {c.npt_cell}), then their production at the "
            "stage's mean cell"
        )

    def step(self) -> None:
        for g in list(self.groups):
            g.run.step()
            if g.run.blown:
                self._blown(g)
            elif g.run.done:
                self._end(g)

    def steps_left(self) -> int | None:
        if not self.groups:
            return None
        return min(g.run.n_steps - g.run.steps_done for g in self.groups)

    def held(self) -> list[tuple[str, int]]:
        running = [(s.key, len(s.atoms)) for g in self.groups for s in g.run.systems]
        return [(e.key, len(e.spec.atoms)) for e in self._ended] + running

    def take_ended(self) -> list[StageEnd]:
        out, self._ended = self._ended, []
        return out

    def remove(self, keys: Sequence[str]) -> None:
        """``keys`` leave their stage (no record); the others of their group go
        on without them (:meth:`NptRun.without`), as they would have had the
        removed never been there."""
        gone = set(keys)
        self._ended = [e for e in self._ended if e.key not in gone]
        for g in list(self.groups):
            out = {j for j, s in enumerate(g.run.systems) if s.key in gone}
            if not out:
                continue
            run = g.run.without(out)
            if run is None:
                self.groups.remove(g)
            else:
                g.run = run

    def production_spec(self, spec: SystemSpec, record: Mapping[str, Any]) -> SystemSpec:
        return at_npt_cell(spec, dict(record))

    def _end(self, g: _NptGroup) -> None:
        """Group ``g``'s stage is done: every system ended, melted ones failed."""
        self.groups.remove(g)
        results = g.run.results()
        log.info(done_line(g.run.systems, results, n_steps=g.run.steps_done))
        for s, r in zip(g.run.systems, results, strict=True):
            self._ended_one(s, r, steps_total=g.steps_total)

    def _blown(self, g: _NptGroup) -> None:
        """Some of ``g`` blew up: they end; the others go on without them
        (:meth:`NptRun.without`: from where they are, or, when the model failed
        inside the step, from their stage's start)."""
        results = g.run.results()
        blown = dict(g.run.blown)
        systems = list(g.run.systems)
        for j, reason in blown.items():
            self._ended_one(
                systems[j], results[j], steps_total=g.steps_total, failed=reason
            )
        run = g.run.without(set(blown))
        if run is None:
            self.groups.remove(g)
            return
        how = "go on without it" if run is g.run else "start their stage again"
        for j, reason in blown.items():  # said now: recorded when the stage ends
            log.warning(
                f"NPT stage: {systems[j].key}: {reason}; the others ({len(run.systems)}) "
                f"{how}"
            )
        g.run = run
        if run.done:
            self._end(g)

    def _ended_one(
        self, s: SystemSpec, r: Any, *, steps_total: int, failed: str | None = None
    ) -> None:
        if failed is not None:
            r = dataclasses.replace(r, failed=failed)
        row = npt_row(s.atoms, r, sha=geometry_sha256(s.atoms))
        self._ended.append(
            StageEnd(
                key=s.key,
                spec=at_npt_cell(s, row),
                failed=r.failed,
                record=row,
                steps_total=steps_total,
            )
        )

    def state_dict(self) -> dict[str, Any]:
        return {
            "groups": [
                {
                    "keys": [s.key for s in g.run.systems],
                    "steps_total": g.steps_total,
                    "run": g.run.state_dict(),
                }
                for g in self.groups
            ],
            # ended since the loop last took them (a flush between the two)
            "ended": [
                {
                    "key": e.key,
                    "failed": e.failed,
                    "record": e.record,
                    "steps_total": e.steps_total,
                }
                for e in self._ended
            ],
        }

    def load_state_dict(
        self, saved: Mapping[str, Any] | None, *, specs: Mapping[str, SystemSpec]
    ) -> None:
        self.groups, self._ended = [], []
        if not saved:
            return
        for g in saved["groups"]:
            run = NptRun([specs[k] for k in g["keys"]], **self._run_args, restore=g["run"])
            self.groups.append(_NptGroup(run=run, steps_total=int(g["steps_total"])))
        for e in saved["ended"]:
            self._ended.append(
                StageEnd(
                    key=e["key"],
                    spec=at_npt_cell(specs[e["key"]], e["record"]),
                    failed=e["failed"],
                    record=e["record"],
                    steps_total=int(e["steps_total"]),
                )
            )


def done_line(
    systems: Sequence[SystemSpec], results: Sequence[Any], *, n_steps: int
) -> str:
    """The log line of a group's stage at its end: its systems' volume change
    against the experimental cell (the range), and how many it ended (melting:
    their own lines follow)."""
    changes = [
        volume_change_pct(experimental_cell=np.asarray(s.atoms.cell[:]), cell=r.cell_A)
        for s, r in zip(systems, results, strict=True)
        if r.failed is None
    ]
    text = f"NPT stage done: {len(systems)} systems, {n_steps} steps"
    if changes:
        lo, hi = min(changes), max(changes)
        span = f"{lo:+.2f} %" if len(changes) == 1 else f"{lo:+.2f} to {hi:+.2f} %"
        text += f"; ΔV/V_exp {span}"
    if len(changes) < len(systems):
        text += f"; {len(systems) - len(changes)} ended (below)"
    return text


def npt_phase(*, model: Any, config: Any) -> NptPhase | None:
    """The campaign's NPT stage (``config``: ``CampaignConfig``), or None when its
    ``cell`` is not ``"npt"``."""
    settings: CellSettings = config.cell_settings
    if settings.cell != "npt":
        return None
    return NptPhase(
        model=model,
        settings=settings,
        timestep_fs=config.md.timestep_fs,
        thermostat_tau_fs=config.md.thermostat_tau_fs,
        mobile_species=config.md.mobile_species,
    )


__all__ = ["NptPhase", "done_line", "npt_phase"]
