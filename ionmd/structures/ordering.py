"""Ordered supercells of a disordered structure (``occupancy = "order"``).

A partially occupied structure (vacancies on a Li sublattice, two species on one
site such as Ge/P or O/N) becomes up to ``n_orderings`` fully occupied,
symmetry-distinct supercells:

1. **Supercell.** The disordered cell is repeated by the study's rule
   (:func:`ionmd.structures.supercell.min_length_supercell`: perpendicular widths
   >= ``min_cell_length_A``). If a species' count (a dopant such as Si₀.₄) or
   neutrality cannot be kept there (steps 3-4), the smallest larger diagonal
   supercell of at most :data:`MAX_ORDERING_ATOMS` atoms that keeps them is used
   (fewest atoms, then widest); none: refused in one line. Every ordering of a
   material shares the supercell.
2. **Counts.** Partial sites are grouped by their occupancy (same species and
   occupancies to 1e-4: one Wyckoff orbit or several of equal occupancy). A group
   of m sites receives round(m * sum o_k) atoms, split by largest remainder
   (as :mod:`ionmd.structures.occupancy` does).
3. **Charge.** When oxidation states can be assigned
   (:func:`ionmd.structures.oxidation.assign_oxidation_states`: the CIF's, the
   common ones, or a plausible alternative such as Bi⁵⁺ in Li₇BiO₆; recorded),
   counts are moved one atom at a time (the move that adds the least
   composition error) until the supercell is neutral.
4. **Tolerance.** Every element's count within :data:`MAX_SPECIES_RELATIVE_ERROR`
   (5 %) of the disordered count (for Li: the Nernst-Einstein conductivity is
   proportional to the carrier count, so 5 % is 0.02 in log10 sigma, two orders
   below the study's 1.55 mean log10 error; for a dopant: it is still there, in
   nearly its amount), and every element's atom fraction within
   :data:`MAX_FRACTION_ERROR` (1 percentage point). The plan and each record list
   every element's intended and placed count.
5. **Placement** (:mod:`ionmd.structures.placement`). ``n_trials`` random
   placements (seeded from the run seed and the material id) that avoid atoms
   closer than their species allow (:mod:`ionmd.structures.contacts`: Li-Li
   1.89 Å, ...), each relaxed by downhill swaps within a group on the Ewald
   energy of the point charges plus a penalty per too-close pair. Without
   oxidation states the charges are +1 on the atoms of partial sites and 0
   elsewhere (a repulsion that spreads them apart).
6. **Contacts.** A placement that still has a too-close pair is discarded; if
   every one has, the material is refused naming the pair (e.g. 122 Li on 120
   split-site pairs 1.6 Å apart). Every ordering kept is checked again.
7. **Symmetry.** Configurations that are copies of one another (the same
   structure up to the crystal's symmetry: equal Ewald energy and matched by
   pymatgen's ``StructureMatcher``) are kept once; the ``n_orderings`` lowest
   distinct ones are returned, fewer when fewer were found (the record says
   how many were asked and found).

Exhaustive enumeration (pymatgen ``EnumerateStructureTransformation``/enumlib) is
combinatorial in these supercells: a group of m = 48 Li sites half filled already
has C(48, 24) ~ 3e13 configurations; it is not used.

Each :class:`Ordering` carries a ``record`` (JSON-able) saying how it was made.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pymatgen.core import Element, Structure

from ionmd.errors import InputError
from ionmd.structures.occupancy import OCCUPANCY_TOL, _split_counts, partial_sites
from ionmd.structures.oxidation import OXIDATION_STATES, assign_oxidation_states
from ionmd.structures.supercell import (
    diagonal_supercell,
    perpendicular_widths,
    supercell_repeats,
)

__all__ = [
    "MAX_FRACTION_ERROR",
    "MAX_MOBILE_RELATIVE_ERROR",
    "MAX_ORDERING_ATOMS",
    "MAX_SPECIES_RELATIVE_ERROR",
    "ORDERING_SEPARATOR",
    "OXIDATION_STATES",
    "Ordering",
    "OrderingPlan",
    "base_material_id",
    "make_orderings",
    "ordering_material_id",
    "plan_ordering",
]

#: material id of ordering k (1-based): ``<material>#o<k>``; the system key makes
#: it ``<material>_o<k>_<T>K`` and the run file keeps the id in ``material_id``.
ORDERING_SEPARATOR = "#o"
MAX_MOBILE_RELATIVE_ERROR = 0.05
#: every element's ordered count within this of the disordered count (relative)
MAX_SPECIES_RELATIVE_ERROR = 0.05
MAX_FRACTION_ERROR = 0.01
#: a supercell enlarged beyond the 10 Å rule (to keep a dopant's count) holds at
#: most this many atoms (the study's largest supercell has 640)
MAX_ORDERING_ATOMS = 1000
#: random starts per material
DEFAULT_TRIALS = 24


def ordering_material_id(material_id: str, k: int) -> str:
    """``qa9#o2`` for the second ordering of qa9."""
    return f"{material_id}{ORDERING_SEPARATOR}{k}"


