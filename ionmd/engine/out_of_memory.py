"""A batch that runs out of device memory: halve its capacity and re-enter.

The one MD loop's answer for both protocols (:func:`run_halving_on_oom`): the
batch goes back to its last checkpoint (the kill-and-resume path: the systems it
keeps go on bit for bit), holds at most half the atoms it held when the
allocation failed (with the systems it was entering, when the failure came at
their first force call), and the newest systems over that leave it as if they
had never entered (their run-file groups removed,
:meth:`~ionmd.engine.inflight.InFlightBatch.evict`). They go back to the waiting
list of the batch's *owner* (:class:`BatchOwner`), the one place that decides
which systems wait: the study's fixed batch keeps them in its checkpoint
(:mod:`ionmd.engine.runner`), the adaptive loop at the front of its queue
(:class:`~ionmd.campaign.adaptive.loop.AdaptiveLoop`); they re-enter, from their
step 0, when the owner refills. A batch of one system that does not fit cannot
be made smaller: the error goes on to the caller. Systems in their stage
before the production (``cell = "npt"``, :mod:`ionmd.engine.staging`) count
with the batch and are evicted after its production's newest
(:func:`shrink_to`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import torch

from ionmd.log import get_logger

if TYPE_CHECKING:
    from ionmd.engine.inflight import InFlightBatch

log = get_logger(__name__)


class BatchOwner(Protocol):
    """What runs an in-flight batch and owns its waiting systems."""

    @property
    def batch(self) -> InFlightBatch:
        """The batch it runs."""

    @property
    def capacity_atoms(self) -> int:
        """The atoms the batch may hold now (0: no limit)."""

    def requeue(self, keys: list[str], *, capacity_atoms: int) -> None:
        """From now on hold at most ``capacity_atoms``; ``keys`` (just evicted, in
        batch order) wait to re-enter first. Writes the checkpoint."""


def run_halving_on_oom[O: BatchOwner, R](
    owner: O, *, run: Callable[[O], R], reopen: Callable[[], O], held: list[int]
) -> tuple[O, R]:
    """``run(owner)``; each time a batch of two or more systems (running or
    entering) runs out of memory: a new owner at the last checkpoint
    (``reopen()``), the capacity halved, the newest systems over it evicted and
    requeued, and ``run`` again. Appends the atoms held at each failure to
    ``held``; returns the owner that finished and what ``run`` returned."""
    while True:
        try:
            return owner, run(owner)
        except (RuntimeError, MemoryError) as exc:
            batch = owner.batch
            staged = batch.staged()  # in their stage (cell = "npt")
            n_systems = len(batch.keys) + len(batch.entering) + len(staged)
            if not is_out_of_memory(exc) or n_systems < 2:
                raise
            n_atoms = (
                batch.n_atoms
                + sum(len(s.atoms) for s in batch.entering)  # type: ignore[arg-type]
                + sum(n for _, n in staged)
            )
            capacity = owner.capacity_atoms
        del owner, batch  # its device memory, before the reopened batch takes any
        release_device_memory()
        held.append(min(capacity, n_atoms) if capacity else n_atoms)
        capacity = halved_capacity(held_atoms=n_atoms, capacity_atoms=capacity)
        owner = reopen()
        evicted = shrink_to(owner.batch, capacity_atoms=capacity)
        log.warning(
            f"{owner.batch.out_path.name}: out of memory with {held[-1]} atoms; "
            f"capacity halved to {capacity} atoms, {len(evicted)} systems wait to "
            "re-enter"
        )
        owner.requeue(evicted, capacity_atoms=capacity)


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
    order, for the caller to re-enter later. Systems in their stage (``cell =
    "npt"``) come after those in the production (they entered later, and lose
    the least); an evicted one leaves its stage and runs it again when it
    re-enters."""
    staged = batch.staged()
    keys = batch.keys + [k for k, _ in staged]
    sizes = batch.atoms_per_system() + [n for _, n in staged]
    keep = 1
    while keep < len(keys) and sum(sizes[: keep + 1]) <= capacity_atoms:
        keep += 1
    evicted = keys[keep:]
    batch.evict(evicted)
    return evicted


__all__ = [
    "BatchOwner",
    "halved_capacity",
    "is_out_of_memory",
    "release_device_memory",
    "run_halving_on_oom",
    "shrink_to",
]
