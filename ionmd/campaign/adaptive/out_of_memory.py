"""An adaptive batch that runs out of device memory: halve the capacity and go on.

The study's fixed batches are split in two (:mod:`ionmd.campaign.batch_loop`); the
adaptive protocol has one batch whose size is its capacity, so it halves that
instead. Both see the same translation of an allocation failure
(:func:`ionmd.campaign.memory.batch_out_of_memory`). The loop is then rebuilt
from its last checkpoint (the kill-and-resume path: the systems in the batch go
on from their last flush, bit for bit) and
:meth:`~ionmd.campaign.adaptive.loop.AdaptiveLoop.shrink_to` sends the newest
systems back to the front of the queue until the batch fits; they start again
when they re-enter (the in-flight batch cannot split a cohort's MSD
accumulator). A batch of one system that does not fit ends the campaign, as in
the study.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ionmd.campaign.memory import batch_out_of_memory, release_device_memory
from ionmd.engine.out_of_memory import halved_capacity
from ionmd.log import get_logger

if TYPE_CHECKING:
    from ionmd.campaign.adaptive.loop import AdaptiveLoop

log = get_logger(__name__)


def run_adaptive(
    make_loop: Callable[[int], AdaptiveLoop], *, capacity_atoms: int
) -> dict[str, Any]:
    """Run ``make_loop(capacity_atoms)`` to the end, halving the capacity each
    time the batch runs out of memory; returns the cost record, with the
    capacities it ran out of memory at (``oom_capacity_atoms``)."""
    capacity = int(capacity_atoms)
    halved: list[int] = []  # the atoms held at each OOM
    loop = make_loop(capacity)
    while True:
        try:
            cost = loop.run()
            if halved:
                cost["oom_capacity_atoms"] = halved
            return cost
        except (RuntimeError, MemoryError) as exc:
            keys, n_atoms = loop.pool.keys, loop.pool.n_atoms
            oom = batch_out_of_memory(exc, n_systems=len(keys), n_atoms=n_atoms)
            if oom is None:
                raise
        held = min(capacity, n_atoms) if capacity else n_atoms
        halved.append(held)
        capacity = halved_capacity(held_atoms=n_atoms, capacity_atoms=capacity)
        log.warning(
            f"adaptive batch ran out of memory ({oom}); capacity halved to "
            f"{capacity} atoms, going on from the last checkpoint"
        )
        origin = loop.origin
        del loop  # its device memory, before the rebuilt loop takes any
        release_device_memory()
        loop = make_loop(capacity)
        loop.origin = origin  # one cost record from the first start
        loop.shrink_to(capacity_atoms=capacity)


__all__ = ["run_adaptive"]
