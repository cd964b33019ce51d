"""The adaptive protocol's one progress bar: atom-steps done against the budget
(``max_atom_steps``) or, without one, against the worst case (every system not
yet stopped runs to ``max_duration_ps``), with the running and queued systems
and an ETA. The worst case is recomputed at every chunk boundary (a temperature
added raises it, a system stopped early lowers it), so the bar's total moves;
the ETA counts only this process's work (a resume is not credited with the
atom-steps of the run before). Shown through :class:`ionmd.engine.progress.Progress`
(a bar on a terminal, a plain line per flush interval in a log).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from ionmd.engine.progress import Progress


class AdaptiveLoopLike(Protocol):
    """What the bar reads of :class:`ionmd.campaign.adaptive.loop.AdaptiveLoop`
    (a structural type: the loop imports this module, not the other way)."""

    settings: Any
    md: Any
    pool: Any
    state: dict[str, Any]


def worst_case_atom_steps(
    state: Mapping[str, Any],
    *,
    step: int,
    atom_steps: int,
    max_steps: int,
    stage_steps: int = 0,
) -> int:
    """Atom-steps done plus what every queued or running system could still run
    (with a stage of ``stage_steps`` before the production: its steps too)."""
    left = 0
    for rec in state["systems"].values():
        if rec["outcome"] == "queued":
            left += rec["n_atoms"] * (max_steps + stage_steps)
        elif rec["outcome"] == "running" and rec["entered_step"] is None:  # its stage
            in_stage = _since(rec.get("stage_entered_step"), step=step)
            left += rec["n_atoms"] * (max_steps + max(stage_steps - in_stage, 0))
        elif rec["outcome"] == "running":
            ran = _since(rec["entered_step"], step=step)
            left += rec["n_atoms"] * max(max_steps - ran, 0)
    return atom_steps + left


def _since(start: int | None, *, step: int) -> int:
    """Steps from ``start`` to ``step`` (0 without a start; a start at step 0
    counts: ``start or step`` took it for none)."""
    return 0 if start is None else step - start


class AdaptiveProgress:
    """The bar of one :class:`~ionmd.campaign.adaptive.loop.AdaptiveLoop`."""

    def __init__(self, loop: AdaptiveLoopLike) -> None:
        self.loop = loop
        self.budget = int(loop.settings.max_atom_steps or 0)
        self.max_steps = loop.settings.max_steps(loop.md)
        stage = loop.pool.stage
        self.stage_steps = 0 if stage is None else stage.n_steps
        self.bar = Progress(
            total_steps=max(self._total(), 1),
            enabled=loop.md.progress,
            label="adaptive",
            unit="atom-step",
            line_every_s=loop.md.flush_every_s,
        )

    def _total(self) -> int:
        pool = self.loop.pool
        worst = worst_case_atom_steps(
            self.loop.state,
            step=pool.step,
            atom_steps=pool.atom_steps,
            max_steps=self.max_steps,
            stage_steps=self.stage_steps,
        )
        return min(worst, self.budget) if self.budget else worst

    def _postfix(self) -> str:
        outcomes = [r["outcome"] for r in self.loop.state["systems"].values()]
        what = "budget" if self.budget else "worst case"
        staging = len(self.loop.pool.staging)
        in_stage = f" ({staging} in their stage)" if staging else ""
        return (
            f"{outcomes.count('running')} running{in_stage}, "
            f"{outcomes.count('queued')} queued (total: {what})"
        )

    def tick(self) -> None:
        """After every MD step (cheap: the display is throttled)."""
        self.bar.update(self.loop.pool.atom_steps)

    def boundary(self) -> None:
        """After a chunk boundary's decisions: new total and counts."""
        self.bar.set_total(max(self._total(), self.loop.pool.atom_steps, 1))
        self.bar.update(self.loop.pool.atom_steps, postfix=self._postfix())


@contextmanager
def adaptive_progress(loop: AdaptiveLoopLike) -> Iterator[AdaptiveProgress]:
    """The loop's bar while inside (closed where the loop stopped, also on an
    interrupt); the loop's batch reports every step to it."""
    progress = AdaptiveProgress(loop)
    loop.pool.on_step = progress.tick
    try:
        yield progress
    finally:
        loop.pool.on_step = None
        progress.bar.close()
