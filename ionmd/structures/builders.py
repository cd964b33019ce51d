"""Structures built in code from published crystallographic data (no files needed).

``alpha_li3n`` is the embedded default for ``ionmd demo``: it must work on a
machine without the shared data. ``alpha_li3n_atoms`` and ``li6ps5cl_atoms`` need
ASE and numpy only (the device check builds them on a GPU machine without
pymatgen or data files).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import ase
    from pymatgen.core import Structure

__all__ = [
    "ALPHA_LI3N_A_A",
    "ALPHA_LI3N_C_A",
    "ARGON_FCC_A",
    "LI6PS5CL_A_A",
    "alpha_li3n",
    "alpha_li3n_atoms",
    "argon_fcc",
    "li6ps5cl_atoms",
    "toy_conductor",
]

#: α-Li3N lattice parameters, Å (hexagonal P6/mmm, No. 191; Rabenau & Schulz,
#: J. Less-Common Met. 50, 155 (1976): a = 3.648 Å, c = 3.875 Å).
ALPHA_LI3N_A_A = 3.648
ALPHA_LI3N_C_A = 3.875


def alpha_li3n(*, a_A: float = ALPHA_LI3N_A_A, c_A: float = ALPHA_LI3N_C_A) -> Structure:
    """α-Li3N unit cell, 4 atoms (1 formula unit), P6/mmm.

    Wyckoff positions: N 1a (0, 0, 0); Li(2) 2c (1/3, 2/3, 0), (2/3, 1/3, 0) in the
    Li2N layer; Li(1) 1b (0, 0, 1/2) between layers. Site order: N, Li 2c, Li 2c,
    Li 1b. Density ≈ 1.29 g/cm³.

    Args:
        a_A, c_A: hexagonal lattice parameters, Å.
    """
    from pymatgen.core import Lattice, Structure

    return Structure(Lattice.hexagonal(a_A, c_A), list(_SPECIES), _FRAC.tolist())


_SPECIES = ("N", "Li", "Li", "Li")
_FRAC = np.array(
    [[0.0, 0.0, 0.0], [1 / 3, 2 / 3, 0.0], [2 / 3, 1 / 3, 0.0], [0.0, 0.0, 0.5]]
)


def alpha_li3n_atoms(
    *,
    min_cell_length_A: float = 0.0,
    a_A: float = ALPHA_LI3N_A_A,
    c_A: float = ALPHA_LI3N_C_A,
) -> ase.Atoms:
    """α-Li3N as ``ase.Atoms`` on the smallest diagonal supercell whose
    perpendicular widths are all >= ``min_cell_length_A`` (ASE and numpy only:
    no pymatgen, for the engine's benchmarks on a machine without it).

    Same cell, sites and order as :func:`alpha_li3n` (repeated with ``ase``'s
    ``repeat``); for this hexagonal cell the diagonal supercell is also the one
    :func:`ionmd.structures.supercell.min_length_supercell` picks (tested).
    """
    from ase import Atoms

    cell = np.array(
        [[a_A, 0.0, 0.0], [-a_A / 2, a_A * math.sqrt(3) / 2, 0.0], [0.0, 0.0, c_A]]
    )
    atoms = Atoms(symbols=list(_SPECIES), scaled_positions=_FRAC, cell=cell, pbc=True)
    return atoms.repeat(_repeats(cell, min_cell_length_A=min_cell_length_A))


def _repeats(cell: np.ndarray, *, min_cell_length_A: float) -> tuple[int, int, int]:
    """The study's diagonal supercell rule (:func:`ionmd.structures.supercell.
    supercell_repeats`); (1, 1, 1) for a length of 0 (the unit cell)."""
    from ionmd.structures.supercell import supercell_repeats

    if min_cell_length_A <= 0:
        return (1, 1, 1)
    n = supercell_repeats(cell, min_cell_length_A=min_cell_length_A)
    return (int(n[0]), int(n[1]), int(n[2]))


# --- Li6PS5Cl argyrodite ------------------------------------------------------

#: Li6PS5Cl cubic lattice parameter, Å (room temperature, X-ray/neutron
#: refinements: 9.85-9.86 Å, e.g. Deiseroth et al., Angew. Chem. Int. Ed. 47, 755
#: (2008); Kraft et al., JACS 139, 10909 (2017)).
LI6PS5CL_A_A = 9.85
#: F-43m (No. 216), origin with P on 4b. Fractional coordinates from the same
#: refinements (from memory; cross-checked against the kinisi Li6PS5Cl AIMD frames,
#: /work/shared/data/aimd/li6ps5cl, whose best-fit Li 48h orbit in this setting is
#: (0.315, 0.315, 0.030) and whose PS4 S sit on 16e with x ≈ 0.62 after inversion).
LI6PS5CL_S16E_X = 0.620  # P–S = √3 (x − ½) a = 2.05 Å
LI6PS5CL_LI48H_XZ = (0.318, 0.023)  # Li 48h (x, x, z), half occupied in reality
_LI6PS5CL_SITES = (  # (element, orbit representative), formula order
    ("Li", (LI6PS5CL_LI48H_XZ[1], 0.25, 0.25)),  # 24g: the 48h doublets' midpoints
    ("P", (0.5, 0.5, 0.5)),  # 4b
    ("S", (LI6PS5CL_S16E_X,) * 3),  # 16e, the PS4 tetrahedra
    ("S", (0.25, 0.25, 0.25)),  # 4c, the "free" S2-
    ("Cl", (0.0, 0.0, 0.0)),  # 4a
)


def f43m_orbit(site: tuple[float, float, float]) -> np.ndarray:
    """``(m, 3)`` the fractional positions equivalent to ``site`` in F-43m.

    The point group -43m is the 24 signed permutations of (x, y, z) with an even
    number of sign changes; with the F-centring translations (0, ½, ½),
    (½, 0, ½), (½, ½, 0): 96 images, duplicates removed (m = 4 for 4a-4d, 16 for
    16e, 24 for 24g, 48 for 48h). Sorted, so the order is reproducible.
    """
    import itertools

    p = np.asarray(site, dtype=np.float64)
    images = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            if sum(s < 0 for s in signs) % 2 == 0:
                images.append(np.array(signs) * p[list(perm)])
    centring = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    pts = np.mod(np.array(images)[:, None, :] + centring[None], 1.0).reshape(-1, 3)
    pts = np.round(pts, 10) % 1.0
    return np.unique(pts, axis=0)


def li6ps5cl_atoms(
    *,
    min_cell_length_A: float = 0.0,
    a_A: float = LI6PS5CL_A_A,
    anion_exchange: float = 0.0,
    seed: int = 0,
) -> ase.Atoms:
    """Li6PS5Cl (argyrodite, F-43m), an ordered cell, on the study's supercell rule.

    Sites: P 4b, S 16e (PS4), S 4c, Cl 4a, and 24 Li per cubic cell (52 atoms).
    In the real crystal the 24 Li are spread over the 48 sites of 48h (x, x, z),
    which come in pairs ("doublets", 1.9 Å apart: never both occupied). An MD
    cell needs one species per site, so each doublet's Li is put on the
    doublet's midpoint, the 24g site (z, ¼, ¼): exactly 24 sites, so the cell
    stays F-43m and stoichiometric without choosing among 2^24 half-occupations.
    Li–Li ≥ 3.17 Å, Li–S 2.24-2.29 Å there (tested); at a finite temperature the Li
    leave 24g for the 48h pockets within the equilibration (24g is the bottom of
    the intra-doublet jump, a few tenths of an Å from either 48h site).

    ``anion_exchange``: the fraction of the Cl that trade places with the
    4c S2- (chosen with ``seed``, after the supercell is built). The real material
    has some Cl/S site exchange; the kinisi AIMD reference has about half (its
    frames: 48 % of Cl near 4a, 49 % near 4c). 0: Cl all on 4a.

    Args:
        min_cell_length_A: the supercell rule's length (0: the unit cell).
        a_A: the cubic lattice parameter, Å.
        anion_exchange: in [0, 1].
        seed: which Cl/S pairs trade places.
    """
    from ase import Atoms

    from ionmd.errors import InputError

    if not (0.0 <= anion_exchange <= 1.0) or not a_A > 0:
        raise InputError(
            f"need anion_exchange in [0, 1] and a_A > 0, got {anion_exchange}, {a_A}"
        )
    symbols: list[str] = []
    frac, free_s = [], []  # free_s: the 4c S2- (the ones Cl may trade places with)
    for element, site in _LI6PS5CL_SITES:
        orbit = f43m_orbit(site)
        symbols += [element] * len(orbit)
        frac.append(orbit)
        free_s += [element == "S" and site == (0.25, 0.25, 0.25)] * len(orbit)
    cell = np.eye(3) * a_A
    unit = Atoms(symbols=symbols, scaled_positions=np.vstack(frac), cell=cell, pbc=True)
    unit.set_array("site_4c", np.array(free_s))
    atoms = unit.repeat(_repeats(cell, min_cell_length_A=min_cell_length_A))
    s_4c = np.flatnonzero(atoms.get_array("site_4c"))
    cl = np.flatnonzero(atoms.numbers == 17)
    k = round(anion_exchange * len(cl))
    if k:
        rng = np.random.default_rng(seed)
        swap_cl = rng.choice(cl, size=k, replace=False)
        swap_s = rng.choice(s_4c, size=k, replace=False)
        pos = atoms.positions
        pos[swap_cl], pos[swap_s] = pos[swap_s].copy(), pos[swap_cl].copy()
        atoms.positions = pos
    del atoms.arrays["site_4c"]
    return atoms


# --- toy conductor (ionmd/calculators/toy.py; docs/toy_conductor.md) ----------

#: Variant → framework element; must match ``ionmd.calculators.toy``.
TOY_FRAMEWORK_ELEMENT = {"toy-fast": "Kr", "toy-slow": "Xe", "toy-melt": "Ar"}
#: fcc lattice constant of the toy framework, Å: the zero-pressure minimum of
#: its shifted-force LJ (σ = 3.4 Å, cutoff 2σ) at 0 K (tests check it).
TOY_FCC_A_A = 5.36
#: Conventional fcc cells per edge (3: 108 framework atoms, 15.9 Å).
TOY_N_CELLS = 3
#: Li on this many of the 108 octahedral interstices (random, seeded).
TOY_N_LI = 27


def toy_conductor(
    variant: str, *, n_cells: int = TOY_N_CELLS, n_li: int = TOY_N_LI, seed: int = 0
) -> Structure:
    """A toy-conductor cell: fcc framework + Li on octahedral interstices.

    ``variant``: ``"toy-fast"``, ``"toy-slow"`` or ``"toy-melt"`` (the framework
    element differs, see ``TOY_FRAMEWORK_ELEMENT``). The cell is already the
    simulation cell (``n_cells``³ conventional cells, ≥ 10 Å per edge for
    ``n_cells`` ≥ 2); ``n_li`` of the ``4 n_cells³`` octahedral sites (fcc
    (½,0,0)-type) hold Li, chosen with ``seed``; the empty ones let Li hop.
    Framework atoms first, then Li.
    """
    from pymatgen.core import Lattice, Structure

    if variant not in TOY_FRAMEWORK_ELEMENT:
        raise ValueError(
            f"unknown toy variant {variant!r}: one of {', '.join(TOY_FRAMEWORK_ELEMENT)}"
        )
    n_sites = 4 * n_cells**3
    if not 0 < n_li <= n_sites:
        raise ValueError(f"n_li must be in 1..{n_sites}, got {n_li}")
    fcc = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    octa = np.array([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0.5, 0.5]])
    shifts = np.array(
        [[i, j, k] for i in range(n_cells) for j in range(n_cells) for k in range(n_cells)]
    )
    frame = ((fcc[None, :, :] + shifts[:, None, :]) / n_cells).reshape(-1, 3)
    sites = ((octa[None, :, :] + shifts[:, None, :]) / n_cells).reshape(-1, 3)
    chosen = np.sort(np.random.default_rng(seed).choice(n_sites, size=n_li, replace=False))
    lattice = Lattice.cubic(TOY_FCC_A_A * n_cells)
    species = [TOY_FRAMEWORK_ELEMENT[variant]] * len(frame) + ["Li"] * n_li
    return Structure(lattice, species, np.vstack([frame, sites[chosen]]))


#: fcc lattice constant of solid argon near 0 K, Å.
ARGON_FCC_A = 5.26


def argon_fcc(*, n_cells: int = 3, a_A: float = ARGON_FCC_A) -> ase.Atoms:
    """Cubic fcc argon, `n_cells`³ conventional cells (4 atoms each: 108 for 3), as
    ASE ``Atoms``: the Lennard-Jones test system."""
    from ase.build import bulk

    if n_cells < 1:
        raise ValueError(f"n_cells must be >= 1, got {n_cells}")
    return bulk("Ar", "fcc", a=a_A, cubic=True).repeat((n_cells, n_cells, n_cells))
