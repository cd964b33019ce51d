"""load_structure: formats, clear one-line errors, occupancy refusal and rounding."""

import itertools
import math
import warnings

import numpy as np
import pytest
from ase import Atoms
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter
from pymatgen.io.vasp import Poscar

from ionmd.errors import InputError
from ionmd.structures import (
    OccupancyRoundingWarning,
    alpha_li3n,
    check_mobile_species,
    load_structure,
)

# A cubic cell written by hand: Li at the origin, S at the centre with occupancy
# given per test, and a fully occupied P.
CIF_TEMPLATE = """data_test
_cell_length_a 6.0
_cell_length_b 6.0
_cell_length_c 6.0
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
_symmetry_equiv_pos_as_xyz
 'x, y, z'
loop_
_atom_site_type_symbol
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
 Li Li1 0.0 0.0 0.0 1.0
 P P1 0.25 0.25 0.25 1.0
 S S1 0.5 0.5 0.5 {occ}
"""


def _same_sites(a: Structure, b: Structure) -> bool:
    if len(a) != len(b) or [s.species_string for s in a] != [s.species_string for s in b]:
        return False
    d = [
        a.lattice.get_distance_and_image(x, y)[0]
        for x, y in zip(a.frac_coords, b.frac_coords, strict=True)
    ]
    return max(d) < 1e-4


def test_cif_and_poscar_round_trip(tmp_path):
    ref = alpha_li3n()
    cif = tmp_path / "li3n.cif"
    CifWriter(ref).write_file(cif)
    poscar = tmp_path / "CONTCAR"  # recognised by name, no extension
    Poscar(ref).write_file(poscar)
    sniffed = tmp_path / "li3n.txt"  # recognised by content
    sniffed.write_text(cif.read_text())
    for path in (cif, poscar, sniffed, str(cif)):
        got = load_structure(path)
        assert got.composition.reduced_formula == "Li3N"
        assert np.allclose(got.lattice.abc, ref.lattice.abc, atol=1e-5)
        assert len(got) == len(ref)


def test_objects_pymatgen_and_ase_are_copied():
    ref = alpha_li3n()
    got = load_structure(ref)
    assert _same_sites(got, ref) and got is not ref
    atoms = Atoms(
        symbols=[s.specie.symbol for s in ref],
        scaled_positions=ref.frac_coords,
        cell=ref.lattice.matrix,
        pbc=True,
    )
    assert _same_sites(load_structure(atoms), ref)


