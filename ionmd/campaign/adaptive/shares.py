"""The adaptive protocol on an executor: each worker runs the adaptive loop over
its *share* of the materials (docs/adaptive.md, "On an executor").

A share holds whole materials (every temperature a material gets, initial or
added, stays in its share), packed first fit to ``max_atoms_per_batch`` by their
initial systems. Share i runs into ``md.h5`` / ``md.i.h5`` with its own state file
``adaptive.i.json``; its budget is ``max_atom_steps`` in proportion to its
initial atoms. What is shared: the campaign's settings, model and output
directory, and at the end one merged ``adaptive.json`` for the report. What is
not: the queue and the batch (a worker refills only from its own share), and the
budget (split up front).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ionmd.campaign.adaptive.loop import occupancy_mean
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError
from ionmd.outputs import write_text_atomic

MERGED = "adaptive.json"


def share_state_name(i: int) -> str:
    return f"adaptive.{i}.json"


def plan_shares(systems: Sequence[SystemSpec], *, max_atoms: int) -> list[list[SystemSpec]]:
    """Whole materials packed first fit to ``max_atoms`` (0: one share)."""
    by_material: dict[str, list[SystemSpec]] = {}
    for s in systems:
        by_material.setdefault(s.material_id, []).append(s)
    shares: list[list[SystemSpec]] = []
    sizes: list[int] = []
    for group in by_material.values():
        n = sum(len(s.atoms) for s in group)  # type: ignore[arg-type]
        for i, size in enumerate(sizes):
            if max_atoms <= 0 or size + n <= max_atoms:
                shares[i] += group
                sizes[i] += n
                break
        else:
            shares.append(list(group))
            sizes.append(n)
    return shares


def capacity_atoms(
    model: Any, systems: Sequence[SystemSpec], *, max_atoms: int, with_stress: bool = False
) -> int:
    """Atoms the in-flight batch may hold: ``max_atoms_per_batch``, else the measured
    memory model on CUDA (``with_stress``: of a step with the stress on, the NPT
    stage's), else (the CPU without a limit) all initial systems."""
    from ionmd.campaign.memory import auto_max_atoms

    capacity = max_atoms or auto_max_atoms(model, systems, with_stress=with_stress)
    if capacity <= 0:
        capacity = sum(len(s.atoms) for s in systems)  # type: ignore[arg-type]
    return int(capacity)


def merge_states(out: Path) -> dict[str, Any] | None:
    """One ``adaptive.json`` from the shares' ``adaptive.i.json`` (None without any):
    systems, materials and events joined (each event and occupancy row says its
    share), atom-steps summed, occupancy averaged over the shares' batch clocks."""
    paths = sorted(out.glob("adaptive.*.json"), key=lambda p: int(p.name.split(".")[1]))
    if not paths:
        return None
    states = []
    for p in paths:
        try:
            states.append(json.loads(p.read_text()))
        except (OSError, ValueError) as exc:
            raise InputError(f"{p}: unreadable adaptive state ({exc})") from None
    merged = dict(states[0])
    merged["shares"] = len(states)
    for key in ("systems", "materials"):
        merged[key] = {k: v for st in states for k, v in st[key].items()}
    merged["events"] = sorted(
        ({**e, "share": i} for i, st in enumerate(states) for e in st["events"]),
        key=lambda e: (e["step"], e["share"]),
    )
    merged["occupancy"] = [
        {**r, "share": i, "capacity_atoms": st["capacity_atoms"]}
        for i, st in enumerate(states)
        for r in st["occupancy"]
    ]
    merged["atom_steps"] = sum(st["atom_steps"] for st in states)
    merged["step"] = max(st["step"] for st in states)
    merged["queue"] = [k for st in states for k in st["queue"]]
    merged["done"] = all(st["done"] for st in states)
    merged["capacity_atoms"] = states[0]["capacity_atoms"]
    merged["occupancy_mean"] = occupancy_mean(merged)
    merged["occupancy_mean_while_queued"] = occupancy_mean(merged, while_queued=True)
    write_text_atomic(out / MERGED, json.dumps(merged, indent=1, allow_nan=False))
    return merged