def base_material_id(material_id: str) -> tuple[str, int | None]:
    """(``qa9``, 2) for ``qa9#o2``; (id, None) for an id that is not an ordering."""
    head, sep, tail = material_id.rpartition(ORDERING_SEPARATOR)
    if sep and head and tail.isdigit():
        return head, int(tail)
    return material_id, None


@dataclass(kw_only=True)
class _Group:
    members: list[int]  # supercell site indices
    species: list[str]  # element symbols
    occupancies: list[float]
    counts: list[int]


@dataclass(kw_only=True)
class OrderingPlan:
    """What the orderings of a structure will be, before placing atoms."""

    supercell: Structure  # still disordered
    scaling: np.ndarray
    fixed: list[int]
    groups: list[_Group]
    charges: dict[str, int] | None  # element -> oxidation state, None: not assigned
    charge_source: str
    composition_disordered: dict[str, float]
    composition_ordered: dict[str, int]
    charge_e: int | None
    base_repeats: list[int] = field(default_factory=list)  # the 10 Å rule's

    @property
    def n_atoms(self) -> int:
        return sum(self.composition_ordered.values())

    def rounding(self) -> dict[str, float]:
        """Ordered minus disordered atom count per element."""
        els = sorted(set(self.composition_disordered) | set(self.composition_ordered))
        return {
            el: round(
                self.composition_ordered.get(el, 0)
                - self.composition_disordered.get(el, 0),
                4,
            )
            for el in els
        }

    def counts(self) -> dict[str, list[float]]:
        """Element -> [intended (disordered) count, placed count] in the supercell."""
        els = sorted(set(self.composition_disordered) | set(self.composition_ordered))
        return {
            el: [
                round(self.composition_disordered.get(el, 0.0), 4),
                self.composition_ordered.get(el, 0),
            ]
            for el in els
        }

    def record(self) -> dict[str, Any]:
        return {
            "supercell": [int(x) for x in np.diag(self.scaling)],
            "supercell_10A_rule": list(self.base_repeats),
            "n_atoms": self.n_atoms,
            "counts_intended_placed": self.counts(),
            "composition_disordered": {
                k: round(v, 4) for k, v in self.composition_disordered.items()
            },
            "composition_ordered": dict(self.composition_ordered),
            "rounding": self.rounding(),
            "charge_source": self.charge_source,
            "charge_e": self.charge_e,
            "partial_groups": [
                {
                    "n_sites": len(g.members),
                    "occupancy": dict(zip(g.species, g.occupancies, strict=True)),
                    "counts": dict(zip(g.species, g.counts, strict=True)),
                }
                for g in self.groups
            ],
        }


@dataclass(kw_only=True)
class Ordering:
    """One ordered supercell and how it was made."""

    structure: Structure
    scaling: np.ndarray
    record: dict[str, Any] = field(default_factory=dict)


