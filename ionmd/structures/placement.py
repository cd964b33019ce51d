"""Placing atoms on the partial sites of an ordering plan (Ewald energy of point
charges, with a penalty for atoms closer than their species allow).

One :class:`Sampler` per material: the Ewald matrix of unit charges on every
candidate site (pymatgen ``EwaldSummation``, once), and the candidate pairs
closer than a species limit (:mod:`ionmd.structures.contacts`). A placement is
a random start that avoids such pairs where the group has room (sites of each
group visited in random order, a site skipped while it would make a too-close
pair, filled at the end only if the group runs out of sites), relaxed by
downhill swaps (an occupied and an empty site, or two species, of one group)
on E_Ewald + ``CONTACT_PENALTY_EV`` x (pairs too close); then every atom still
in a too-close pair is moved to the empty site of its group that lowers that
objective most. A swap costs O(N) (the potential vector is updated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pymatgen.core import Structure

from ionmd.structures.contacts import Limits, conflict_pairs

__all__ = ["CONTACT_PENALTY_EV", "SWAPS_PER_SITE", "Sampler"]

#: random downhill-swap attempts per partial site and start
SWAPS_PER_SITE = 8
#: objective penalty per pair of atoms closer than their species' limit, eV
#: (larger than any Ewald gain of one swap: the Coulomb energy of two unit
#: charges 1 Å apart is 14.4 eV)
CONTACT_PENALTY_EV = 1000.0
#: pair energies of coinciding sites (Ewald infinite) are set to this, eV
_CLASH_EV = 1e4


def unit_ewald_matrix(sc: Structure, sites: list[int]) -> np.ndarray:
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
    matrix[dist < 1e-3] = _CLASH_EV
    return np.clip(matrix, -_CLASH_EV, _CLASH_EV)


@dataclass(kw_only=True)
class Sampler:
    """Everything a placement needs about one plan (built once per material)."""

    groups: list[Any]  # ordering._Group
    fixed_symbol: dict[int, str]  # fixed supercell site -> element
    index: dict[int, int]  # supercell site -> row of the matrices
    matrix: np.ndarray
    q_fixed: np.ndarray
    charges: dict[str, int] | None
    conflicts: dict[int, list[tuple[int, float]]]  # row -> [(row, distance Å)]
    limits: Limits
    rows: list[int]  # row -> supercell site

    @classmethod
    def build(cls, plan: Any, *, limits: Limits, symbol: Any) -> Sampler:
        sc = plan.supercell
        candidates = plan.fixed + [i for g in plan.groups for i in g.members]
        index = {site: k for k, site in enumerate(candidates)}
        fixed_symbol = {i: symbol(next(iter(sc[i].species))) for i in plan.fixed}
        q_fixed = np.zeros(len(candidates))
        if plan.charges is not None:
            for i, el in fixed_symbol.items():
                q_fixed[index[i]] = plan.charges[el]
        possible = [[fixed_symbol[i]] for i in plan.fixed]
        possible += [list(g.species) for g in plan.groups for _ in g.members]
        frac = np.array([sc[i].frac_coords for i in candidates])
        return cls(
            groups=plan.groups,
            fixed_symbol=fixed_symbol,
            index=index,
            matrix=unit_ewald_matrix(sc, candidates),
            q_fixed=q_fixed,
            charges=plan.charges,
            conflicts=conflict_pairs(frac, sc.lattice, possible, limits),
            limits=limits,
            rows=candidates,
        )

    def q_of(self, el: str | None) -> float:
        if el is None:
            return 0.0
        return float(self.charges[el]) if self.charges is not None else 1.0

    def _species(self, site: int, assignment: dict[int, str | None]) -> str | None:
        return self.fixed_symbol.get(site) or assignment.get(site)

    def violations_at(self, site: int, assignment: dict[int, str | None]) -> int:
        """Too-close pairs that ``site``'s atom (as assigned) takes part in."""
        el = self._species(site, assignment)
        if el is None:
            return 0
        n = 0
        for row, d in self.conflicts.get(self.index[site], ()):
            other = self._species(self.rows[row], assignment)
            if other is not None:
                key = (el, other) if el <= other else (other, el)
                n += d < self.limits.get(key, 0.5)
        return n

    def random_assignment(self, rng: np.random.Generator) -> dict[int, str | None]:
        """Each group's atoms on its sites in random order, skipping a site while
        its atom would be too close to one already placed (fixed atoms and earlier
        picks), filled at the end if the group has no room left."""
        out: dict[int, str | None] = {}
        for g in self.groups:
            order = [g.members[int(k)] for k in rng.permutation(len(g.members))]
            pairs = zip(g.species, g.counts, strict=True)
            labels = [el for el, n in pairs for _ in range(n)]
            skipped: list[int] = []
            for site in order:
                out[site] = labels[0] if labels else None
                if labels and self.violations_at(site, out):
                    out[site] = None
                    skipped.append(site)
                    continue
                if labels:
                    labels.pop(0)
            for site in skipped:  # no room left without a close pair
                out[site] = labels.pop(0) if labels else None
        return out

    def fingerprint(self, assignment: dict[int, str | None]) -> float:
        """Ewald energy with a distinct weight per element (1 + Z/100; vacancy 0):
        equal for configurations that are copies under the crystal's symmetry,
        and unlike the real charges it separates species of equal charge (Ge/P
        with unassigned states). Used to send only likely copies to
        StructureMatcher."""
        from pymatgen.core import Element

        w = np.zeros(len(self.rows))
        for row, site in enumerate(self.rows):
            el = self._species(site, assignment)
            if el is not None:
                w[row] = 1.0 + Element(el).Z / 100.0
        return float(w @ self.matrix @ w)

    def charges_of(self, assignment: dict[int, str | None]) -> np.ndarray:
        q = self.q_fixed.copy()
        for site, el in assignment.items():
            q[self.index[site]] = self.q_of(el)
        return q

    def relax(
        self, assignment: dict[int, str | None], rng: np.random.Generator
    ) -> tuple[dict[int, str | None], float, int]:
        """Random downhill swaps, then the contact repair (module docstring);
        returns the assignment, its Ewald energy (eV; sum_ij q_i M_ij q_j over
        all pairs and self terms: pymatgen's total_energy_matrix already halves)
        and its number of too-close pairs."""
        q = self.charges_of(assignment)
        v = self.matrix @ q
        swappable = [g for g in self.groups if len({assignment[i] for i in g.members}) > 1]
        n_partial = sum(len(g.members) for g in swappable)
        for _ in range(SWAPS_PER_SITE * n_partial):
            g = swappable[int(rng.integers(len(swappable)))]
            a, b = (g.members[int(k)] for k in rng.choice(len(g.members), 2, replace=False))
            if assignment[a] != assignment[b]:
                self._try_swap(a, b, assignment, q, v)
        for g in swappable:
            self._repair(g, assignment, q, v)
        return assignment, float(q @ self.matrix @ q), self.count_pairs(assignment)

    def count_pairs(self, assignment: dict[int, str | None]) -> int:
        """Too-close pairs of the whole configuration (each pair once)."""
        total = 0
        for site in list(assignment) + list(self.fixed_symbol):
            total += self.violations_at(site, assignment)
        return total // 2

    def _swap_delta(self, a: int, b: int, assignment: dict, q: np.ndarray, v: np.ndarray):
        ia, ib = self.index[a], self.index[b]
        da = self.q_of(assignment[b]) - q[ia]
        db = self.q_of(assignment[a]) - q[ib]
        m = self.matrix
        de = (
            2 * da * v[ia]
            + 2 * db * v[ib]
            + da * da * m[ia, ia]
            + db * db * m[ib, ib]
            + 2 * da * db * m[ia, ib]
        )
        before = self.violations_at(a, assignment) + self.violations_at(b, assignment)
        assignment[a], assignment[b] = assignment[b], assignment[a]
        after = self.violations_at(a, assignment) + self.violations_at(b, assignment)
        assignment[a], assignment[b] = assignment[b], assignment[a]
        return de + CONTACT_PENALTY_EV * (after - before), da, db

    def _try_swap(self, a: int, b: int, assignment: dict, q: np.ndarray, v: np.ndarray):
        delta, da, db = self._swap_delta(a, b, assignment, q, v)
        if delta < -1e-12:
            self._apply(a, b, da, db, assignment, q, v)
            return True
        return False

    def _apply(
        self,
        a: int,
        b: int,
        da: float,
        db: float,
        assignment: dict[int, str | None],
        q: np.ndarray,
        v: np.ndarray,
    ) -> None:
        ia, ib = self.index[a], self.index[b]
        q[ia] += da
        q[ib] += db
        v += da * self.matrix[:, ia] + db * self.matrix[:, ib]
        assignment[a], assignment[b] = assignment[b], assignment[a]

    def _repair(self, g: Any, assignment: dict, q: np.ndarray, v: np.ndarray) -> None:
        """Move each atom of ``g`` still in a too-close pair to the site of ``g``
        (holding something else) that lowers the objective most."""
        for a in list(g.members):
            if assignment[a] is None or not self.violations_at(a, assignment):
                continue
            best = None
            for b in g.members:
                if assignment[b] == assignment[a]:
                    continue
                delta, da, db = self._swap_delta(a, b, assignment, q, v)
                if delta < -1e-12 and (best is None or delta < best[0]):
                    best = (delta, b, da, db)
            if best is not None:
                self._apply(a, best[1], best[2], best[3], assignment, q, v)
