"""Ordered supercells of constructed disordered cells with known answers
(ionmd.structures.ordering, docs/disorder.md)."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from ionmd.errors import InputError
from ionmd.structures.ordering import (
    base_material_id,
    make_orderings,
    ordering_material_id,
    plan_ordering,
)


def half_li_cell() -> Structure:
    """Cubic 5 Å: Li at 1/2 on two sites, Cl full (LiCl, neutral). The 10 Å
    supercell is 2x2x2: 16 Li sites, exactly 8 Li, 8 Cl."""
    return Structure(
        Lattice.cubic(5.0),
        [{"Li": 0.5}, {"Li": 0.5}, "Cl"],
        [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0]],
    )


def gep_cell() -> Structure:
    """Cubic 5 Å: Li full, Ge/P half-half on one site, S full (charge not
    assignable: the common states leave +2.5 e per cell)."""
    return Structure(
        Lattice.cubic(5.0),
        ["Li", {"Ge": 0.5, "P": 0.5}, "S"],
        [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0]],
    )


def li_sites(structure: Structure) -> set[tuple]:
    return {
        tuple(np.round(s.frac_coords, 4)) for s in structure if s.species_string == "Li"
    }


def test_half_occupied_li_is_exactly_half_filled_distinct_and_reproducible():
    a = make_orderings(half_li_cell(), n_orderings=4, seed=3, material_id="x")
    b = make_orderings(half_li_cell(), n_orderings=4, seed=3, material_id="x")
    assert len(a) == 4
    for o in a:
        comp = o.structure.composition
        assert comp["Li"] == 8 and comp["Cl"] == 8 and len(o.structure) == 16
        assert o.record["charge_e"] == 0
        assert o.record["rounding"] == {"Cl": 0.0, "Li": 0.0}
        assert list(np.diag(o.scaling)) == [2, 2, 2]
        assert o.record["supercell"] == [2, 2, 2] and o.record["seed"] == 3
    # distinct orderings, lowest Ewald energy first
    assert len({frozenset(li_sites(o.structure)) for o in a}) == 4
    energies = [o.record["energy_above_lowest_eV"] for o in a]
    assert energies == sorted(energies) and energies[0] == 0.0
    # same seed -> the same orderings, atom for atom
    for x, y in zip(a, b, strict=True):
        assert x.structure == y.structure
        assert li_sites(x.structure) == li_sites(y.structure)


def test_widths_satisfy_the_supercell_rule():
    from ionmd.structures.supercell import perpendicular_widths

    for o in make_orderings(half_li_cell(), n_orderings=2, min_cell_length_A=12.0):
        assert perpendicular_widths(o.structure.lattice.matrix).min() >= 12.0 - 1e-9


def test_mixed_ge_p_site_keeps_the_split_on_every_ordering():
    orderings = make_orderings(gep_cell(), n_orderings=3, seed=1, material_id="gep")
    assert len(orderings) == 3
    for o in orderings:
        comp = o.structure.composition
        assert (comp["Ge"], comp["P"], comp["Li"], comp["S"]) == (4, 4, 8, 8)
        assert o.record["charge_e"] is None
        assert o.record["charge_source"].startswith("not assigned")
    ge = [
        frozenset(
            tuple(np.round(s.frac_coords, 4))
            for s in o.structure
            if s.species_string == "Ge"
        )
        for o in orderings
    ]
    assert len(set(ge)) == 3


def test_rounding_beyond_tolerance_is_refused_with_its_numbers():
    # one Li site at 0.3 in a 10 Å cube: the 1x1x1 supercell rounds Li 0.3 -> 0
    # on that site; with 2 full Li the count is 2.3 -> 2 (13 % > 5 %)
    s = Structure(
        Lattice.cubic(10.0),
        ["Li", "Li", {"Li": 0.3}, "Cl", "Cl"],
        [[0, 0, 0], [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], [0.5, 0, 0], [0, 0.5, 0]],
    )
    with pytest.raises(
        InputError, match=r"ordering impossible within tolerance: Li 2.3 -> 2"
    ):
        plan_ordering(s, origin="bad")


def test_charge_is_restored_by_the_cheapest_single_atom_moves():
    from ionmd.structures.ordering import _Group, _neutralize

    charges = {"Li": 1, "Ge": 4, "P": 5, "S": -2}
    # Li vacancies: 8 of 16 Li placed but the framework needs 9 -> one Li added
    li = _Group(members=list(range(16)), species=["Li"], occupancies=[0.55], counts=[8])
    _neutralize([li], charges=charges, fixed_charge=-9)
    assert li.counts == [9]
    # Li-site moves are cheaper (1/8 relative error) than a Ge/P swap (1/4 + 1/4)
    gep = _Group(
        members=list(range(8)), species=["Ge", "P"], occupancies=[0.5, 0.5], counts=[4, 4]
    )
    li = _Group(members=list(range(16)), species=["Li"], occupancies=[0.5], counts=[8])
    _neutralize([li, gep], charges=charges, fixed_charge=-45)
    assert gep.counts == [4, 4] and li.counts == [9]
    # a full Li sublattice: the mixed Ge/P site swaps one Ge for a P (+1 e)
    li = _Group(members=list(range(8)), species=["Li"], occupancies=[0.99], counts=[8])
    _neutralize([li, gep], charges=charges, fixed_charge=-45)
    assert gep.counts == [3, 5] and li.counts == [8]


def test_ordering_ids_round_trip():
    assert ordering_material_id("qa9", 2) == "qa9#o2"
    assert base_material_id("qa9#o2") == ("qa9", 2)
    assert base_material_id("qa9") == ("qa9", None)
    from ionmd.fileformat import system_key

    assert system_key("qa9#o2", 800) == "qa9_o2_800K"