def plan_ordering(
    structure: Structure,
    *,
    min_cell_length_A: float = 10.0,
    mobile_species: str = "Li",
    origin: str = "structure",
    max_atoms: int = MAX_ORDERING_ATOMS,
) -> OrderingPlan:
    """The supercell, the atom count of every partial-site group, and the checks
    (tolerance for every species, charge neutrality); InputError with a one-line
    reason if refused. The study's 10 Å supercell first; if a species' count or
    neutrality cannot be kept there, the smallest larger diagonal supercell of at
    most ``max_atoms`` atoms that keeps them. Cheap: no placement, no Ewald sum."""
    base = supercell_repeats(structure.lattice.matrix, min_cell_length_A=min_cell_length_A)
    first: InputError | None = None
    for reps in _supercell_candidates(structure, base, max_atoms=max_atoms):
        if first is not None and not _counts_may_fit(
            structure, reps, mobile_species=mobile_species
        ):
            continue
        try:
            plan = _plan_in(structure, reps, mobile_species=mobile_species, origin=origin)
        except InputError as exc:
            first = first or exc
            continue
        plan.base_repeats = [int(x) for x in base]
        return plan
    assert first is not None
    raise InputError(
        f"{first}, and in every larger diagonal supercell of at most {max_atoms} atoms"
    )


def _plan_in(
    structure: Structure, reps: np.ndarray, *, mobile_species: str, origin: str
) -> OrderingPlan:
    """The plan in the diagonal supercell ``reps`` (InputError if refused there)."""
    sc, scaling = diagonal_supercell(structure, repeats=reps)
    partial = set(partial_sites(sc))
    fixed = [i for i in range(len(sc)) if i not in partial]
    groups = _groups(sc, sorted(partial))
    disordered = _disordered_counts(sc)
    charges, source = assign_oxidation_states(sc, disordered=disordered)
    if charges is not None:
        _neutralize(groups, charges=charges, fixed_charge=_fixed_charge(sc, fixed, charges))
    ordered = _ordered_counts(sc, fixed, groups)
    shape = "x".join(str(int(x)) for x in reps)
    charge = None
    if charges is not None:
        charge = sum(charges[el] * n for el, n in ordered.items())
        if charge != 0:
            raise InputError(
                f"{origin}: no charge-neutral ordering (charge {charge:+d} e left with "
                f"oxidation states from {source}) in the {shape} supercell"
            )
    why = _tolerance_error(disordered, ordered, mobile_species=mobile_species)
    if why is not None:
        raise InputError(
            f"{origin}: ordering impossible within tolerance: {why} in the {shape} "
            "supercell"
        )
    return OrderingPlan(
        supercell=sc,
        scaling=scaling,
        fixed=fixed,
        groups=groups,
        charges=charges,
        charge_source=source,
        composition_disordered=disordered,
        composition_ordered=ordered,
        charge_e=charge,
    )


def _groups(sc: Structure, partial: list[int]) -> list[_Group]:
    """Partial sites grouped by (species, occupancy), with their atom counts."""
    keyed: dict[tuple, list[int]] = {}
    for i in partial:
        key = tuple(sorted((_symbol(sp), round(o, 4)) for sp, o in sc[i].species.items()))
        keyed.setdefault(key, []).append(i)
    groups: list[_Group] = []
    for key, members in sorted(keyed.items(), key=lambda kv: (kv[1][0], kv[0])):
        species = [s for s, _ in key]
        occ = [o for _, o in key]
        counts = _split_counts(len(members), list(zip(species, occ, strict=True)))
        groups.append(
            _Group(members=members, species=species, occupancies=occ, counts=counts)
        )
    return groups


def _disordered_counts(structure: Structure) -> dict[str, float]:
    out: dict[str, float] = {}
    for site in structure:
        for sp, o in site.species.items():
            el = _symbol(sp)
            out[el] = out.get(el, 0.0) + float(o)
    return out


