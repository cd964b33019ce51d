"""The adaptive loop run to the end under the engine's out-of-memory split.

Both protocols halve the capacity in the one MD loop
(:func:`ionmd.engine.out_of_memory.run_halving_on_oom`): the loop is rebuilt from
its last checkpoint (the kill-and-resume path: the systems in the batch go on
from their last flush, bit for bit), the newest systems over half the atoms held
are evicted and :meth:`~ionmd.campaign.adaptive.loop.AdaptiveLoop.requeue` puts
them at the front of the queue, the one list of waiting systems; they start
again when they re-enter. A batch of one system that does not fit ends the
campaign, as in the study. This module only keeps the cost record's clock across
the rebuilt loops.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ionmd.engine.out_of_memory import run_halving_on_oom

if TYPE_CHECKING:
    from ionmd.campaign.adaptive.loop import AdaptiveLoop


def run_adaptive(
    make_loop: Callable[[int], AdaptiveLoop], *, capacity_atoms: int
) -> dict[str, Any]:
    """Run ``make_loop(capacity_atoms)`` to the end, halving the capacity each
    time the batch runs out of memory; returns the cost record, with the atoms
    held at each failure (``oom_capacity_atoms``)."""
    origin: list[tuple[float, int, int]] = []  # one cost record from the first start

    def run(loop: AdaptiveLoop) -> dict[str, Any]:
        if not origin:
            origin.append((time.perf_counter(), loop.pool.step, loop.pool.atom_steps))
        loop.origin = origin[0]
        return loop.run()

    held: list[int] = []
    _, cost = run_halving_on_oom(
        make_loop(capacity_atoms),
        run=run,
        reopen=lambda: make_loop(capacity_atoms),
        held=held,
    )
    if held:
        cost["oom_capacity_atoms"] = held
    return cost


__all__ = ["run_adaptive"]
