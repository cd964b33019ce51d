"""INCAR, KPOINTS and POSCAR of the study's AIMD runs, from pymatgen's ``MPMDSet``.

``MPMDSet`` alone is not the study's setting (pymatgen 2026.10, checked in the tests):
it drops ENCUT, means 1e-5 eV per atom for EDIFF but writes it as a literal
``EDIFF_PER_ATOM = 1e-05`` tag that VASP does not know while EDIFF itself comes out
as MPRelaxSet's 5e-5 × N (here: EDIFF = ``ediff_per_atom_eV`` × N, default 1e-5),
and sets no MDALGO, so VASP would use its legacy
thermostat (MDALGO = 0), which wraps coordinates back into the cell and makes an
MSD impossible. :func:`md_incar_settings` fixes all of these; :func:`build_input_set`
checks the result.

Atom order: VASP needs the atoms grouped by element, so the structure is sorted
(pymatgen's order: by electronegativity, stable). ``sort_map[i]`` is the index in
the unsorted structure of POSCAR atom ``i``; it is stored in ``ionmd_vasp.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pymatgen.core import Structure
from pymatgen.io.vasp.inputs import Incar, Kpoints, Poscar
from pymatgen.io.vasp.sets import MPMDSet

from ionmd.errors import InputError
from ionmd.vasp_bridge.config import VaspSettings

#: INCAR tags the bridge always sets (the study's settings), in addition to MPMDSet's.
STUDY_TAGS: tuple[str, ...] = (
    "ENCUT",
    "EDIFF",
    "IBRION",
    "MDALGO",
    "ISIF",
    "SMASS",
    "POTIM",
    "TEBEG",
    "TEEND",
    "NSW",
    "NBLOCK",
    "ISPIN",
    "LDAU",
    "ISYM",
    "LWAVE",
    "LCHARG",
)

#: tags that must never reach VASP (pymatgen artefacts)
FORBIDDEN_TAGS: tuple[str, ...] = ("EDIFF_PER_ATOM",)


@dataclass(frozen=True, kw_only=True)
class MDInputs:
    """The VASP inputs of one run: sorted structure, INCAR, KPOINTS, POTCAR symbols.

    ``sort_map (n_atoms,)``: original index of each POSCAR (sorted) atom.
    """

    structure: Structure
    sort_map: np.ndarray
    incar: Incar
    kpoints: Kpoints
    potcar_symbols: tuple[str, ...]
    potcar_functional: str

    @property
    def poscar(self) -> Poscar:
        return Poscar(self.structure, comment=self.structure.composition.reduced_formula)


def sort_with_map(structure: Structure) -> tuple[Structure, np.ndarray]:
    """Sort sites as pymatgen does (stable, by electronegativity) and return the map.

    Returns ``(sorted_structure, sort_map)`` with ``sorted[i] == structure[sort_map[i]]``.
    """
    order = np.array(
        sorted(range(len(structure)), key=lambda i: structure[i]), dtype=np.int64
    )
    sites = [structure[int(i)] for i in order]
    return Structure.from_sites(sites), order


def md_incar_settings(
    *,
    settings: VaspSettings,
    n_atoms: int,
    temperature_K: float,
    timestep_fs: float,
    nsw: int,
) -> dict[str, Any]:
    """The INCAR tags that turn MPMDSet into the study's NVT Nosé–Hoover AIMD."""
    tags: dict[str, Any] = {
        "ENCUT": float(settings.encut_eV),
        "EDIFF": float(settings.ediff_per_atom_eV) * n_atoms,
        "EDIFF_PER_ATOM": None,  # None removes the key from the set
        "IBRION": 0,
        "MDALGO": 2,
        "ISIF": 2,
        "SMASS": float(settings.smass),
        "POTIM": float(timestep_fs),
        "TEBEG": float(temperature_K),
        "TEEND": float(temperature_K),
        "NSW": int(nsw),
        "NBLOCK": int(settings.sample_every_steps),
        "ISPIN": 1,
        "LDAU": False,
        "ISYM": 0,
        "LWAVE": False,
        "LCHARG": False,
    }
    tags.update(settings.incar)
    return tags


def build_input_set(
    structure: Structure,
    *,
    settings: VaspSettings,
    temperature_K: float,
    timestep_fs: float,
    nsw: int,
    incar_extra: dict[str, Any] | None = None,
) -> MDInputs:
    """Build and check the inputs of one AIMD run of ``nsw`` steps.

    Raises:
        InputError: if the resulting INCAR misses one of the study's settings.
    """
    sorted_structure, sort_map = sort_with_map(structure)
    tags = md_incar_settings(
        settings=settings,
        n_atoms=len(structure),
        temperature_K=temperature_K,
        timestep_fs=timestep_fs,
        nsw=nsw,
    )
    tags.update(incar_extra or {})
    input_set = MPMDSet(
        sorted_structure,
        start_temp=float(temperature_K),
        end_temp=float(temperature_K),
        nsteps=int(nsw),
        time_step=float(timestep_fs),
        spin_polarized=False,
        sort_structure=False,
        user_incar_settings=tags,
        user_kpoints_settings=Kpoints.gamma_automatic((1, 1, 1)),
        user_potcar_functional=settings.potcar_functional,
    )
    incar = Incar({k: v for k, v in input_set.incar.items() if k not in FORBIDDEN_TAGS})
    for tag in STUDY_TAGS:
        expected = tags.get(tag)
        if expected is not None and incar.get(tag) != expected:
            raise InputError(f"INCAR {tag} = {incar.get(tag)!r}, expected {expected!r}")
    if input_set.structure is None or len(input_set.structure) != len(structure):
        raise InputError("the input set changed the number of atoms")
    return MDInputs(
        structure=sorted_structure,
        sort_map=sort_map,
        incar=incar,
        kpoints=input_set.kpoints,
        potcar_symbols=_potcar_symbols(input_set, sorted_structure),
        potcar_functional=settings.potcar_functional,
    )


def _potcar_symbols(input_set: MPMDSet, structure: Structure) -> tuple[str, ...]:
    """The POTCAR of every element; InputError naming an element the set has no
    POTCAR choice for (pymatgen raises a bare KeyError)."""
    elements = Poscar(structure).site_symbols
    choices = input_set.CONFIG.get("POTCAR", {})
    # pymatgen falls back to the bare element name (a POTCAR.spec of "Po")
    missing = next((el for el in elements if not choices.get(el)), None)
    try:
        symbols = tuple(input_set.potcar_symbols)
    except KeyError as exc:
        missing = str(exc.args[0])
    if missing is not None:
        raise InputError(
            f"no POTCAR choice for element {missing} in the Materials Project "
            "set (elements covered: H-Bi, Ac-Pu)"
        ) from None
    for el, sym in zip(elements, symbols, strict=False):
        if sym.split("_")[0] != {"D": "H", "T": "H"}.get(el, el):  # isotopes: H
            raise InputError(f"POTCAR {sym!r} does not match element {el}")
    return symbols


def segment_incar(incar: Incar, *, nsw: int) -> Incar:
    """The same INCAR with ``NSW`` set for one segment."""
    out = Incar(dict(incar))
    out["NSW"] = int(nsw)
    return out