def make_orderings(
    structure: Structure,
    *,
    n_orderings: int = 4,
    seed: int = 0,
    material_id: str = "material",
    min_cell_length_A: float = 10.0,
    mobile_species: str = "Li",
    n_trials: int = DEFAULT_TRIALS,
    max_atoms: int = MAX_ORDERING_ATOMS,
) -> list[Ordering]:
    """Up to ``n_orderings`` symmetry-distinct ordered supercells, lowest Ewald
    energy first (fewer when fewer distinct ones were found: each record says how
    many were asked and found); reproducible from ``seed`` and ``material_id``.
    InputError if no placement keeps every pair of atoms at its species' distance
    (the closest pair named). See the module docstring for the method."""
    from ionmd.structures.contacts import (
        check_contacts,
        contact_limits,
        describe_violation,
        first_violation,
    )
    from ionmd.structures.placement import Sampler

    if n_orderings < 1:
        raise InputError(f"n_orderings must be >= 1, got {n_orderings}")
    plan = plan_ordering(
        structure,
        min_cell_length_A=min_cell_length_A,
        mobile_species=mobile_species,
        origin=material_id,
        max_atoms=max_atoms,
    )
    limits = contact_limits(structure)
    sampler = Sampler.build(plan, limits=limits, symbol=_symbol)
    rng = np.random.default_rng(
        np.random.SeedSequence([int(seed), zlib.crc32(material_id.encode())])
    )
    members = [i for g in plan.groups for i in g.members]
    found = _sample(sampler, members=members, n_trials=max(1, n_trials), rng=rng)
    clean = sorted((e, fp, key) for key, (e, n, fp) in found.items() if n == 0)
    if not clean:
        key = min(found, key=lambda k: (found[k][1], found[k][0]))
        worst = _build(plan.supercell, plan.fixed, dict(zip(members, key, strict=True)))
        raise InputError(
            f"{material_id}: no ordering keeps its atoms apart in "
            f"{max(1, n_trials)} placements: "
            + describe_violation(worst, first_violation(worst, limits))  # type: ignore[arg-type]
        )
    distinct, seconds = _symmetry_distinct(
        [
            (e, fp, _build(plan.supercell, plan.fixed, dict(zip(members, k, strict=True))))
            for e, fp, k in clean
        ]
    )
    note = {
        "method": "random placements avoiding too-close pairs, relaxed by downhill "
        "swaps, ranked by Ewald energy, one per symmetry class (StructureMatcher)",
        "seed": int(seed),
        "n_trials": int(max(1, n_trials)),
        "n_configurations_found": len(found),
        "n_too_close_refused": len(found) - len(clean),
        "n_symmetry_distinct_found": len(distinct),
        "n_orderings_asked": int(n_orderings),
        "symmetry_check_s": round(seconds, 3),
        "contact_limits_A": {f"{a}-{b}": round(d, 3) for (a, b), d in limits.items()},
    }
    best = distinct[0][0]
    out: list[Ordering] = []
    for rank, (energy, ordered) in enumerate(distinct[:n_orderings], start=1):
        record = plan.record() | note | {
            "rank": rank,
            "energy_above_lowest_eV": round(float(energy - best), 6),
            "energy_per_atom_eV": round(float(energy) / len(ordered), 6),
        }  # fmt: skip
        check_contacts(ordered, limits, origin=f"{material_id} ordering {rank}")
        out.append(Ordering(structure=ordered, scaling=plan.scaling, record=record))
    return out


def _sample(
    sampler: Any, *, members: list[int], n_trials: int, rng: np.random.Generator
) -> dict[tuple, tuple[float, int, float]]:
    """Placement -> (Ewald energy eV, too-close pairs, fingerprint) over
    ``n_trials`` relaxed random placements (each distinct site set once)."""
    found: dict[tuple, tuple[float, int, float]] = {}
    for _ in range(n_trials):
        assignment, energy, n_close = sampler.relax(sampler.random_assignment(rng), rng)
        key = tuple(assignment[i] or "" for i in members)
        if key not in found:
            found[key] = (energy, n_close, sampler.fingerprint(assignment))
    return found


