"""The campaign's plan: materials → systems (10 Å rule, one per temperature) →
batches that fit, as a :class:`CampaignPlan`."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ionmd.caller import option
from ionmd.campaign.config import CampaignConfig
from ionmd.campaign.run_files import run_file_name
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError
from ionmd.log import get_logger

log = get_logger(__name__)


@dataclass(kw_only=True)
class CampaignPlan:
    """What a campaign runs: its systems, packed into batches (run file ``i`` is
    :func:`~ionmd.campaign.run_files.run_file_name` ``(i)``), the materials left out
    and why, and each material's supercell (repeats and atoms)."""

    systems: list[SystemSpec]
    batches: list[list[SystemSpec]] = field(default_factory=list)
    failed_materials: dict[str, str] = field(default_factory=dict)
    supercells: dict[str, list[int]] = field(default_factory=dict)

    @property
    def keys(self) -> list[list[str]]:
        """The system keys of each batch (campaign.json's ``plan``)."""
        return [[s.key for s in b] for b in self.batches]


def systems_for_material(
    material_id: str, structure: object, *, config: CampaignConfig
) -> list[SystemSpec]:
    """One system per temperature, on the smallest diagonal supercell whose
    perpendicular widths are all >= ``config.min_cell_length_A``."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ionmd.structures.supercell import min_length_supercell

    sc, matrix = min_length_supercell(
        structure,  # type: ignore[arg-type]
        min_cell_length_A=config.min_cell_length_A,
    )
    atoms = AseAtomsAdaptor.get_atoms(sc)
    atoms.info.clear()
    return [
        SystemSpec(
            material_id=material_id,
            atoms=atoms.copy(),
            temperature_K=float(t),
            run_seed=config.md.seed,
            supercell=np.asarray(matrix, dtype=np.int64),
        )
        for t in config.temperatures_K
    ]


def pack_batches(
    systems: Sequence[SystemSpec], *, max_atoms: int
) -> list[list[SystemSpec]]:
    """Greedy first-fit-decreasing packing into batches of at most ``max_atoms``
    atoms (0: everything in one batch). A system larger than the limit gets a
    batch of its own."""
    if max_atoms <= 0:
        return [list(systems)]
    order = sorted(systems, key=lambda s: -len(s.atoms))  # type: ignore[arg-type]
    batches: list[list[SystemSpec]] = []
    sizes: list[int] = []
    for s in order:
        n = len(s.atoms)  # type: ignore[arg-type]
        for i, size in enumerate(sizes):
            if size + n <= max_atoms:
                batches[i].append(s)
                sizes[i] += n
                break
        else:
            batches.append([s])
            sizes.append(n)
    return batches


def plan_batches(
    systems: list[SystemSpec],
    *,
    previous_plan: Sequence[Sequence[str]],
    max_atoms: int,
    out: Path,
) -> list[list[SystemSpec]]:
    """The batches: the previous run's (they may hold out-of-memory splits, and
    their run files are named by position), less the systems no longer asked
    for (only batches without data can lose any), then new systems packed to
    ``max_atoms`` after them. A finished batch keeps its position and file."""
    by_key = {s.key: s for s in systems}
    plan = list(previous_plan)
    batches: list[list[SystemSpec]] = []
    placed: set[str] = set()
    for i, keys in enumerate(plan):
        kept = [by_key[k] for k in keys if k in by_key]
        placed.update(keys)
        if kept:
            batches.append(kept)
            continue
        later = [j for j in range(i + 1, len(plan)) if (out / run_file_name(j)).exists()]
        if later:
            raise InputError(
                f"{out}: the systems of batch {run_file_name(i)} are no longer asked "
                f"for while later batches hold data; re-run with {option('--force')} or "
                f"choose another {option('--out')}"
            )
    new = [s for s in systems if s.key not in placed]
    if new:
        batches += pack_batches(new, max_atoms=max_atoms)
    return batches


def uncovered_elements(
    numbers: AbstractSet[int], *, known: AbstractSet[int] | None, model_label: str
) -> str | None:
    """The one-line refusal of a material whose atomic ``numbers`` the model does
    not all cover (``known``: the numbers it covers, None: every one or not
    known), naming the elements missing; None when it is covered. Used by
    ``ionmd run`` (the loaded model) and ``ionmd plan`` (its table by name)."""
    if known is None or numbers <= known:
        return None
    from ase.data import chemical_symbols

    missing = sorted(chemical_symbols[z] for z in set(numbers) - set(known))
    return f"model {model_label} does not cover {', '.join(missing)}"


def plan_systems(
    prepared: dict[str, list[SystemSpec]],
    *,
    known: set[int] | None,
    model_label: str,
    failed: dict[str, str],
) -> CampaignPlan:
    """The plan's systems: every prepared material the model covers (``known``:
    the atomic numbers it covers, None when it does not say); the others are
    added to ``failed`` with the elements missing."""
    plan = CampaignPlan(systems=[], failed_materials=failed)
    for material_id, specs in prepared.items():
        numbers = set(specs[0].atoms.get_atomic_numbers().tolist())  # type: ignore[attr-defined]
        refusal = uncovered_elements(numbers, known=known, model_label=model_label)
        if refusal is not None:
            failed[material_id] = refusal
            log.info(f"skipping {material_id}: {failed[material_id]}")
            continue
        plan.systems.extend(specs)
        plan.supercells[material_id] = [int(x) for x in specs[0].supercell.diagonal()] + [
            len(specs[0].atoms)  # type: ignore[arg-type]
        ]
    return plan
