"""Partial occupancies: find them, name them, and (on request) round them.

A site is *fully occupied* when it holds one species with occupancy within
``OCCUPANCY_TOL`` of 1. Anything else (a vacancy fraction, several species on one
site, or an occupancy above 1) is *partial*.

Rounding rule (per site, plurality vote, deterministic):

    The candidates are each species on the site with its occupancy, and "vacancy"
    with 1 - sum(occupancies) (floored at 0). The candidate with the largest share
    wins: a species winner becomes the sole, fully occupied species of the site; a
    vacancy winner removes the site. Ties are broken in favour of keeping an atom
    (so occupancy exactly 0.5 keeps the atom), then by element symbol.

Why this rule: it is the per-site most likely configuration (it minimises the
expected number of wrong sites), it never moves atoms, and it keeps site order.
It keeps the composition exactly whenever occupancies are near 1 (OBELiX ``joc``,
Li3PS4 with S at 0.97-0.99, becomes Li6P2S8 = Li3PS4) and when occupancies are at
or above one half. It does *not* preserve composition for orbits of low-occupancy
sites (e.g. Li spread over many sites at occupancy 1/3 is removed entirely): the
warning prints the composition before and after so that such losses are visible.
The obelix package's own ``round_partial_occ`` uses Python's ``round`` per species,
so a 0.5-occupied site is *dropped* there (banker's rounding) but kept here;
otherwise the two agree for single-species sites.
"""

from __future__ import annotations

import warnings

from pymatgen.core import Composition, Structure

__all__ = [
    "OCCUPANCY_TOL",
    "OccupancyRoundingWarning",
    "partial_sites",
    "round_partial_occupancies",
    "site_label",
]

#: Occupancies within this of 1 count as full (CIFs often write 0.9999).
OCCUPANCY_TOL = 1e-3


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
    structure: Structure, *, origin: str = "structure"
) -> Structure:
    """Return a fully occupied copy by the plurality rule (module docstring).

    Emits one ``OccupancyRoundingWarning`` listing every changed site and the
    composition before and after. Surviving sites keep their order; removed sites
    are simply left out.
    """
    before = structure.composition
    out = structure.copy()
    changes: list[str] = []
    to_remove: list[int] = []
    for i, site in enumerate(structure):
        items = list(site.species.items())
        if len(items) == 1 and abs(items[0][1] - 1.0) <= OCCUPANCY_TOL:
            continue
        total = sum(occu for _, occu in items)
        vacancy = max(0.0, 1.0 - total)
        # Sort: larger share first; an atom beats a vacancy on a tie; then symbol.
        best_sp, best_occ = min(items, key=lambda kv: (-kv[1], str(kv[0])))
        label = site_label(structure, i)
        if vacancy > best_occ:
            to_remove.append(i)
            changes.append(f"{label} -> removed")
        else:
            out.replace(i, best_sp, coords=site.frac_coords, properties=site.properties)
            changes.append(f"{label} -> {best_sp}:1")
    if to_remove:
        out.remove_sites(to_remove)
    if changes:
        after = out.composition
        warnings.warn(
            OccupancyRoundingWarning(
                f"{origin}: rounded {len(changes)} partially occupied site(s) by "
                f"plurality: composition {_formula(before)} -> {_formula(after)}; "
                + "; ".join(changes)
            ),
            stacklevel=3,
        )
    return out


def _formula(composition: Composition) -> str:
    return " ".join(
        f"{el}{amt:.4g}" for el, amt in sorted(composition.element_composition.items())
    )