def _symmetry_distinct(
    ranked: list[tuple[float, float, Structure]],
) -> tuple[list[tuple[float, Structure]], float]:
    """One configuration per symmetry class, lowest energy first, and the seconds
    the check took. Copies under the crystal's symmetry have the same Ewald
    energy and the same fingerprint (:meth:`Sampler.fingerprint`), so only pairs
    equal in both (1e-6 relative) go to pymatgen's StructureMatcher (default
    tolerances, no primitive reduction: both are in the same supercell)."""
    import time

    from pymatgen.analysis.structure_matcher import StructureMatcher

    def same(x: float, y: float) -> bool:
        return abs(x - y) <= 1e-6 * max(1.0, abs(x))

    start = time.perf_counter()
    matcher = StructureMatcher(primitive_cell=False, scale=False, attempt_supercell=False)
    kept: list[tuple[float, float, Structure]] = []
    for energy, fp, s in ranked:
        if any(same(e, energy) and same(f, fp) and matcher.fit(s, t) for e, f, t in kept):
            continue
        kept.append((energy, fp, s))
    return [(e, s) for e, _, s in kept], time.perf_counter() - start


# --- helpers -----------------------------------------------------------------


def _symbol(sp: object) -> str:
    return str(getattr(sp, "symbol", None) or Element(str(sp)).symbol)


def _fixed_charge(sc: Structure, fixed: list[int], charges: dict[str, int]) -> int:
    return sum(charges[_symbol(next(iter(sc[i].species)))] for i in fixed)


def _ordered_counts(
    sc: Structure, fixed: list[int], groups: list[_Group]
) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in fixed:
        el = _symbol(next(iter(sc[i].species)))
        out[el] = out.get(el, 0) + 1
    for g in groups:
        for el, n in zip(g.species, g.counts, strict=True):
            if n:
                out[el] = out.get(el, 0) + n
    return dict(sorted(out.items()))


def _neutralize(
    groups: list[_Group], *, charges: dict[str, int], fixed_charge: int
) -> None:
    """Move single atoms (add, remove, or swap species on a site of a group) until
    the cell is neutral, each time the move that reduces |charge| and adds the
    least count error; stops when no move reduces |charge|."""

    def charge() -> int:
        return fixed_charge + sum(
            charges[el] * n
            for g in groups
            for el, n in zip(g.species, g.counts, strict=True)
        )

    def error(g: _Group, k: int, n: int) -> float:
        target = len(g.members) * g.occupancies[k]
        return abs(n - target) / max(target, 1.0)

    for _ in range(10_000):
        q = charge()
        if q == 0:
            return
        # (cost, group, species removed or -1, species added or -1)
        best: tuple[float, int, int, int] | None = None
        for gi, g in enumerate(groups):
            m, n_sp = len(g.members), len(g.species)
            moves = [(-1, k) for k in range(n_sp)] + [(k, -1) for k in range(n_sp)]
            moves += [(k, j) for k in range(n_sp) for j in range(n_sp) if k != j]
            for out_k, in_k in moves:
                counts = list(g.counts)
                if out_k >= 0:
                    counts[out_k] -= 1
                if in_k >= 0:
                    counts[in_k] += 1
                if min(counts) < 0 or sum(counts) > m:
                    continue
                new_q = q + (charges[g.species[in_k]] if in_k >= 0 else 0)
                new_q -= charges[g.species[out_k]] if out_k >= 0 else 0
                if abs(new_q) >= abs(q):
                    continue
                cost = sum(
                    error(g, k, counts[k]) - error(g, k, g.counts[k]) for k in range(n_sp)
                )
                cand = (cost + 0.001 * abs(new_q), gi, out_k, in_k)
                if best is None or cand < best:
                    best = cand
        if best is None:
            return
        _, gi, out_k, in_k = best
        if out_k >= 0:
            groups[gi].counts[out_k] -= 1
        if in_k >= 0:
            groups[gi].counts[in_k] += 1


