"""Oxidation states for the charge-neutral orderings of a disordered structure.

Tried in order, the first that applies is used and recorded as ``charge_source``:

1. **The CIF's** (species written with charges, e.g. ``Li+``), when every element has one.
2. **Common states** (:data:`OXIDATION_STATES`: Li⁺, P⁵⁺, Ge⁴⁺, S²⁻, O²⁻, N³⁻,
   halides, ...) when the disordered cell is neutral with them to
   :data:`MAX_DISORDERED_CHARGE_PER_ATOM` e per atom.
3. **Plausible alternatives**: every assignment that changes the states of at
   most :data:`MAX_CHANGED_ELEMENTS` elements to another of pymatgen's common or
   ICSD states of the same sign (``Element.common_oxidation_states``,
   ``Element.icsd_oxidation_states``; an element outside the table may take any of
   them), fewest changes first, then the smallest change of charge; the first
   that makes the disordered cell neutral to the same tolerance. E.g. Li₇BiO₆
   (OBELiX jqc): the common Bi³⁺ leaves −2 e per formula unit, Bi⁵⁺ is neutral.
   pymatgen's own ``Composition.oxi_state_guesses`` needs integer amounts (a
   disordered cell has Li₂₄.₄...), and is exponential in the atom count, so the
   same search is done here over one state per element.

Mixed valence (one element in two states) is not assigned; the record says
"not assigned (...)" with the charge the common states leave.
"""

from __future__ import annotations

import itertools

from pymatgen.core import Element, Structure

__all__ = [
    "MAX_CHANGED_ELEMENTS",
    "MAX_DISORDERED_CHARGE_PER_ATOM",
    "OXIDATION_STATES",
    "assign_oxidation_states",
]

#: |charge| per atom of the disordered cell above which an assignment is taken
#: not to apply (mixed valence, polyanions it does not know)
MAX_DISORDERED_CHARGE_PER_ATOM = 0.02
#: at most this many elements may leave their common state (step 3)
MAX_CHANGED_ELEMENTS = 2
#: Common oxidation states in Li solid electrolytes (step 2).
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


def assign_oxidation_states(
    structure: Structure, *, disordered: dict[str, float]
) -> tuple[dict[str, int] | None, str]:
    """(element -> oxidation state, where they came from), or (None, why not).

    ``disordered``: element -> atoms of the disordered cell (occupancies summed).
    See the module docstring for the order of the attempts.
    """
    from_cif = _from_cif(structure)
    if from_cif and set(from_cif) >= set(disordered):
        return from_cif, "the CIF"
    n_atoms = sum(disordered.values())
    limit = MAX_DISORDERED_CHARGE_PER_ATOM * n_atoms
    if set(disordered) <= set(OXIDATION_STATES):
        table = {el: OXIDATION_STATES[el] for el in disordered}
        total = _charge(table, disordered)
        if abs(total) <= limit:
            return table, "common oxidation states"
        why = f"common oxidation states leave {total:+.2f} e on the disordered cell"
    else:
        missing = sorted(set(disordered) - set(OXIDATION_STATES))
        why = f"no common oxidation state for {', '.join(missing)}"
    guess = _alternative_states(disordered, limit=limit)
    if guess is not None:
        changed = [
            f"{el}{q:+d}" for el, q in guess.items() if OXIDATION_STATES.get(el) != q
        ]
        return guess, (
            f"plausible oxidation states ({', '.join(changed)}; pymatgen common/ICSD "
            f"states; {why})"
        )
    return None, f"not assigned ({why}; no plausible assignment is neutral)"


def _charge(states: dict[str, int], counts: dict[str, float]) -> float:
    return sum(states[el] * n for el, n in counts.items())


def _from_cif(structure: Structure) -> dict[str, int]:
    out: dict[str, int] = {}
    for site in structure:
        for sp in site.species:
            oxi = getattr(sp, "oxi_state", None)
            if oxi is None:
                return {}
            out[str(sp.symbol)] = int(round(oxi))
    return out


def _candidates(el: str) -> list[int]:
    """The element's states, its common one (the table's) first; alternatives of
    the same sign (any sign for an element outside the table)."""
    element = Element(el)
    pool = list(element.common_oxidation_states) + list(element.icsd_oxidation_states)
    first = OXIDATION_STATES.get(el)
    out = [first] if first is not None else []
    for q in pool:
        if q == 0 or q in out:
            continue
        if first is not None and (q > 0) != (first > 0):
            continue
        out.append(int(q))
    return out


def _alternative_states(counts: dict[str, float], *, limit: float) -> dict[str, int] | None:
    """The neutral assignment with the fewest elements off their common state
    (at most MAX_CHANGED_ELEMENTS), then the smallest |change| x count."""
    elements = sorted(counts)
    options = {el: _candidates(el) for el in elements}
    if any(not v for v in options.values()):
        return None
    base = {el: options[el][0] for el in elements}
    fixed_first = [el for el in elements if el in OXIDATION_STATES]
    best: tuple[float, dict[str, int]] | None = None
    for n_changed in range(0, MAX_CHANGED_ELEMENTS + 1):
        for changed in itertools.combinations(fixed_first, n_changed):
            free = [el for el in elements if el not in fixed_first]
            for states in _products(changed + tuple(free), options):
                trial = base | states
                if abs(_charge(trial, counts)) > limit:
                    continue
                cost = sum(abs(trial[el] - base[el]) * counts[el] for el in changed)
                if best is None or cost < best[0]:
                    best = (cost, trial)
        if best is not None:
            return best[1]
    return None


def _products(elements: tuple[str, ...], options: dict[str, list[int]]):
    """Every combination of states of ``elements`` other than their first (for
    changed elements) or any (for elements outside the table)."""
    choices = []
    for el in elements:
        alts = options[el][1:] if el in OXIDATION_STATES else options[el]
        choices.append([(el, q) for q in alts])
    for combo in itertools.product(*choices):
        yield dict(combo)