def test_ase_without_cell_refused():
    with pytest.raises(InputError, match="periodic"):
        load_structure(Atoms("Li2", positions=[[0, 0, 0], [2, 0, 0]]))


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.cif"
    with pytest.raises(InputError, match="not found") as err:
        load_structure(missing)
    assert str(missing) in str(err.value)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bad.cif", "data_x\n_cell_length_a 3\nthis is not a cif\n"),
        ("bad.cif", ""),
        ("POSCAR", "Li\n1.0\n3 0 0\n0 three 0\n"),
        ("POSCAR_trunc", "Li\n1.0\n3 0 0\n0 3 0\n0 0 3\nLi\n4\nDirect\n0 0 0\n"),
    ],
)
def test_malformed_files_give_one_line_input_error(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_structure(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "\n" not in msg


def test_partial_occupancy_refused_naming_the_site(tmp_path):
    path = tmp_path / "partial.cif"
    path.write_text(CIF_TEMPLATE.format(occ="0.4"))
    with pytest.raises(InputError) as err:
        load_structure(path)
    msg = str(err.value)
    assert "site 2" in msg and "S:0.4" in msg and str(path) in msg
    assert "round_occupancies=True" in msg


def test_rounding_drops_minority_site_and_says_so(tmp_path):
    path = tmp_path / "partial.cif"
    path.write_text(CIF_TEMPLATE.format(occ="0.4"))
    with pytest.warns(OccupancyRoundingWarning) as rec:
        got = load_structure(path, round_occupancies=True)
    assert [s.species_string for s in got] == ["Li", "P"]
    text = str(rec[0].message)
    assert "site 2 (S:0.4" in text and "removed" in text
    assert "Li1 P1 S0.4 -> Li1 P1" in text


@pytest.mark.parametrize("occ", ["0.5", "0.97"])
def test_rounding_keeps_half_or_more(tmp_path, occ):
    path = tmp_path / "partial.cif"
    path.write_text(CIF_TEMPLATE.format(occ=occ))
    with pytest.warns(OccupancyRoundingWarning, match="-> S:1"):
        got = load_structure(path, round_occupancies=True)
    assert got.composition.as_dict() == {"Li": 1.0, "P": 1.0, "S": 1.0}
    assert got.is_ordered


def test_mixed_site_takes_the_plurality_species():
    lattice = Lattice.cubic(6.0)
    s = Structure(lattice, ["Li", {"S": 0.3, "Se": 0.6}], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(InputError, match="site 1"):
        load_structure(s)
    with pytest.warns(OccupancyRoundingWarning):
        got = load_structure(s, round_occupancies=True)
    assert [x.species_string for x in got] == ["Li", "Se"]


def test_full_occupancy_within_tolerance_is_silent(tmp_path):
    path = tmp_path / "almost.cif"
    path.write_text(CIF_TEMPLATE.format(occ="0.9999"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", OccupancyRoundingWarning)
        got = load_structure(path)
    assert got.is_ordered and got.composition["S"] == 1.0


def test_overlapping_atoms_refused_naming_the_pair():
    lattice = Lattice.cubic(5.0)
    s = Structure(
        lattice, ["Li", "N", "Li"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.56]]
    )
    with pytest.raises(InputError) as err:
        load_structure(s)
    msg = str(err.value)
    assert "overlapping" in msg and "0.300" in msg
    assert "site 1 (N)" in msg and "site 2 (Li)" in msg


def test_overlap_across_the_periodic_boundary():
    lattice = Lattice.cubic(5.0)
    s = Structure(lattice, ["Li", "Li"], [[0.01, 0, 0], [0.99, 0, 0]])  # 0.1 Å apart
    with pytest.raises(InputError, match="0.100 Å"):
        load_structure(s)
    assert len(load_structure(s, min_distance_A=0.05)) == 2


def test_structure_without_li_refused():
    nacl = Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(InputError, match="contains no Li"):
        load_structure(nacl)
    assert len(load_structure(nacl, mobile_species=None)) == 2
    assert check_mobile_species(nacl, mobile_species="Na") == 1
    with pytest.raises(InputError, match="unknown mobile species"):
        check_mobile_species(nacl, mobile_species="Xx")


def test_obelix_joc_refused_then_rounded_like_the_obelix_package(obelix_cif_dir):
    from obelix.utils import round_partial_occ

    path = obelix_cif_dir / "joc.cif"
    with pytest.raises(InputError, match=r"joc\.cif has 8 partially occupied"):
        load_structure(path)
    with pytest.warns(OccupancyRoundingWarning, match="S7.82 -> Li6 P2 S8"):
        got = load_structure(path, round_occupancies=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = round_partial_occ(Structure.from_file(path))
    assert got.composition == theirs.composition
    assert got.composition.reduced_formula == "Li3PS4"


def _count(structure: Structure, symbol: str) -> int:
    return sum(1 for site in structure if site.species_string == symbol)


def test_composition_rule_keeps_li_count_where_plurality_loses_it():
    # 6 Li sites at occupancy 1/3 (2 Li expected) around a fully occupied N
    lattice = Lattice.cubic(8.0)
    li_sites = [
        [0.25, 0, 0],
        [0.75, 0, 0],
        [0, 0.25, 0],
        [0, 0.75, 0],
        [0, 0, 0.25],
        [0, 0, 0.75],
    ]
    s = Structure(lattice, ["N"] + [{"Li": 1 / 3}] * 6, [[0.5, 0.5, 0.5], *li_sites])
    with pytest.warns(OccupancyRoundingWarning, match="by composition"):
        got = load_structure(s, round_occupancies=True)
    assert _count(got, "Li") == round(6 / 3) and _count(got, "N") == 1
    with pytest.warns(OccupancyRoundingWarning, match="by plurality"):
        with pytest.raises(InputError, match="contains no Li"):
            load_structure(s, round_occupancies=True, rounding_rule="plurality")


def test_composition_rule_fills_one_of_a_split_pair():
    # Li split over two positions 0.36 Å apart, each half occupied: one Li, no overlap
    lattice = Lattice.cubic(6.0)
    s = Structure(
        lattice,
        ["N", {"Li": 0.5}, {"Li": 0.5}],
        [[0, 0, 0], [0.5, 0.5, 0.47], [0.5, 0.5, 0.53]],
    )
    with pytest.warns(OccupancyRoundingWarning):
        got = load_structure(s, round_occupancies=True)
    assert _count(got, "Li") == 1
    with pytest.warns(OccupancyRoundingWarning):
        with pytest.raises(InputError, match="overlapping"):
            load_structure(s, round_occupancies=True, rounding_rule="plurality")


def test_composition_rule_picks_far_apart_sites_and_splits_mixed_sites():
    # 8 sites of a cube (4 Å edges) at occupancy 1/2 around a fixed Li at the
    # origin, equidistant (3.46 Å) from all 8: 4 kept; the first two picks are the
    # farthest pair of the cube (a body diagonal, 6.93 Å), not neighbours.
    lattice = Lattice.cubic(8.0)
    corners = [list(t) for t in itertools.product([0.25, 0.75], repeat=3)]
    s = Structure(lattice, ["Li"] + [{"Li": 0.5}] * 8, [[0, 0, 0], *corners])
    with pytest.warns(OccupancyRoundingWarning):
        got = load_structure(s, round_occupancies=True)
    assert _count(got, "Li") == 1 + 4
    kept = np.array([x.frac_coords for x in got][1:])
    d = lattice.get_all_distances(kept, kept)
    # lowest-index ties alone would keep one face of the cube (max 5.66 Å)
    assert d.max() == pytest.approx(4.0 * math.sqrt(3), abs=1e-6)
    # mixed S/Se at 1/2 each on 2 sites: one of each
    mixed = Structure(
        Lattice.cubic(6.0),
        ["Li", {"S": 0.5, "Se": 0.5}, {"S": 0.5, "Se": 0.5}],
        [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0]],
    )
    with pytest.warns(OccupancyRoundingWarning):
        got = load_structure(mixed, round_occupancies=True)
    assert _count(got, "S") == 1 and _count(got, "Se") == 1


def test_unknown_rounding_rule():
    s = Structure(Lattice.cubic(6.0), ["Li", {"S": 0.5}], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(InputError, match="unknown rounding rule"):
        load_structure(s, round_occupancies=True, rounding_rule="nearest")


# Li3PS4 with its Li spread over four sites at 0.7, 0.7, 0.7, 0.3 (2.4 Li) and a
# Ge/P mixed site; ase.io.read makes every site one atom ("Li4...") and keeps the
# occupancies only in info["occupancy"].
PARTIAL_CIF = (
    CIF_TEMPLATE.split("loop_\n_atom_site_type_symbol")[0]
    + """loop_
_atom_site_type_symbol
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
 Li Li1 0.0 0.0 0.0 0.7
 Li Li2 0.5 0.5 0.0 0.7
 Li Li3 0.5 0.0 0.5 0.7
 Li Li4 0.0 0.5 0.5 {occ4}
 P P1 0.5 0.5 0.5 0.5
 Ge Ge1 0.5 0.5 0.5 0.5
 S S1 0.25 0.75 0.75 1.0
 S S2 0.75 0.25 0.75 1.0
 S S3 0.75 0.75 0.25 1.0
 S S4 0.25 0.25 0.75 1.0
"""
)


def test_ase_read_partial_cif_takes_the_same_occupancy_road_as_the_path(tmp_path):
    import ase.io

    from ionmd.api import _material_items

    path = tmp_path / "li3ps4.cif"
    path.write_text(PARTIAL_CIF.format(occ4="0.3"))
    atoms = ase.io.read(path)
    assert atoms.get_chemical_formula() == "GeLi4S4"  # what the old loader ran
    from_path = load_structure(path, allow_partial=True)
    from_ase = load_structure(atoms, allow_partial=True)
    expected = {"Li": 2.4, "P": 0.5, "Ge": 0.5, "S": 4.0}
    for s in (from_path, from_ase):
        comp = s.composition.element_composition
        assert {el.symbol: round(n, 6) for el, n in comp.items()} == expected
    # refused like the CIF path (occupancy = "refuse"), not run as Li4GeS4
    with pytest.raises(InputError, match=r"ase.Atoms has 5 partially occupied"):
        load_structure(atoms)
    # ionmd.run writes it to OUT/inputs as a partially occupied CIF
    (written,) = _material_items({"li3ps4": atoms}, out=tmp_path / "out")
    assert written.endswith("li3ps4.cif")
    again = load_structure(written, allow_partial=True).composition.element_composition
    assert {el.symbol: round(n, 6) for el, n in again.items()} == expected
    # and so is a pymatgen Structure with partial species
    (written,) = _material_items({"pmg": from_path}, out=tmp_path / "out")
    assert written.endswith("pmg.cif")
    with pytest.raises(InputError, match=r"partially occupied"):
        load_structure(written)


def test_negative_occupancy_is_refused_in_one_line(tmp_path):
    path = tmp_path / "neg.cif"
    path.write_text(PARTIAL_CIF.format(occ4="-0.3"))
    with pytest.raises(InputError, match=r"site Li4 has occupancy -0.3") as info:
        load_structure(path, allow_partial=True)
    assert "\n" not in str(info.value)
    import ase.io

    atoms = ase.io.read(path)
    with pytest.raises(InputError, match=r"occupancy -0.3"):
        load_structure(atoms, allow_partial=True)
