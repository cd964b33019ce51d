"""Randomly broken CIF and POSCAR files through ``load_structure``: a structure that
passes every check, or a one-line InputError naming the file; never another
exception. Plus the named hostile structures: overlapping atoms, no Li, a
degenerate, non-finite or huge cell."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter
from pymatgen.io.vasp import Poscar

from ionmd.errors import InputError
from ionmd.structures.builders import alpha_li3n
from ionmd.structures.load import load_structure
from ionmd.structures.supercell import min_length_supercell
from tests.robustness.mutate import broken, broken_text, check_clean

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples every run (CI); vary by hand
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

LI3N = alpha_li3n()
CIF = str(CifWriter(LI3N)).encode()
POSCAR = Poscar(LI3N).get_str().encode()


def _sane(s: Structure) -> None:
    assert len(s) > 0 and s.is_ordered
    assert np.all(np.isfinite(s.lattice.matrix)) and s.volume > 0
    assert any(site.specie.symbol == "Li" for site in s)


def _load(tmp_path, name: str, data: bytes, what: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    status, got = check_clean(lambda: load_structure(path), what=what)
    if status == "ok":
        _sane(got)
    else:
        assert str(path) in got, f"message does not name the file: {got!r}"


@FUZZ
@given(case=broken_text(CIF))
def test_fuzz_cif_text(tmp_path, case):
    _load(tmp_path, "x.cif", *case)


@FUZZ
@given(case=broken(CIF))
def test_fuzz_cif_bytes(tmp_path, case):
    _load(tmp_path, "x.cif", *case)


@FUZZ
@given(case=broken_text(POSCAR))
def test_fuzz_poscar_text(tmp_path, case):
    _load(tmp_path, "POSCAR", *case)


@FUZZ
@given(case=broken(POSCAR))
def test_fuzz_poscar_bytes(tmp_path, case):
    _load(tmp_path, "x.vasp", *case)


@pytest.mark.parametrize(
    "name, data",
    [
        ("empty.cif", b""),
        ("nul.cif", b"\0" * 100),
        ("binary.vasp", bytes(range(256))),
        ("POSCAR", b"\n\n\n"),
        ("text.cif", b"this is not a CIF\n"),
    ],
)
def test_garbage_files_refused(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match="x|"):
        load_structure(path)


def _write_cif(tmp_path, s: Structure, name: str = "s.cif"):
    path = tmp_path / name
    path.write_text(str(CifWriter(s)))
    return path


def test_overlapping_atoms_refused(tmp_path):
    s = Structure(
        Lattice.cubic(4.0), ["Li", "Li", "Cl"], [[0, 0, 0], [0.01, 0, 0], [0.5] * 3]
    )
    path = _write_cif(tmp_path, s)
    with pytest.raises(InputError, match="overlapping atoms"):
        load_structure(path)


def test_no_li_refused(tmp_path):
    s = Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5] * 3])
    path = _write_cif(tmp_path, s)
    with pytest.raises(InputError, match="contains no Li"):
        load_structure(path)


def test_degenerate_cell_refused(tmp_path):
    path = tmp_path / "POSCAR"
    path.write_text(
        "flat\n1.0\n4 0 0\n0 4 0\n0 0 0\nLi Cl\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n"
    )
    with pytest.raises(InputError, match="degenerate|cannot parse"):
        load_structure(path)


def test_nan_cell_refused(tmp_path):
    path = tmp_path / "POSCAR"
    path.write_text(
        "nan\n1.0\nnan 0 0\n0 4 0\n0 0 4\nLi Cl\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n"
    )
    with pytest.raises(InputError):
        load_structure(path)


def test_huge_cell_refused(tmp_path):
    """A 'solid' of 2 atoms in a 1 km^3... 10^4 Å cell: vacuum, not an electrolyte."""
    s = Structure(Lattice.cubic(1.0e4), ["Li", "Cl"], [[0, 0, 0], [0.5] * 3])
    with pytest.raises(InputError, match="Å³ per atom"):
        load_structure(_write_cif(tmp_path, s))


def test_huge_supercell_refused():
    """A min cell length that would need millions of atoms is refused before any
    allocation."""
    with pytest.raises(InputError, match="atoms"):
        min_length_supercell(LI3N, min_cell_length_A=1.0e4)
