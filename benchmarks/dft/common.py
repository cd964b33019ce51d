"""What the DFT and the ML side share: the MD settings and the structure."""

from __future__ import annotations

from ase import Atoms

#: MD shared by the DFT and the ML run: the study's 2 fs step, NVE from MB velocities.
MD_TIMESTEP_FS = 2.0
MD_TEMPERATURE_K = 600.0
MD_SEED = 20260101


def alpha_li3n(*, repeat: tuple[int, int, int] = (1, 1, 1)) -> Atoms:
    """alpha-Li3N (ionmd's builder, P6/mmm, a = 3.648 A, c = 3.875 A) as ASE
    ``Atoms``; ``repeat`` gives the supercell.

    The primitive cell has 4 atoms (N 1a; Li 2c and 1b). ``(3, 3, 3)`` is 108 atoms,
    a = 10.94 A, c = 11.63 A: the study's "every lattice vector >= 10 A" rule.
    """
    from pymatgen.io.ase import AseAtomsAdaptor

    from ionmd.structures.builders import alpha_li3n as build

    atoms = AseAtomsAdaptor.get_atoms(build())
    return Atoms(
        atoms.get_chemical_symbols(),
        positions=atoms.positions,
        cell=atoms.cell.array,
        pbc=True,
    ).repeat(repeat)
