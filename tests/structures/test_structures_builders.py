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