def _tolerance_error(
    disordered: dict[str, float], ordered: dict[str, int], *, mobile_species: str
) -> str | None:
    """Why the ordered counts are outside the tolerance, or None."""
    if ordered.get(mobile_species, 0) == 0:
        return f"no {mobile_species} left ({disordered.get(mobile_species, 0):.4g} -> 0)"
    rel = {el: abs(ordered.get(el, 0) - n) / n for el, n in disordered.items() if n > 0}
    el = max(sorted(rel), key=lambda e: rel[e], default=None)  # the worst element
    if el is not None and rel[el] > MAX_SPECIES_RELATIVE_ERROR:
        return (
            f"{el} {disordered[el]:.4g} -> {ordered.get(el, 0)} ({100 * rel[el]:.1f} % "
            f"> {100 * MAX_SPECIES_RELATIVE_ERROR:g} %)"
        )
    n_dis, n_ord = sum(disordered.values()), sum(ordered.values())
    for el in sorted(set(disordered) | set(ordered)):
        err = abs(ordered.get(el, 0) / n_ord - disordered.get(el, 0.0) / n_dis)
        if err > MAX_FRACTION_ERROR:
            return (
                f"{el} atom fraction off by {100 * err:.2f} points "
                f"(> {100 * MAX_FRACTION_ERROR:g}) "
                f"({disordered.get(el, 0.0):.4g} -> {ordered.get(el, 0)} atoms)"
            )
    return None


def _supercell_candidates(structure: Structure, base: np.ndarray, *, max_atoms: int):
    """The 10 Å rule's repeats, then every larger diagonal supercell of at most
    ``max_atoms`` atoms (occupancies summed), fewest atoms first, then the
    widest (largest smallest perpendicular width)."""
    yield np.asarray(base, dtype=int)
    per_cell = sum(float(o) for site in structure for o in site.species.values())
    k_max = int(max_atoms // max(per_cell, 1e-9))
    widths = perpendicular_widths(structure.lattice.matrix)
    out = []
    b0, b1, b2 = (int(x) for x in base)
    for n0 in range(b0, k_max + 1):
        for n1 in range(b1, k_max // n0 + 1):
            for n2 in range(b2, k_max // (n0 * n1) + 1):
                reps = (n0, n1, n2)
                if reps == (b0, b1, b2):
                    continue
                k = n0 * n1 * n2
                out.append((k, -float(min(np.array(reps) * widths)), reps))
    for _, _, reps in sorted(out):
        yield np.array(reps, dtype=int)


def _counts_may_fit(structure: Structure, reps: np.ndarray, *, mobile_species: str) -> bool:
    """Cheap pre-check of a candidate supercell: the rounded counts (before the
    charge moves) within tolerance, computed from the unit cell's groups."""
    k = int(np.prod(reps))
    partial = partial_sites(structure)
    fixed = [i for i in range(len(structure)) if i not in set(partial)]
    groups = _groups(structure, partial)
    ordered: dict[str, int] = {}
    for i in fixed:
        el = _symbol(next(iter(structure[i].species)))
        ordered[el] = ordered.get(el, 0) + k
    for g in groups:
        counts = _split_counts(
            k * len(g.members), list(zip(g.species, g.occupancies, strict=True))
        )
        for el, n in zip(g.species, counts, strict=True):
            ordered[el] = ordered.get(el, 0) + n
    disordered = {el: k * n for el, n in _disordered_counts(structure).items()}
    return _tolerance_error(disordered, ordered, mobile_species=mobile_species) is None


def _build(sc: Structure, fixed: list[int], choice: dict[int, str]) -> Structure:
    """Fully occupied structure: fixed sites and the chosen species of partial
    sites (empty string: vacancy), in supercell site order."""
    species, frac = [], []
    for i, site in enumerate(sc):
        if i in choice:
            if not choice[i]:
                continue
            species.append(choice[i])
        else:
            (sp, occ), *_ = site.species.items()
            if abs(occ - 1.0) > OCCUPANCY_TOL:  # pragma: no cover - plan guarantees
                raise InputError(f"site {i} is not fully occupied")
            species.append(_symbol(sp))
        frac.append(site.frac_coords)
    if not species:
        raise InputError("no atoms in the ordered supercell")
    return Structure(sc.lattice, species, np.array(frac))
