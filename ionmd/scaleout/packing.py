"""Pack (material, temperature) systems into GPU batches under a memory budget.

The engine's memory model gives each system a cost (bytes on the device, or any
additive unit); batches are filled first-fit in decreasing cost, so the number of
batches is near the minimum and the result does not depend on input order.
Batches then spread over the GPUs as independent tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from ionmd.errors import InputError


def pack_batches[T: Hashable](
    systems: Sequence[T], *, cost: Callable[[T], float], budget: float
) -> list[list[T]]:
    """Batches of ``systems`` whose summed ``cost`` stays within ``budget``.

    Ties in cost keep a deterministic order (by ``repr``), so the same campaign
    always gives the same batches: what makes batch outputs resumable.
    """
    if budget <= 0:
        raise InputError(f"batch memory budget must be > 0, got {budget}")
    costs = {s: float(cost(s)) for s in systems}
    if len(costs) != len(systems):
        raise InputError("the same system is listed twice for batching")
    for system, c in costs.items():
        if c > budget:
            raise InputError(
                f"system {system!r} needs {c:g}, more than one batch holds ({budget:g})"
            )
        if c < 0:
            raise InputError(f"system {system!r} has a negative cost {c:g}")
    batches: list[list[T]] = []
    loads: list[float] = []
    for system in sorted(costs, key=lambda s: (-costs[s], repr(s))):
        for i, load in enumerate(loads):
            if load + costs[system] <= budget:
                batches[i].append(system)
                loads[i] += costs[system]
                break
        else:
            batches.append([system])
            loads.append(costs[system])
    return batches
