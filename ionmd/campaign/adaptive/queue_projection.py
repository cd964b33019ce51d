"""``ionmd plan`` for ``protocol = "adaptive"``: what the adaptive run will do.

The study's plan (fixed batches, ``duration_ps`` per system) is wrong for an
adaptive campaign: its systems run in one in-flight batch, each from one chunk
up to ``max_duration_ps``, and temperatures may be added. This says instead: the
initial queue (in the order the run fills it), the batch capacity and its first
fill, and the atom-steps of the initial systems between one chunk each and
``max_duration_ps`` each (the worst case), plus what each added temperature may
cost; ``max_atom_steps``, when set, stops the campaign at the first chunk boundary
past it. No model is loaded: the capacity is the plan's atoms per batch
(``max_atoms_per_batch``, all systems on the CPU, else the memory model with the
model's anchor: :mod:`ionmd.campaign.plan_cost`); the run measures its own.
"""

from __future__ import annotations

from typing import Any

from ionmd.campaign.config import CampaignConfig
from ionmd.campaign.plan_cost import PlanCost


def adaptive_projection(
    ok: list[dict[str, Any]],
    *,
    config: CampaignConfig,
    cost: PlanCost,
    limit: tuple[int | None, str],
) -> dict[str, Any]:
    """The adaptive plan; sets each runnable row's ``atom_steps``/``gpu_hours`` to
    its worst case (its initial systems for ``max_duration_ps``) and returns the
    campaign's adaptive section."""
    s, md = config.adaptive, config.md
    assert s is not None
    chunk, longest = s.chunk_steps(md), s.max_steps(md)
    # the initial queue as the loop orders it: hottest first, across materials
    queue = [(T, r["atoms"]) for r in ok
             for _ in range(r["orderings"] * r.get("replicas", 1))
             for T in config.temperatures_K]  # fmt: skip
    sizes = [n for _, n in sorted(queue, key=lambda x: -x[0])]
    total = sum(sizes)
    capacity, source = limit
    if capacity is None:
        source = "the measured memory model, at run time"
    elif capacity == 0:
        capacity, source = total, "all initial systems (the CPU without a limit)"
    first: list[int] = []  # first fit from the queue, as the loop's refill
    room = capacity
    for n in sizes if capacity is not None else []:  # unknown: measured by the run
        if n <= room or not first:
            first.append(n)
            room -= n
    for r in ok:
        r["atom_steps"] = r["atoms"] * r["systems"] * longest
        r["gpu_hours"] = cost.hours(r["atom_steps"])
    worst = total * longest
    budget = float(s.max_atom_steps)
    cells = config.cell_settings  # cell = "npt": each system's stage first
    stage = cells.npt_steps(timestep_fs=md.timestep_fs) if cells.cell == "npt" else 0
    return {
        "chunk_ps": s.chunk_ps,
        "max_duration_ps": s.max_duration_ps,
        "chunk_steps": chunk,
        "max_steps": longest,
        "capacity_atoms": capacity,
        "capacity_source": source,
        "initial_systems": len(sizes),
        "first_fill_systems": len(first) if capacity is not None else None,
        "first_fill_atoms": sum(first) if capacity is not None else None,
        "queued_after_first_fill": len(sizes) - len(first)
        if capacity is not None
        else None,
        "atom_steps_one_chunk_each": total * chunk,
        "atom_steps_worst_initial": worst,
        "atom_steps_per_added_temperature_max": {
            r["material"]: r["atoms"] * longest for r in ok
        },  # fmt: skip
        "max_atom_steps": budget,
        "temperature_range_K": [s.min_temperature_K, s.max_temperature_K],
        "temperature_step_K": s.temperature_step_K,
        # its steps, and the batch steps it holds a slot (whole chunks)
        "stage_steps": stage,
        "stage_held_steps": -(-stage // chunk) * chunk,
    }


def describe(section: dict[str, Any], *, cost: PlanCost) -> str:
    """The adaptive plan in a few lines, for the terminal."""
    a = section
    fill = (
        f"first fill {a['first_fill_systems']} systems ({a['first_fill_atoms']} atoms), "
        f"{a['queued_after_first_fill']} waiting"
    )
    cap = f"{a['capacity_atoms']} atoms ({a['capacity_source']}); {fill}"
    if a["capacity_atoms"] is None:
        cap = f"{a['capacity_source']} (so is the first fill)"

    def steps(x: float) -> str:
        hours = cost.hours(x)  # None: no anchor for the model
        return f"{x:.3g} atom-steps" + ("" if hours is None else f" ({hours:.3g} h)")

    budget = (
        f"the budget max_atom_steps = {a['max_atom_steps']:.3g} stops the whole campaign "
        "at the first chunk boundary past it (up to one chunk of a full batch more)"
        if a["max_atom_steps"]
        else "no budget (max_atom_steps = 0): added temperatures are not capped"
    )
    lo, hi = a["temperature_range_K"]
    return "\n".join(
        [
            f"adaptive protocol: {a['initial_systems']} initial systems queued for one "
            f"in-flight batch of capacity {cap}",
            f"each system is judged every {a['chunk_ps']:g} ps and runs at most "
            f"{a['max_duration_ps']:g} ps: the initial systems cost between "
            f"{steps(a['atom_steps_one_chunk_each'])} (one chunk each) and "
            f"{steps(a['atom_steps_worst_initial'])} (max_duration_ps each)",
            f"temperatures may be added in [{lo:g}, {hi:g}] K (step "
            f"{a['temperature_step_K']:g} K), each up to its atoms x "
            f"{a['max_steps']} steps; {budget}",
        ]
        + _stage_line(a)
    )


def _stage_line(a: dict[str, Any]) -> list[str]:
    """cell = "npt": what each system's stage adds (none otherwise)."""
    steps, held = a.get("stage_steps") or 0, a.get("stage_held_steps") or 0
    if not steps:
        return []
    idle = f", {held - steps} of them idle: npt_ps is not a multiple of chunk_ps" * (
        held > steps
    )
    return [
        f'cell = "npt": every system, an added temperature too, first runs its own '
        f"NPT stage of {steps} steps, holding its slot for {held} batch steps{idle}"
    ]
