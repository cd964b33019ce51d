"""How many atoms fit in one batch on this device, and what to do when a batch
does not fit after all.

The model's memory grows about linearly with the atoms (and their neighbours)
in a batch. On a CUDA device we measure the peak bytes per atom of one force
evaluation on a probe system and keep the batch under ``fill`` of the free
memory. If a batch still runs out of memory, the campaign splits it in two and
carries on (``is_out_of_memory``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ionmd.engine.out_of_memory import is_out_of_memory, release_device_memory
from ionmd.engine.systems import SystemSpec, build_state
from ionmd.errors import IonmdError


class BatchOutOfMemoryError(IonmdError):
    """A batch of two or more systems did not fit on its device: split it. Raised
    by an executor's worker (a task's failure carries only its one-line reason,
    which starts with this class's name; IonmdErrors are not retried)."""


def batch_out_of_memory(
    exc: BaseException, *, n_systems: int, n_atoms: int
) -> BatchOutOfMemoryError | None:
    """The campaign's translation of an allocation failure that the engine could
    not split: when ``exc`` is one and the batch (``n_systems`` systems,
    ``n_atoms`` atoms) could be made smaller (two or more systems), the device's
    cached memory is freed and a one-line :class:`BatchOutOfMemoryError` returned
    for the caller to raise (the study's campaign loop then splits the batch in
    two, :mod:`ionmd.campaign.batch_loop`); else None (the caller re-raises
    ``exc``: one system that does not fit).

    The engine halves a batch that runs out of memory while it steps, enters
    systems or resumes (:func:`ionmd.engine.out_of_memory.run_halving_on_oom`,
    both protocols; restoring a checkpoint runs no force call); what reaches
    here is an allocation failure outside the model's force calls, while the
    batch's state and buffers are built or restored (:mod:`ionmd.campaign.
    batch_loop` says where)."""
    if not is_out_of_memory(exc) or n_systems < 2:
        return None
    release_device_memory()
    return BatchOutOfMemoryError(
        f"{n_systems} systems, {n_atoms} atoms: {str(exc).strip()[:150]}"
    )


def bytes_per_atom(
    model: Any, systems: Sequence[SystemSpec], *, with_stress: bool = False
) -> float:
    """Peak device bytes per atom of one force evaluation on the largest system
    (the engine's buffers add ~100 × 3 floats per atom, negligible);
    ``with_stress``: with the model's stress on (the NPT stage's steps, which
    hold the graph for the strain derivative too: more memory per atom)."""
    probe = max(systems, key=lambda s: len(s.atoms))  # type: ignore[arg-type]
    state, _, _ = build_state([probe], device=model.device, dtype=model.dtype)
    torch.cuda.synchronize(model.device)
    torch.cuda.reset_peak_memory_stats(model.device)
    base = torch.cuda.memory_allocated(model.device)
    if with_stress:
        from ionmd.cells.stress import stress_on

        with stress_on(model):
            model(state)
    else:
        model(state)
    torch.cuda.synchronize(model.device)
    peak = torch.cuda.max_memory_allocated(model.device) - base
    return max(1.0, peak / len(probe.atoms))  # type: ignore[arg-type]


#: share of the device's free memory a batch may take
FILL = 0.7


def atoms_that_fit(*, free_bytes: float, bytes_per_atom: float, fill: float = FILL) -> int:
    """The memory model: atoms per batch = ``fill`` x free bytes / bytes per atom
    (at least 1). The run measures both on its device; ``ionmd plan`` takes them
    from a card and the model's anchor (``ionmd/campaign/cost_anchors.py``)."""
    return max(1, int(fill * free_bytes / bytes_per_atom))


def auto_max_atoms(
    model: Any,
    systems: Sequence[SystemSpec],
    *,
    fill: float = FILL,
    with_stress: bool = False,
) -> int:
    """Atoms per batch for this device: 0 (no limit) on the CPU; ``with_stress``:
    measured with the stress on (``cell = "npt"``: the stage runs in the batch)."""
    device = getattr(model, "device", torch.device("cpu"))
    if device.type != "cuda":
        return 0
    free, _ = torch.cuda.mem_get_info(device)
    return atoms_that_fit(
        free_bytes=free,
        bytes_per_atom=bytes_per_atom(model, systems, with_stress=with_stress),
        fill=fill,
    )


def split_in_two(batch: Sequence[SystemSpec]) -> list[list[SystemSpec]]:
    """Two halves with about equal atoms (a single system cannot be split)."""
    if len(batch) < 2:
        return [list(batch)]
    order = sorted(batch, key=lambda s: -len(s.atoms))  # type: ignore[arg-type]
    halves: list[list[SystemSpec]] = [[], []]
    sizes = [0, 0]
    for s in order:
        i = 0 if sizes[0] <= sizes[1] else 1
        halves[i].append(s)
        sizes[i] += len(s.atoms)  # type: ignore[arg-type]
    return halves
