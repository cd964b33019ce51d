"""Partial occupancies: find them, name them, and (on request) round them.

A site is *fully occupied* when it holds one species with occupancy within
``OCCUPANCY_TOL`` of 1. Anything else (a vacancy fraction, several species on one
site, or an occupancy above 1) is *partial*.

Two deterministic rounding rules; both never move atoms and keep site order
(removed sites are left out), and both emit one ``OccupancyRoundingWarning``
with the composition before and after and what happened to every partial site.

``rule="composition"`` (default; keeps the composition closest):
    Partial sites are grouped by their occupancy (same species and occupancies,
    to 1e-4: in practice one Wyckoff orbit, or several with equal occupancy). A
    group of m sites with occupancies o_k receives T = round(m * sum_k o_k) atoms,
    split between species by largest remainder of m * o_k (ties: symbol). The T
    sites are chosen by farthest-point sampling: each next site is the one
    farthest (periodic distance, to 1e-6 Å) from every atom already placed (the
    fully occupied sites, earlier groups, this group's picks; ties: farthest from
    the partial picks alone, then lowest index), so split positions and
    neighbouring half-occupied sites are not filled together. Species are
    assigned to the picks in pick order, most abundant first. Groups are
    processed by decreasing total occupancy, then by label. Per group the atom
    count is off by at most 1/2 (rounding m * o_k, once per cell: for exact
    stoichiometry round the conventional cell, not a primitive one).
    On the local OBELiX copy (249 partially occupied CIFs of 321) this rule gives
    298 loadable structures; 22 keep no Li (Li occupancies ~0.02 per cell, or no
    Li in the CIF) and 1 (9yt) still has overlapping atoms.

``rule="plurality"`` (per site):
    Candidates are each species with its occupancy and "vacancy" with 1 - sum
    (floored at 0); the largest share wins (a tie keeps the atom, so exactly 0.5
    keeps it; then by symbol). This is the per-site most likely configuration, but
    it loses composition for orbits of low-occupancy sites: Li spread at 1/3 over
    many sites is removed entirely (on the local OBELiX copy, 78 of 249 partially
    occupied entries lose all their Li this way). The obelix package's own
    ``round_partial_occ`` is the same rule except that Python's ``round`` sends
    0.5 to 0, so there a half-occupied site is dropped.

OBELiX ``joc`` (Li3PS4, S at 0.97-0.99) gives Li6P2S8 = Li3PS4 under both rules.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
from pymatgen.core import Composition, Element, Lattice, Species, Structure

from ionmd.errors import InputError

__all__ = [
    "OCCUPANCY_TOL",
    "OccupancyRoundingWarning",
    "RoundingRule",
    "partial_sites",
    "round_partial_occupancies",
    "site_label",
]

#: Occupancies within this of 1 count as full (CIFs often write 0.9999).
OCCUPANCY_TOL = 1e-3


RoundingRule = Literal["composition", "plurality"]


class OccupancyRoundingWarning(UserWarning):
    """Partial occupancies were rounded; the message lists what changed."""


def partial_sites(structure: Structure) -> list[int]:
    """Indices of sites that are not fully occupied by a single species."""
    bad = []
    for i, site in enumerate(structure):
        items = list(site.species.items())
        if len(items) != 1 or abs(items[0][1] - 1.0) > OCCUPANCY_TOL:
            bad.append(i)
    return bad


def site_label(structure: Structure, index: int) -> str:
    """'site 8 (S:0.97 at frac 0.210 0.676 0.884)' for messages."""
    site = structure[index]
    occ = ", ".join(f"{sp}:{occu:.4g}" for sp, occu in site.species.items())
    frac = " ".join(f"{x:.3f}" for x in site.frac_coords)
    return f"site {index} ({occ} at frac {frac})"


def round_partial_occupancies(
    structure: Structure,
    *,
    origin: str = "structure",
    rule: RoundingRule = "composition",
) -> Structure:
    """Return a fully occupied copy, rounded by ``rule`` (module docstring).

    Emits one ``OccupancyRoundingWarning`` with the composition before and after
    and every partial site's fate ("-> Li:1" or "-> removed").
    """
    partial = partial_sites(structure)
    if not partial:
        return structure.copy()
    if rule == "composition":
        decisions = _decide_by_composition(structure, partial)
    elif rule == "plurality":
        decisions = {i: _plurality(structure[i]) for i in partial}
    else:
        raise InputError(f"unknown rounding rule {rule!r} (composition, plurality)")
    out = structure.copy()
    changes = []
    for i in partial:
        species = decisions[i]
        label = site_label(structure, i)
        if species is None:
            changes.append(f"{label} -> removed")
        else:
            site = structure[i]
            out.replace(i, species, coords=site.frac_coords, properties=site.properties)
            changes.append(f"{label} -> {species}:1")
    removed = [i for i in partial if decisions[i] is None]
    if removed:
        out.remove_sites(removed)
    warnings.warn(
        OccupancyRoundingWarning(
            f"{origin}: rounded {len(partial)} partially occupied site(s) by {rule}: "
            f"composition {_formula(structure.composition)} -> {_formula(out.composition)}"
            "; " + "; ".join(changes)
        ),
        stacklevel=3,
    )
    return out


def _plurality(site: object) -> Element | Species | None:
    items = list(site.species.items())  # type: ignore[attr-defined]
    vacancy = max(0.0, 1.0 - sum(occu for _, occu in items))
    best_sp, best_occ = min(items, key=lambda kv: (-kv[1], str(kv[0])))
    return None if vacancy > best_occ else best_sp


def _decide_by_composition(
    structure: Structure, partial: list[int]
) -> dict[int, Element | Species | None]:
    groups: dict[tuple, list[int]] = {}
    for i in partial:
        key = tuple(
            sorted((str(sp), round(occ, 4)) for sp, occ in structure[i].species.items())
        )
        groups.setdefault(key, []).append(i)
    order = sorted(groups, key=lambda k: (-sum(o for _, o in k), k))
    lattice = structure.lattice
    partial_set = set(partial)
    fixed = [
        structure[i].frac_coords for i in range(len(structure)) if i not in partial_set
    ]
    picked: list[np.ndarray] = []
    decisions: dict[int, Element | Species | None] = {}
    for key in order:
        members = groups[key]
        species_occ = list(structure[members[0]].species.items())
        counts = _split_counts(len(members), species_occ)
        frac = np.array([structure[i].frac_coords for i in members])
        picks = [
            members[k] for k in _farthest_points(lattice, frac, fixed, picked, sum(counts))
        ]
        ranked = sorted(
            range(len(species_occ)), key=lambda k: (-counts[k], str(species_occ[k][0]))
        )
        assignment = [species_occ[k][0] for k in ranked for _ in range(counts[k])]
        for i in members:
            decisions[i] = None
        for i, sp in zip(picks, assignment, strict=True):
            decisions[i] = sp
        picked.extend(structure[i].frac_coords for i in picks)
    return decisions


def _split_counts(m: int, species_occ: list) -> list[int]:
    """Integer atoms per species for m sites: total round(m * sum o), largest remainder."""
    expected = [m * float(occ) for _, occ in species_occ]
    total = min(m, int(math.floor(sum(expected) + 0.5)))
    counts = [min(int(math.floor(e)), total) for e in expected]
    while sum(counts) > total:  # only if occupancies sum above 1
        k = max(range(len(counts)), key=lambda k: (counts[k], str(species_occ[k][0])))
        counts[k] -= 1
    order = sorted(
        range(len(expected)),
        key=lambda k: (-(expected[k] - math.floor(expected[k])), str(species_occ[k][0])),
    )
    for k in order[: total - sum(counts)]:
        counts[k] += 1
    return counts


def _farthest_points(
    lattice: Lattice, frac: np.ndarray, fixed: list, picked: list, n_pick: int
) -> list[int]:
    """Greedy farthest-point choice of n_pick rows of frac (m, 3).

    Score of a candidate: its distance to the nearest atom placed so far (fixed
    sites and all partial picks), to 1e-6 Å; ties go to the candidate farthest from
    the partial picks alone, then to the lowest index.
    """
    m = len(frac)
    d_all = np.full(m, np.inf)
    d_picked = np.full(m, np.inf)
    if fixed:
        d_all = lattice.get_all_distances(frac, np.array(fixed)).min(axis=1)
    if picked:
        d_picked = lattice.get_all_distances(frac, np.array(picked)).min(axis=1)
        d_all = np.minimum(d_all, d_picked)
    picks: list[int] = []
    free = np.ones(m, dtype=bool)
    for _ in range(n_pick):
        primary = np.where(free, np.round(np.minimum(d_all, 1e9), 6), -np.inf)
        secondary = np.where(free, np.minimum(d_picked, 1e9), -np.inf)
        # lexsort: last key is primary; ascending, so negate; stable -> lowest index
        k = int(np.lexsort((-secondary, -primary))[0])
        picks.append(k)
        free[k] = False
        d_new = lattice.get_all_distances(frac, frac[k : k + 1])[:, 0]
        d_all = np.minimum(d_all, d_new)
        d_picked = np.minimum(d_picked, d_new)
    return picks


def _formula(composition: Composition) -> str:
    return " ".join(
        f"{el}{amt:.4g}" for el, amt in sorted(composition.element_composition.items())
    )
