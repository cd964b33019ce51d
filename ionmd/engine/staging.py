"""A stage before the production, run by the one MD loop
(:class:`~ionmd.engine.inflight.InFlightBatch`): the systems that enter a batch
with a stage run it first, in the same loop as the production of the others
(each step: one step of each), and enter the production when their stage ends,
at the cell the stage gave them. The loop's checkpoints hold the stage's state
(:meth:`Stage.state_dict`), so a kill during the stage resumes it bit for bit,
as a kill during the production does.

The engine knows only this interface; the cell layer implements it
(``cell = "npt"``: :class:`ionmd.cells.npt_phase.NptPhase`), so the engine does
not import the layers above it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ionmd.engine.systems import SystemSpec


@dataclass(frozen=True, kw_only=True)
class StageEnd:
    """One system at the end of its stage."""

    key: str
    #: the system as its production starts (the stage's cell; what the run file
    #: records of the stage), or as it was when it failed
    spec: SystemSpec
    #: why the stage ended the system (it does not enter the production), or None
    failed: str | None
    #: the stage's record of it (JSON: campaign.json's ``cells`` row)
    record: dict[str, Any]
    #: the production's planned own steps
    steps_total: int


class Stage(Protocol):
    """What the one loop asks of a stage."""

    @property
    def keys(self) -> list[str]:
        """The systems in their stage now."""

    @property
    def n_atoms(self) -> int:
        """Their atoms."""

    @property
    def n_steps(self) -> int:
        """A system's steps in the stage."""

    def fingerprint(self) -> dict[str, Any]:
        """What a checkpoint must match to be continued (the stage's settings)."""

    def enter(self, systems: Sequence[SystemSpec], *, steps_total: int) -> None:
        """Start the stage of ``systems`` now (their production: ``steps_total``)."""

    def step(self) -> None:
        """One step of every system in its stage."""

    def steps_left(self) -> int | None:
        """Steps until the next system's stage ends (None: none in a stage)."""

    def take_ended(self) -> list[StageEnd]:
        """The systems whose stage ended since the last call."""

    def held(self) -> list[tuple[str, int]]:
        """Every system the stage holds, in its stage or ended and not yet taken,
        with its atoms, oldest first (what an out-of-memory halving may evict)."""

    def remove(self, keys: Sequence[str]) -> None:
        """Take ``keys`` out of their stage before it ends (a caller that stops
        them: they never enter the production and get no record); the others
        end as they would have without them."""

    def production_spec(self, spec: SystemSpec, record: Mapping[str, Any]) -> SystemSpec:
        """``spec`` as its production started, from its stage's ``record``."""

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue (host copies)."""

    def load_state_dict(
        self, saved: Mapping[str, Any] | None, *, specs: Mapping[str, SystemSpec]
    ) -> None:
        """Continue from :meth:`state_dict` (None: nothing in a stage);
        ``specs``: the system of each key."""


__all__ = ["Stage", "StageEnd"]
