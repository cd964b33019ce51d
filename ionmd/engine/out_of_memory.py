"""A batch that runs out of device memory: halve its capacity and re-enter.

The one MD loop's answer for both protocols: the batch goes back to its last
checkpoint (the kill-and-resume path: the systems it keeps go on bit for bit),
holds at most half the atoms it held when the allocation failed, and the newest
systems over that leave it as if they had never entered (their run-file groups
removed, :meth:`~ionmd.engine.inflight.InFlightBatch.evict`); they re-enter,
from their step 0, when there is room. A batch of one system that does not fit
cannot be made smaller: the error goes on to the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from ionmd.engine.inflight import InFlightBatch


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a device (or host) allocation failure."""
    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )


def release_device_memory() -> None:
    """Give the device's cached blocks back (after an allocation failure)."""
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def halved_capacity(*, held_atoms: int, capacity_atoms: int) -> int:
    """The capacity after an allocation failure with ``held_atoms`` in the batch
    (``capacity_atoms``: the one in force, 0 for none)."""
    held = min(capacity_atoms, held_atoms) if capacity_atoms else held_atoms
    return max(1, held // 2)


def shrink_to(batch: InFlightBatch, *, capacity_atoms: int) -> list[str]:
    """Evict the newest systems of ``batch`` until it holds at most
    ``capacity_atoms`` atoms (one system at least); returns their keys, in batch
    order, for the caller to re-enter later."""
    keys = batch.keys
    sizes = batch.atoms_per_system()
    keep = 1
    while keep < len(keys) and sum(sizes[: keep + 1]) <= capacity_atoms:
        keep += 1
    evicted = keys[keep:]
    batch.evict(evicted)
    return evicted


__all__ = ["halved_capacity", "is_out_of_memory", "release_device_memory", "shrink_to"]
