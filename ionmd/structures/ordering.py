"""Ordered supercells of a disordered structure (``occupancy = "order"``).

A partially occupied structure (vacancies on a Li sublattice, two species on one
site such as Ge/P or O/N) becomes ``n_orderings`` fully occupied supercells:

1. **Supercell.** The disordered cell is repeated by the study's rule
   (:func:`ionmd.structures.supercell.min_length_supercell`: perpendicular widths
   >= ``min_cell_length_A``); every ordering shares it.
2. **Counts.** Partial sites are grouped by their occupancy (same species and
   occupancies to 1e-4: one Wyckoff orbit or several of equal occupancy). A group
   of m sites receives round(m * sum o_k) atoms, split by largest remainder
   (as :mod:`ionmd.structures.occupancy` does), so each species' count is the
   disordered count within the integer rounding.
3. **Charge.** When oxidation states can be assigned (from the CIF, else from
   :data:`OXIDATION_STATES` if the disordered composition is neutral with them
   to :data:`MAX_DISORDERED_CHARGE_PER_ATOM`), counts are moved one atom at a time
   (the move that adds the least composition error) until the supercell is
   neutral; if it cannot be, the material is refused.
4. **Tolerance.** Refused when the mobile species' count differs from the
   disordered count by more than :data:`MAX_MOBILE_RELATIVE_ERROR` (5 %: the
   Nernst-Einstein conductivity is proportional to the carrier count, so 5 % is
   0.02 in log10 sigma, two orders below the study's 1.55 mean log10 error), or
   any element's atom fraction by more than :data:`MAX_FRACTION_ERROR` (1
   percentage point, i.e. one atom in a hundred).
5. **Placement.** ``n_trials`` random placements (sites of each group shuffled
   by a generator seeded from the run seed and the material id), each relaxed by
   downhill swaps (an occupied and an empty site, or two species, of one group)
   on the Ewald energy of the point charges; the ``n_orderings`` lowest distinct
   configurations are kept, lowest first. Without oxidation states the charges
   are +1 on the atoms of partial sites and 0 elsewhere (a repulsion that spreads
   them apart, e.g. keeps split positions from being filled together).
   The Ewald matrix is computed once per material with unit charges (pymatgen
   ``EwaldSummation``), so a trial costs O(N) per swap.
6. **Overlap check.** An ordering with two atoms closer than the loader's limit
   is refused.

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
from ionmd.structures.supercell import min_length_supercell

__all__ = [
    "MAX_FRACTION_ERROR",
    "MAX_MOBILE_RELATIVE_ERROR",
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
MAX_FRACTION_ERROR = 0.01
#: |charge| per atom of the disordered cell under the table below above which
#: the table is taken not to apply (mixed valence, polyanions it does not know)
MAX_DISORDERED_CHARGE_PER_ATOM = 0.02
#: Oxidation states used when the CIF gives none (common states in Li solid
#: electrolytes); an element not listed means "not assigned".
OXIDATION_STATES: dict[str, int] = {
    "H": 1, "Li": 1, "Na": 1, "K": 1, "Rb": 1, "Cs": 1, "Ag": 1, "Cu": 1,
    "Be": 2, "Mg": 2, "Ca": 2, "Sr": 2, "Ba": 2, "Zn": 2, "Cd": 2,
    "B": 3, "Al": 3, "Ga": 3, "In": 3, "Sc": 3, "Y": 3, "La": 3, "Ce": 3, "Pr": 3,
    "Nd": 3, "Sm": 3, "Eu": 3, "Gd": 3, "Tb": 3, "Dy": 3, "Ho": 3, "Er": 3,
    "Tm": 3, "Yb": 3, "Lu": 3, "Bi": 3, "Cr": 3, "Fe": 3,
    "C": 4, "Si": 4, "Ge": 4, "Sn": 4, "Ti": 4, "Zr": 4, "Hf": 4,
    "P": 5, "As": 5, "Sb": 5, "V": 5, "Nb": 5, "Ta": 5,
    "Mo": 6, "W": 6, "Se": -2, "Te": -2,
    "O": -2, "S": -2, "N": -3, "F": -1, "Cl": -1, "Br": -1, "I": -1,
}  # fmt: skip
#: random starts and downhill-swap attempts per partial site and start
DEFAULT_TRIALS = 24
SWAPS_PER_SITE = 8
#: pair energies of coinciding sites (Ewald infinite) are set to this, eV
_CLASH_EV = 1e4


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

    def record(self) -> dict[str, Any]:
        return {
            "supercell": [int(x) for x in np.diag(self.scaling)],
            "n_atoms": self.n_atoms,
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
) -> OrderingPlan:
    """The supercell, the atom count of every partial-site group, and the checks
    (tolerance, charge neutrality); InputError with a one-line reason if refused.
    Cheap: no placement, no Ewald sum."""
    sc, scaling = min_length_supercell(structure, min_cell_length_A=min_cell_length_A)
    partial = set(partial_sites(sc))
    fixed = [i for i in range(len(sc)) if i not in partial]
    keyed: dict[tuple, list[int]] = {}
    for i in sorted(partial):
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
    disordered: dict[str, float] = {}
    for site in sc:
        for sp, o in site.species.items():
            el = _symbol(sp)
            disordered[el] = disordered.get(el, 0.0) + float(o)
    charges, source = _oxidation_states(sc, disordered)
    if charges is not None:
        _neutralize(groups, charges=charges, fixed_charge=_fixed_charge(sc, fixed, charges))
    ordered = _ordered_counts(sc, fixed, groups)
    charge = None
    if charges is not None:
        charge = sum(charges[el] * n for el, n in ordered.items())
        if charge != 0:
            raise InputError(
                f"{origin}: no charge-neutral ordering (charge {charge:+d} e left with "
                f"oxidation states from {source})"
            )
    plan = OrderingPlan(
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
    _check_tolerance(plan, mobile_species=mobile_species, origin=origin)
    return plan


def make_orderings(
    structure: Structure,
    *,
    n_orderings: int = 4,
    seed: int = 0,
    material_id: str = "material",
    min_cell_length_A: float = 10.0,
    mobile_species: str = "Li",
    n_trials: int = DEFAULT_TRIALS,
    min_distance_A: float | None = None,
) -> list[Ordering]:
    """Up to ``n_orderings`` distinct ordered supercells, lowest Ewald energy first
    (fewer when fewer distinct configurations exist); reproducible from ``seed``
    and ``material_id``. See the module docstring for the method."""
    from ionmd.structures.load import DEFAULT_MIN_DISTANCE_A, check_no_overlaps

    if n_orderings < 1:
        raise InputError(f"n_orderings must be >= 1, got {n_orderings}")
    plan = plan_ordering(
        structure,
        min_cell_length_A=min_cell_length_A,
        mobile_species=mobile_species,
        origin=material_id,
    )
    sc = plan.supercell
    candidates = plan.fixed + [i for g in plan.groups for i in g.members]
    index = {site: k for k, site in enumerate(candidates)}
    matrix = _unit_ewald_matrix(sc, candidates)
    q_fixed = np.zeros(len(candidates))
    if plan.charges is not None:
        for i in plan.fixed:
            q_fixed[index[i]] = plan.charges[_symbol(next(iter(sc[i].species)))]

    def q_of(el: str) -> float:
        return float(plan.charges[el]) if plan.charges is not None else 1.0

    rng = np.random.default_rng(
        np.random.SeedSequence([int(seed), zlib.crc32(material_id.encode())])
    )
    found: dict[tuple, float] = {}
    for _ in range(max(1, n_trials)):
        assignment = _random_assignment(plan.groups, rng)
        q = q_fixed.copy()
        for site, el in assignment.items():
            if el is not None:
                q[index[site]] = q_of(el)
        assignment, energy = _relax(plan.groups, assignment, q, matrix, index, q_of, rng)
        key = tuple(assignment[i] or "" for g in plan.groups for i in g.members)
        found.setdefault(key, energy)
    ranked = sorted(found.items(), key=lambda kv: (kv[1], kv[0]))[:n_orderings]
    limit = DEFAULT_MIN_DISTANCE_A if min_distance_A is None else min_distance_A
    out: list[Ordering] = []
    best = ranked[0][1]
    members = [i for g in plan.groups for i in g.members]
    for rank, (key, energy) in enumerate(ranked, start=1):
        choice = dict(zip(members, key, strict=True))
        ordered = _build(sc, plan.fixed, choice)
        check_no_overlaps(
            ordered, min_distance_A=limit, origin=f"{material_id} ordering {rank}"
        )
        record = plan.record() | {
            "method": "random placements relaxed by downhill swaps, ranked by Ewald energy",
            "seed": int(seed),
            "n_trials": int(max(1, n_trials)),
            "n_distinct_found": len(found),
            "rank": rank,
            "energy_above_lowest_eV": round(float(energy - best), 6),
            "energy_per_atom_eV": round(float(energy) / len(ordered), 6),
        }
        out.append(Ordering(structure=ordered, scaling=plan.scaling, record=record))
    return out


# --- helpers -----------------------------------------------------------------


def _symbol(sp: object) -> str:
    return str(getattr(sp, "symbol", None) or Element(str(sp)).symbol)


def _oxidation_states(
    sc: Structure, disordered: dict[str, float]
) -> tuple[dict[str, int] | None, str]:
    from_cif: dict[str, int] = {}
    for site in sc:
        for sp in site.species:
            oxi = getattr(sp, "oxi_state", None)
            if oxi is None:
                from_cif = {}
                break
            from_cif[_symbol(sp)] = int(round(oxi))
        else:
            continue
        break
    if from_cif and set(from_cif) >= set(disordered):
        return from_cif, "the CIF"
    if not set(disordered) <= set(OXIDATION_STATES):
        missing = sorted(set(disordered) - set(OXIDATION_STATES))
        return None, f"not assigned (no oxidation state for {', '.join(missing)})"
    total = sum(OXIDATION_STATES[el] * n for el, n in disordered.items())
    n_atoms = sum(disordered.values())
    if abs(total) > MAX_DISORDERED_CHARGE_PER_ATOM * n_atoms:
        return None, (
            f"not assigned (common oxidation states leave {total:+.2f} e on the "
            "disordered cell)"
        )
    return {el: OXIDATION_STATES[el] for el in disordered}, "common oxidation states"


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


def _check_tolerance(plan: OrderingPlan, *, mobile_species: str, origin: str) -> None:
    dis, ordd = plan.composition_disordered, plan.composition_ordered
    n_mob = dis.get(mobile_species, 0.0)
    if n_mob > 0:
        rel = abs(ordd.get(mobile_species, 0) - n_mob) / n_mob
        if rel > MAX_MOBILE_RELATIVE_ERROR:
            raise InputError(
                f"{origin}: ordering impossible within tolerance: {mobile_species} "
                f"{n_mob:.4g} -> {ordd.get(mobile_species, 0)} in the "
                f"{'x'.join(str(int(x)) for x in np.diag(plan.scaling))} supercell "
                f"({100 * rel:.1f} % > {100 * MAX_MOBILE_RELATIVE_ERROR:g} %)"
            )
    if ordd.get(mobile_species, 0) == 0:
        raise InputError(f"{origin}: no {mobile_species} left in the ordered supercell")
    n_dis, n_ord = sum(dis.values()), sum(ordd.values())
    for el in sorted(set(dis) | set(ordd)):
        err = abs(ordd.get(el, 0) / n_ord - dis.get(el, 0.0) / n_dis)
        if err > MAX_FRACTION_ERROR:
            raise InputError(
                f"{origin}: ordering impossible within tolerance: {el} atom fraction "
                f"off by {100 * err:.2f} points (> {100 * MAX_FRACTION_ERROR:g}) "
                f"({dis.get(el, 0.0):.4g} -> {ordd.get(el, 0)} atoms)"
            )


def _unit_ewald_matrix(sc: Structure, sites: list[int]) -> np.ndarray:
    """Pair energies (eV) of unit point charges on ``sites`` (Ewald, pymatgen),
    with coinciding sites set to a large finite clash energy."""
    from pymatgen.analysis.ewald import EwaldSummation
    from pymatgen.core import Species

    lattice = sc.lattice
    frac = np.array([sc[i].frac_coords for i in sites])
    unit = Structure(lattice, [Species("H", 1)] * len(sites), frac)
    matrix = np.array(EwaldSummation(unit, compute_forces=False).total_energy_matrix)
    matrix = np.where(np.isfinite(matrix), matrix, _CLASH_EV)
    dist = lattice.get_all_distances(frac, frac)
    np.fill_diagonal(dist, np.inf)
    clash = dist < 1e-3
    matrix[clash] = _CLASH_EV
    return np.clip(matrix, -_CLASH_EV, _CLASH_EV)


def _random_assignment(
    groups: list[_Group], rng: np.random.Generator
) -> dict[int, str | None]:
    out: dict[int, str | None] = {}
    for g in groups:
        order = rng.permutation(len(g.members))
        labels: list[str | None] = [
            el for el, n in zip(g.species, g.counts, strict=True) for _ in range(n)
        ]
        labels += [None] * (len(g.members) - len(labels))
        for pos, k in enumerate(order):
            out[g.members[int(k)]] = labels[pos]
    return out


def _relax(
    groups: list[_Group],
    assignment: dict[int, str | None],
    q: np.ndarray,
    matrix: np.ndarray,
    index: dict[int, int],
    q_of: Any,
    rng: np.random.Generator,
) -> tuple[dict[int, str | None], float]:
    """Downhill swaps within groups; returns the assignment and its energy
    (sum_ij q_i M_ij q_j / 2 over all pairs including self terms: pymatgen's
    total_energy_matrix already halves)."""
    v = matrix @ q
    swappable = [g for g in groups if len(set(assignment[i] for i in g.members)) > 1]
    n_partial = sum(len(g.members) for g in swappable)
    for _ in range(SWAPS_PER_SITE * n_partial):
        g = swappable[int(rng.integers(len(swappable)))]
        a, b = (g.members[int(k)] for k in rng.choice(len(g.members), 2, replace=False))
        if assignment[a] == assignment[b]:
            continue
        ia, ib = index[a], index[b]
        qa_new = q_of(assignment[b]) if assignment[b] is not None else 0.0
        qb_new = q_of(assignment[a]) if assignment[a] is not None else 0.0
        da, db = qa_new - q[ia], qb_new - q[ib]
        delta = (
            2 * da * v[ia]
            + 2 * db * v[ib]
            + da * da * matrix[ia, ia]
            + db * db * matrix[ib, ib]
            + 2 * da * db * matrix[ia, ib]
        )
        if delta < -1e-12:
            q[ia], q[ib] = qa_new, qb_new
            v += da * matrix[:, ia] + db * matrix[:, ib]
            assignment[a], assignment[b] = assignment[b], assignment[a]
    return assignment, float(q @ matrix @ q)


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
