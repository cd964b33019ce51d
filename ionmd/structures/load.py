"""Read a crystal structure from a file or an object and check it is fit for MD.

Accepted sources: CIF files, VASP POSCAR/CONTCAR files (recognised by extension,
by name, or else by content), ``pymatgen.core.Structure`` and ``ase.Atoms``. An
``ase.Atoms`` read from a partially occupied CIF keeps its occupancies
(``info["occupancy"]``) and so takes the same ``occupancy`` road as the CIF.

Checks, each failing with a one-line :class:`ionmd.errors.InputError`:

- the file exists and parses (the message names the file);
- no ``_atom_site_occupancy`` of a CIF (or ``info["occupancy"]`` of an
  ``ase.Atoms``) is negative (pymatgen would drop the site and go on);
- every site is fully occupied by one species (else the offending sites are named,
  unless ``round_occupancies=True``, see :mod:`ionmd.structures.occupancy`);
- no two atoms are closer than ``min_distance_A`` (0.5 Å by default);
- the mobile species (Li by default) is present (:func:`check_mobile_species`);
- the file holds at most ``MAX_STRUCTURE_SITES`` (10,000) sites, counted by a
  text scan *before* parsing (pymatgen's CIF parser is superlinear: 4,096 sites
  8.5 s, 10,648 sites 43 s, 50,000 sites many minutes): the POSCAR counts line; the
  CIF ``_atom_site`` loop rows times its symmetry operations (an upper bound of
  the expanded cell; OBELiX's largest is 1,344). Supercells are limited apart
  (``MAX_SUPERCELL_ATOMS``, 100,000 atoms per system).

Cell convention: row vectors (pymatgen/ASE), Å.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from ase import Atoms
from pymatgen.core import Element, Structure

from ionmd.errors import InputError
from ionmd.structures.occupancy import (
    OCCUPANCY_TOL,
    RoundingRule,
    partial_sites,
    round_partial_occupancies,
    site_label,
)

__all__ = [
    "DEFAULT_MIN_DISTANCE_A",
    "check_mobile_species",
    "check_no_overlaps",
    "load_structure",
]

#: Two atoms closer than this (Å) are refused as overlapping.
DEFAULT_MIN_DISTANCE_A = 0.5
#: More volume per atom than this (Å³) is vacuum, not a solid (solids: ~5-50 Å³).
MAX_VOLUME_PER_ATOM_A3 = 1000.0
#: A cell vector longer than this (Å) is refused as a huge cell.
MAX_CELL_LENGTH_A = 1000.0
#: Sites a structure file may hold (after symmetry expansion), checked before parsing.
MAX_STRUCTURE_SITES = 10_000
#: Bytes a structure file may hold (a 10,000-site CIF is ~0.6 MB).
MAX_STRUCTURE_BYTES = 64 * 1024 * 1024

_CIF_SUFFIXES = {".cif", ".mcif"}
_POSCAR_SUFFIXES = {".vasp", ".poscar", ".contcar"}
_POSCAR_NAMES = ("POSCAR", "CONTCAR")


def load_structure(
    source: str | os.PathLike | Structure | Atoms,
    *,
    round_occupancies: bool = False,
    rounding_rule: RoundingRule = "composition",
    mobile_species: str | None = "Li",
    min_distance_A: float = DEFAULT_MIN_DISTANCE_A,
    allow_partial: bool = False,
) -> Structure:
    """Read and validate a periodic structure.

    Args:
        source: path to a CIF or POSCAR/CONTCAR file, a pymatgen ``Structure``
            or an ``ase.Atoms`` (periodic, with a cell). Objects are copied.
        round_occupancies: if False, partially occupied or mixed sites are
            refused; if True they are rounded by ``rounding_rule`` (see
            :mod:`ionmd.structures.occupancy`) and an ``OccupancyRoundingWarning``
            says what changed.
        rounding_rule: "composition" (default: keeps the composition closest)
            or "plurality" (per site; the obelix package's rule up to ties).
        mobile_species: element that must be present (None: no check).
        min_distance_A: smallest allowed interatomic distance, Å (periodic).
        allow_partial: return a partially occupied structure as it is (for
            :mod:`ionmd.structures.ordering`; the overlap check is then left to
            the ordered supercells, since split sites overlap by design).

    Returns:
        an ordered, fully occupied ``Structure`` (site order as in the source;
        sites within ``OCCUPANCY_TOL`` of full occupancy are set to exactly 1).

    Raises:
        InputError: missing/unreadable file, partial occupancy, overlapping
            atoms, or no ``mobile_species``.
    """
    structure, origin = _read_any(source)
    if len(structure) == 0:
        raise InputError(f"{origin} contains no atoms")
    _check_lattice(structure, origin=origin)

    bad = partial_sites(structure)
    if bad and allow_partial:
        structure = _snap_full_occupancies(structure)
        if mobile_species is not None:
            check_mobile_species(structure, mobile_species=mobile_species, origin=origin)
        return structure
    if bad:
        if not round_occupancies:
            shown = "; ".join(site_label(structure, i) for i in bad[:3])
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            raise InputError(
                f"{origin} has {len(bad)} partially occupied or mixed site(s): "
                f"{shown}{more}; MD needs fully occupied sites "
                '(occupancy = "order" samples orderings, docs/disorder.md; '
                "round_occupancies=True rounds them)"
            )
        structure = round_partial_occupancies(structure, origin=origin, rule=rounding_rule)
        if len(structure) == 0:
            raise InputError(f"{origin}: no atoms left after rounding occupancies")
    structure = _snap_full_occupancies(structure)

    check_no_overlaps(structure, min_distance_A=min_distance_A, origin=origin)
    if mobile_species is not None:
        check_mobile_species(structure, mobile_species=mobile_species, origin=origin)
    return structure


def check_mobile_species(
    structure: Structure, *, mobile_species: str = "Li", origin: str = "structure"
) -> int:
    """Return the number of ``mobile_species`` atoms; InputError if there are none."""
    try:
        element = Element(mobile_species)
    except ValueError as exc:
        raise InputError(f"unknown mobile species {mobile_species!r}") from exc
    n_mobile = sum(
        1 for site in structure if any(sp.symbol == element.symbol for sp in site.species)
    )
    if n_mobile == 0:
        formula = structure.composition.reduced_formula
        raise InputError(
            f"{origin} ({formula}) contains no {mobile_species}: nothing to diffuse "
            f"(the mobile species is {mobile_species})"
        )
    return n_mobile


def check_no_overlaps(
    structure: Structure,
    *,
    min_distance_A: float = DEFAULT_MIN_DISTANCE_A,
    origin: str = "structure",
) -> None:
    """InputError naming the closest pair if any two atoms are < ``min_distance_A`` apart.

    Distances are periodic (minimum image over all lattice translations, as
    pymatgen's ``get_all_neighbors``); an atom meeting its own image also counts.
    """
    if min_distance_A <= 0 or len(structure) == 0:
        return
    neighbours = structure.get_all_neighbors(min_distance_A)
    best: tuple[float, int, int] | None = None
    for i, nbrs in enumerate(neighbours):
        for nbr in nbrs:
            if best is None or nbr.nn_distance < best[0]:
                best = (float(nbr.nn_distance), i, int(nbr.index))
    if best is None:
        return
    distance_A, i, j = best
    sym_i = structure[i].species_string
    sym_j = structure[j].species_string
    what = "its own periodic image" if i == j else f"site {j} ({sym_j})"
    raise InputError(
        f"{origin}: overlapping atoms, site {i} ({sym_i}) is {distance_A:.3f} Å from "
        f"{what} (minimum allowed {min_distance_A} Å)"
    )


# --------------------------------------------------------------------------- reading


def _read_any(source: object) -> tuple[Structure, str]:
    """Return (a private copy of the structure, a name for messages)."""
    if isinstance(source, Structure):
        return source.copy(), "structure"
    if isinstance(source, Atoms):
        return _from_ase(source), "ase.Atoms"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return _read_file(path), str(path)
    raise InputError(
        f"cannot load a structure from a {type(source).__name__}: "
        "give a CIF/POSCAR path, a pymatgen Structure or an ase.Atoms"
    )


def _from_ase(atoms: Atoms) -> Structure:
    from pymatgen.io.ase import AseAtomsAdaptor

    if not all(atoms.pbc) or abs(atoms.cell.volume) < 1e-8:
        raise InputError("ase.Atoms must be periodic in 3D with a cell of non-zero volume")
    structure = AseAtomsAdaptor.get_structure(atoms)
    # Drop ASE-specific per-site properties that pymatgen carries along.
    for key in list(structure.site_properties):
        structure.remove_site_property(key)
    occupancy = atoms.info.get("occupancy")
    if occupancy:
        return _with_ase_occupancies(structure, atoms, occupancy)
    return structure


def _with_ase_occupancies(structure: Structure, atoms: Atoms, occupancy: dict) -> Structure:
    """The partial occupancies ``ase.io.read`` keeps for a CIF
    (``atoms.info["occupancy"]``: kind -> {symbol: occupancy}, the kind of each
    atom in ``atoms.arrays["spacegroup_kinds"]``, older ASE: its tag), put back on
    the sites; without them a CIF's Li at 0.7/0.3 would run as fully occupied."""
    if "spacegroup_kinds" in atoms.arrays:
        kinds = [str(int(k)) for k in atoms.arrays["spacegroup_kinds"]]
    else:
        kinds = [str(int(t)) for t in atoms.get_tags()]
    species = []
    symbols = atoms.get_chemical_symbols()
    for i, kind in enumerate(kinds):
        occ = occupancy.get(kind)
        if not isinstance(occ, dict) or not occ:
            species.append(structure[i].species)
            continue
        for symbol, value in occ.items():
            if not float(value) >= 0:
                raise InputError(
                    f"ase.Atoms: atom {i} ({symbol}) has occupancy {value} "
                    "(info['occupancy']); occupancies must be >= 0"
                )
        full = len(occ) == 1 and abs(float(next(iter(occ.values()))) - 1) <= OCCUPANCY_TOL
        if full:  # nothing partial: the atom as it is (its symbol may have been edited)
            species.append(structure[i].species)
            continue
        if symbols[i] not in occ:
            raise InputError(
                f"ase.Atoms: atom {i} is {symbols[i]} but info['occupancy'] gives "
                f"{occ} for its site (edited after reading?); fix or drop the occupancy"
            )
        species.append({str(sym): float(v) for sym, v in occ.items() if float(v) > 0})
    try:
        return Structure(structure.lattice, species, structure.frac_coords)
    except ValueError as exc:
        raise InputError(f"ase.Atoms: info['occupancy'] is not usable ({exc})") from None


def _read_file(path: Path) -> Structure:
    if not path.exists():
        raise InputError(f"structure file not found: {path}")
    if path.is_dir():
        raise InputError(f"expected a structure file, got a directory: {path}")
    if not path.is_file():  # /dev/zero, a FIFO: reading would never end
        raise InputError(f"{path} is not a regular file")
    size = path.stat().st_size
    if size > MAX_STRUCTURE_BYTES:
        raise InputError(
            f"{path} is {size / 2**20:.0f} MiB, more than any structure file "
            f"({MAX_STRUCTURE_BYTES // 2**20} MiB)"
        )
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    kind = _guess_format(path, text)
    if kind == "cif" and (blocks := cif_structure_blocks(text)) > 1:
        raise InputError(
            f"{path} holds {blocks} structures (data_ blocks with atom sites); "
            "give one structure per file"
        )
    if kind == "cif" and (bad := negative_occupancy_cif(text)) is not None:
        raise InputError(
            f"{path}: site {bad[0]} has occupancy {bad[1]}; occupancies must be >= 0 "
            "(pymatgen would silently drop the site)"
        )
    n_sites = count_sites_cif(text) if kind == "cif" else count_sites_poscar(text)
    if n_sites is not None and n_sites > MAX_STRUCTURE_SITES:
        how = " (atom_site rows x symmetry operations)" if kind == "cif" else ""
        raise InputError(
            f"{path}: {n_sites:,} sites{how} is more than the "
            f"{MAX_STRUCTURE_SITES:,} a structure file may hold "
            "(a unit cell; ionmd builds the supercell itself)"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "cif":
                structure = _parse_cif(text)
            else:
                structure = _parse_poscar(text)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    except Exception as exc:  # pymatgen raises many types on malformed input
        reason = _one_line(exc)
        raise InputError(f"cannot parse {path} as {kind.upper()}: {reason}") from exc
    return structure


def _guess_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in _CIF_SUFFIXES:
        return "cif"
    if suffix in _POSCAR_SUFFIXES or any(n in path.name.upper() for n in _POSCAR_NAMES):
        return "poscar"
    lowered = text.lower()
    if "data_" in lowered and "_cell_length_a" in lowered:
        return "cif"
    return "poscar"


_CIF_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|\S+")
_SITE_TAGS = ("_atom_site_fract_x", "_atom_site_cartn_x")
_SYMOP_TAGS = ("_symmetry_equiv_pos_as_xyz", "_space_group_symop_operation_xyz")


def _cif_loops(text: str) -> Iterator[tuple[list[str], list[str]]]:
    """Each ``loop_`` of a CIF as (its tags, lower-cased; its value tokens), by a
    text scan (one scanner for the checks below)."""
    lines = text.splitlines()
    i, n = 0, len(lines)
    while i < n:
        if not lines[i].strip().lower().startswith("loop_"):
            i += 1
            continue
        i += 1
        heads = []
        while i < n and lines[i].strip().startswith("_"):
            heads.append(lines[i].split()[0].lower())
            i += 1
        tokens: list[str] = []
        while i < n:
            line = lines[i].strip()
            if line.startswith("_") or line.lower().startswith(("loop_", "data_")):
                break
            if line and not line.startswith("#"):
                tokens += _CIF_TOKEN.findall(line)
            i += 1
        yield heads, tokens


def count_sites_cif(text: str) -> int | None:
    """Upper bound of the sites a CIF expands to (rows of its ``_atom_site`` loops
    times the most symmetry operations listed), by a text scan; None if no
    ``_atom_site`` loop is found (the parser then says what is wrong)."""
    sites = ops = 0
    found = False
    for heads, tokens in _cif_loops(text):
        rows = len(tokens) // max(1, len(heads))
        if any(h in _SITE_TAGS for h in heads):
            sites, found = sites + rows, True
        if any(h in _SYMOP_TAGS for h in heads):
            ops = max(ops, rows)
    return sites * max(1, ops) if found else None


def negative_occupancy_cif(text: str) -> tuple[str, str] | None:
    """(label, value) of the first ``_atom_site`` row with a negative
    ``_atom_site_occupancy``, by a text scan; None if there is none."""
    for heads, tokens in _cif_loops(text):
        if "_atom_site_occupancy" not in heads:
            continue
        col, width = heads.index("_atom_site_occupancy"), len(heads)
        name = heads.index("_atom_site_label") if "_atom_site_label" in heads else 0
        for row in range(len(tokens) // width):
            value = tokens[row * width + col]
            if value.startswith("-") and value not in ("-", "--"):
                return tokens[row * width + name], value
    return None


def cif_structure_blocks(text: str) -> int:
    """How many ``data_`` blocks of a CIF hold atom sites (pymatgen would silently
    take the first)."""
    blocks, has_sites = 0, False
    for line in text.splitlines():
        word = line.strip().lower()
        if word.startswith("data_"):
            blocks += has_sites
            has_sites = False
        elif word.startswith(_SITE_TAGS):
            has_sites = True
    return blocks + has_sites


def count_sites_poscar(text: str) -> int | None:
    """The atoms a POSCAR declares (its counts line), or None if not found."""
    lines = text.splitlines()
    for line in lines[5:7]:
        parts = line.split()
        if parts and all(p.isdigit() for p in parts):
            return sum(int(p) for p in parts)
    return None


def _parse_cif(text: str) -> Structure:
    from pymatgen.io.cif import CifParser

    parser = CifParser.from_str(text)
    structures = parser.parse_structures(primitive=False)
    if not structures:
        raise InputError("no structure in the CIF")
    return structures[0]


def _parse_poscar(text: str) -> Structure:
    from pymatgen.io.vasp import Poscar

    poscar = Poscar.from_str(text, read_velocities=False)
    structure = poscar.structure
    listed = _poscar_position_lines(text)
    if listed is not None and listed != len(structure):
        raise InputError(
            f"the counts line declares {len(structure)} atoms but {listed} positions "
            "follow (pymatgen would silently drop or relabel atoms)"
        )
    return structure


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eEdD][-+]?\d+)?$")


def _poscar_position_lines(text: str) -> int | None:
    """How many position lines (three numbers, optionally T/F flags) follow the
    Direct/Cartesian line, up to a blank line (then velocities may follow) or the
    end; None if that line is not found."""
    lines = text.splitlines()
    start = next(
        (
            i
            for i, line in enumerate(lines[6:10], start=6)
            if line.strip()[:1].lower() in ("d", "c", "k")
            and not line.strip().lower().startswith("s")
        ),
        None,
    )
    if start is None:
        return None
    n = 0
    for line in lines[start + 1 :]:
        parts = line.split()
        if len(parts) < 3 or not all(_NUMBER.match(x) for x in parts[:3]):
            break
        n += 1
    return n


def _one_line(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    first = msg[0] if msg else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


# --------------------------------------------------------------------------- checks


def _check_lattice(structure: Structure, *, origin: str) -> None:
    matrix = np.asarray(structure.lattice.matrix, dtype=float)
    with np.errstate(all="ignore"):
        volume = (
            abs(float(np.linalg.det(matrix))) if np.all(np.isfinite(matrix)) else np.nan
        )
        lengths = np.linalg.norm(matrix, axis=1)
    if not np.isfinite(volume) or not np.all(np.isfinite(lengths)) or volume < 1e-6:
        raise InputError(f"{origin}: cell is degenerate (zero volume or non-finite)")
    if (
        lengths.max() > MAX_CELL_LENGTH_A
        or volume / len(structure) > MAX_VOLUME_PER_ATOM_A3
    ):
        raise InputError(
            f"{origin}: huge cell ({lengths.max():.3g} Å longest vector, "
            f"{volume / len(structure):.3g} Å³ per atom): vacuum, not a solid "
            f"(limits {MAX_CELL_LENGTH_A:g} Å, {MAX_VOLUME_PER_ATOM_A3:g} Å³ per atom)"
        )
    frac = np.asarray(structure.frac_coords, dtype=float)
    if not np.all(np.isfinite(frac)) or np.abs(frac).max(initial=0.0) > 1e4:
        raise InputError(f"{origin}: non-finite or absurd atomic coordinates")


def _snap_full_occupancies(structure: Structure) -> Structure:
    """Set occupancies within ``OCCUPANCY_TOL`` of 1 to exactly 1 (single species)."""
    if structure.is_ordered:
        return structure
    out = structure.copy()
    for i, site in enumerate(out):
        (species, occu), *rest = site.species.items()
        if not rest and abs(occu - 1.0) <= OCCUPANCY_TOL:
            out.replace(i, species, coords=site.frac_coords, properties=site.properties)
    return out
