"""alpha-Li3N built in code against symmetry analysis and its known density."""

import numpy as np
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from ionmd.structures import alpha_li3n, load_structure

#: Li3N density from its formula weight and cell (3 × 6.94 + 14.007 g/mol over
#: Z = 1 in a 3.648 × 3.875 Å hexagonal cell) ≈ 1.295 g/cm³; literature ~1.27-1.30.
EXPECTED_DENSITY_G_CM3 = 1.29


def test_alpha_li3n_symmetry_and_composition():
    s = alpha_li3n()
    sga = SpacegroupAnalyzer(s, symprec=1e-3)
    assert sga.get_space_group_number() == 191
    assert sga.get_space_group_symbol() == "P6/mmm"
    assert s.composition.reduced_formula == "Li3N"
    assert len(s) == 4
    assert np.allclose(s.lattice.abc, [3.648, 3.648, 3.875])
    assert np.isclose(s.lattice.gamma, 120.0)


def test_alpha_li3n_density():
    assert abs(float(alpha_li3n().density) - EXPECTED_DENSITY_G_CM3) < 0.01


def test_alpha_li3n_passes_checks_and_nearest_li_n():
    s = load_structure(alpha_li3n())
    # Li(1)-N along c is c/2; Li(2)-N in the plane is a/sqrt(3)
    d = s.distance_matrix
    assert np.isclose(d[0, 3], 3.875 / 2)
    assert np.isclose(d[0, 1], 3.648 / np.sqrt(3))


def test_alpha_li3n_atoms_is_the_pymatgen_supercell():
    """The ASE-only builder (for the GPU machine, no pymatgen) gives the same
    supercell as alpha_li3n + min_length_supercell: cell, counts and sites."""
    import numpy as np

    from ionmd.structures import min_length_supercell
    from ionmd.structures.builders import alpha_li3n_atoms

    for length in (6.0, 10.0, 14.0):
        atoms = alpha_li3n_atoms(min_cell_length_A=length)
        sc, matrix = min_length_supercell(alpha_li3n(), min_cell_length_A=length)
        np.testing.assert_allclose(atoms.cell[:], sc.lattice.matrix, atol=1e-12)
        assert len(atoms) == len(sc)

        def key(symbols, frac):
            frac = np.round(np.mod(frac, 1.0), 6) % 1.0
            return sorted(zip(symbols, map(tuple, frac), strict=True))

        assert key(atoms.get_chemical_symbols(), atoms.get_scaled_positions()) == key(
            [s.symbol for s in sc.species], sc.frac_coords
        )


def test_li6ps5cl_is_f43m_with_the_published_wyckoff_sites():
    """spglib (through pymatgen), not the builder's own orbit code, finds F-43m
    and the argyrodite's sites: P 4b, S 16e + 4c, Cl 4a, Li 24g (the midpoints of
    the 48h doublets)."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ionmd.structures.builders import li6ps5cl_atoms

    s = AseAtomsAdaptor.get_structure(li6ps5cl_atoms())
    sga = SpacegroupAnalyzer(s, symprec=1e-3)
    assert sga.get_space_group_number() == 216
    wyckoffs = sga.get_symmetry_dataset().wyckoffs
    sites = sorted(set(zip([str(x) for x in s.species], wyckoffs, strict=True)))
    assert sites == [("Cl", "a"), ("Li", "g"), ("P", "b"), ("S", "c"), ("S", "e")]
    assert s.composition.reduced_formula == "Li6PS5Cl" and len(s) == 52


def test_li6ps5cl_distances_are_sane():
    """PS4 tetrahedra with P-S ≈ 2.05 Å (the known bond), Li-Li >= 1.8 Å, Li-S
    in the sulfides' 2.2-2.6 Å, nothing closer than 2 Å."""
    from ionmd.structures.builders import li6ps5cl_atoms

    atoms = li6ps5cl_atoms()
    d = atoms.get_all_distances(mic=True)
    np.fill_diagonal(d, np.inf)
    sym = np.array(atoms.get_chemical_symbols())
    assert d.min() > 2.0
    p, s, li = sym == "P", sym == "S", sym == "Li"
    ps = d[np.ix_(p, s)]
    assert np.all((ps < 2.2).sum(axis=1) == 4)
    assert np.allclose(ps[ps < 2.2], 2.05, atol=0.03)
    assert d[np.ix_(li, li)].min() >= 1.8
    assert (
        2.2 < d[np.ix_(li, s)].min(axis=1).min()
        and d[np.ix_(li, s)].min(axis=1).max() < 2.6
    )


def test_li6ps5cl_supercell_and_anion_exchange():
    """The 10 Å rule gives 2 × 2 × 2 cells, the composition of the AIMD reference
    (Li192 P32 S160 Cl32); anion_exchange moves that fraction of Cl to 4c."""
    from ionmd.structures.builders import LI6PS5CL_A_A, li6ps5cl_atoms

    ordered = li6ps5cl_atoms(min_cell_length_A=10.0)
    mixed = li6ps5cl_atoms(min_cell_length_A=10.0, anion_exchange=0.5, seed=3)
    for atoms in (ordered, mixed):
        assert atoms.get_chemical_formula() == "Cl32Li192P32S160"
        assert np.allclose(atoms.cell.lengths(), 2 * LI6PS5CL_A_A)

    def cl_on_4c(atoms):
        frac = atoms.get_scaled_positions()[atoms.numbers == 17] * 2  # unit-cell frac
        # 4c = (1/4, 1/4, 1/4) + the fcc lattice: 4 x the offset has integer, all-odd parts
        q = np.rint(4 * np.mod(frac, 1.0)).astype(int) % 4
        return int(np.sum(np.all(q % 2 == 1, axis=1)))

    assert cl_on_4c(ordered) == 0
    assert cl_on_4c(mixed) == 16
    again = li6ps5cl_atoms(min_cell_length_A=10.0, anion_exchange=0.5, seed=3)
    assert np.array_equal(again.positions, mixed.positions)
