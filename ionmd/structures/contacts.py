"""Species-aware shortest distances for the orderings of a disordered structure.

The loader's 0.5 Å overlap limit only catches atoms on top of each other. An
ordering can fill two partial sites that the crystal never fills together, e.g.
two Li of a split 48h pair in an argyrodite 1.6-1.9 Å apart. The limit for the
pair of elements A, B is

    d_min(A, B) = min(CONTACT_FACTOR x (R_A + R_B), shortest A-B distance between
                      fully occupied sites of the same structure - 0.01 Å)

floored at the loader's 0.5 Å, with R the empirical atomic radii of Slater
(pymatgen ``Element.atomic_radius``; 1 Å where pymatgen has none). Li-Li: 1.89 Å,
Li-S 1.59 Å, P-S 1.30 Å, O-O 0.78 Å. The second term means the structure's own
fully occupied contacts are never refused (a CIF that states Li-Li 2.0 Å,
OBELiX fft, allows it for its partial sites too).

Why Slater radii and 0.65: ionic radii do not separate like charges (Li⁺ + Li⁺
is 1.52 Å with Shannon's six-fold radius, so the 1.59 Å pair would pass), and a
bonded contact is shorter than the sum of atomic radii. 0.65 is the largest
round factor below the shortest fully occupied contact, relative to R_A + R_B,
of the OBELiX CIFs (276 with at least two fully occupied sites): the lowest are
0.667 (hcm, Li-La 2.27 Å), 0.692 (fft, Li-Li 2.01 Å), 0.695 (4ea, P-O 1.11 Å);
only two F-O pairs 0.64 Å apart (ckw, yab; not a physical contact) are lower.
"""

from __future__ import annotations

import numpy as np
from pymatgen.core import Element, Structure

from ionmd.errors import InputError

__all__ = ["CONTACT_FACTOR", "check_contacts", "contact_limits", "first_violation"]

CONTACT_FACTOR = 0.65
_FLOOR_A = 0.5
_OWN_SLACK_A = 0.01

Limits = dict[tuple[str, str], float]


def _radius_A(el: str) -> float:
    r = Element(el).atomic_radius
    return float(r) if r is not None else 1.0


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def contact_limits(structure: Structure) -> Limits:
    """d_min (Å) for every pair of elements of ``structure`` (may be disordered);
    see the module docstring."""
    elements = sorted({sp.symbol for site in structure for sp in site.species})
    limits: Limits = {}
    for i, a in enumerate(elements):
        for b in elements[i:]:
            limits[(a, b)] = CONTACT_FACTOR * (_radius_A(a) + _radius_A(b))
    full = [
        k
        for k, site in enumerate(structure)
        if len(site.species) == 1 and abs(next(iter(site.species.values())) - 1) < 1e-3
    ]
    if len(full) > 0:
        reach = max(limits.values())
        sub = Structure.from_sites([structure[k] for k in full])
        for k, nbrs in enumerate(sub.get_all_neighbors(reach)):
            a = sub[k].specie.symbol
            for nbr in nbrs:
                key = _pair(a, nbr.specie.symbol)
                own = float(nbr.nn_distance) - _OWN_SLACK_A
                limits[key] = min(limits[key], own)
    return {k: max(v, _FLOOR_A) for k, v in limits.items()}


def first_violation(
    structure: Structure, limits: Limits
) -> tuple[float, int, int, float] | None:
    """(distance, i, j, limit) of the pair furthest below its limit (by ratio), or
    None if every pair keeps its distance. Periodic (pymatgen neighbours)."""
    if len(structure) == 0:
        return None
    reach = max(limits.values())
    symbols = [site.specie.symbol for site in structure]
    worst: tuple[float, int, int, float] | None = None
    for i, nbrs in enumerate(structure.get_all_neighbors(reach)):
        for nbr in nbrs:
            j = int(nbr.index)
            limit = limits.get(_pair(symbols[i], symbols[j]), _FLOOR_A)
            d = float(nbr.nn_distance)
            if d < limit and (worst is None or d / limit < worst[0] / worst[3]):
                worst = (d, i, j, limit)
    return worst


def describe_violation(structure: Structure, v: tuple[float, int, int, float]) -> str:
    d, i, j, limit = v
    a, b = structure[i].specie.symbol, structure[j].specie.symbol
    return (
        f"{a}-{b} {d:.2f} Å (sites {i} and {j}) is below the {limit:.2f} Å "
        f"{a}-{b} minimum ({CONTACT_FACTOR:g} x atomic radii, or the structure's "
        "own fully occupied contact)"
    )


def check_contacts(structure: Structure, limits: Limits, *, origin: str) -> None:
    """InputError naming the pair if two atoms are closer than their limit."""
    v = first_violation(structure, limits)
    if v is not None:
        raise InputError(f"{origin}: atoms too close for their species: "
                         f"{describe_violation(structure, v)}")  # fmt: skip


def conflict_pairs(
    frac: np.ndarray, lattice: object, symbols: list[list[str]], limits: Limits
) -> dict[int, list[tuple[int, float]]]:
    """For candidate sites (fractional ``frac``, possible elements ``symbols``),
    the pairs closer than the largest limit among their possible elements:
    site -> [(other, distance Å)]."""
    reach = max(limits.values())
    dist = lattice.get_all_distances(frac, frac)  # type: ignore[attr-defined]
    np.fill_diagonal(dist, np.inf)
    out: dict[int, list[tuple[int, float]]] = {}
    for i, j in zip(*np.nonzero(dist < reach), strict=True):
        worst = max(
            limits.get(_pair(a, b), _FLOOR_A) for a in symbols[i] for b in symbols[j]
        )
        if dist[i, j] < worst:
            out.setdefault(int(i), []).append((int(j), float(dist[i, j])))
    return out
