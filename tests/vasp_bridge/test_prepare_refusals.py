"""``ionmd vasp prepare`` refusals: one line, exit 2, nothing written (all run
directories are planned and checked before the first is written), and VASP
output anywhere in a run directory protects it from ``--force``."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter

from ionmd.cli import main
from ionmd.structures.builders import alpha_li3n


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"<dir>")
        for p in sorted(root.rglob("*"))
    }


def _prepare(capsys, *args: str) -> tuple[int, str]:
    rc = main(["vasp", "prepare", *args])
    return rc, capsys.readouterr().err


def _one_line(rc: int, err: str, match: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2 and "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("ionmd vasp: error: "), err
    assert match in lines[0], lines[0]


@pytest.fixture
def li3n(tmp_path) -> str:
    path = tmp_path / "li3n.cif"
    path.write_text(str(CifWriter(alpha_li3n())))
    return str(path)


def test_element_without_potcar_choice(tmp_path, monkeypatch, capsys):
    """Was: ``KeyError: 'Po'`` traceback from pymatgen's input set."""
    s = Structure(Lattice.cubic(4.2), ["Li", "Po"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    cif = tmp_path / "lipo.cif"
    cif.write_text(str(CifWriter(s)))
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    rc, err = _prepare(capsys, "--materials", str(cif), "--temperatures-K", "800")
    _one_line(rc, err, "no POTCAR choice for element Po")
    assert _snapshot(tmp_path) == before


def test_empty_potcar_library_writes_nothing_and_rerun_works(
    tmp_path, monkeypatch, capsys, li3n
):
    """Was: INCAR/KPOINTS/POSCAR of the first run written before POTCAR failed; the
    re-run was then refused (``exists (use --force ...)``)."""
    from pymatgen.core import SETTINGS

    empty = tmp_path / "potcars"
    empty.mkdir()
    monkeypatch.setitem(SETTINGS, "PMG_VASP_PSP_DIR", str(empty))
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    args = ["--materials", li3n, "--temperatures-K", "800", "900", "--out", "runs"]
    rc, err = _prepare(capsys, *args)
    _one_line(rc, err, "cannot build POTCAR")
    assert _snapshot(tmp_path) == before
    monkeypatch.delitem(SETTINGS, "PMG_VASP_PSP_DIR")
    rc, err = _prepare(capsys, *args)
    assert rc == 0, err
    assert (tmp_path / "runs" / "li3n_800K" / "POTCAR.spec").is_file()
    assert (tmp_path / "runs" / "li3n_900K" / "INCAR").is_file()


@pytest.mark.parametrize("output", ["OUTCAR", "vasprun.xml", "seg_000/OSZICAR"])
def test_run_level_vasp_output_is_not_overwritten(
    tmp_path, monkeypatch, capsys, li3n, output
):
    """Was: only ``seg_*/OUTCAR|OSZICAR`` counted, so ``--force`` rewrote the INCAR
    of a run whose VASP ran at the top level."""
    monkeypatch.chdir(tmp_path)
    args = ["--materials", li3n, "--temperatures-K", "800", "--out", "runs"]
    assert _prepare(capsys, *args)[0] == 0
    run = tmp_path / "runs" / "li3n_800K"
    (run / output).write_text("VASP was here\n")
    (run / "INCAR").write_text("edited by hand\n")
    before = _snapshot(tmp_path)
    rc, err = _prepare(capsys, *args, "--force")
    _one_line(rc, err, "already holds VASP output")
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", ["file", "under_file", "root"])
def test_out_must_be_a_directory_of_its_own(tmp_path, monkeypatch, capsys, li3n, kind):
    """Was (a file): ``FileExistsError`` traceback from mkdir."""
    (tmp_path / "afile").write_text("x")
    out = {"file": "afile", "under_file": "afile/runs", "root": "/"}[kind]
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    rc, err = _prepare(capsys, "--materials", li3n, "--temperatures-K", "800", "--out", out)
    _one_line(rc, err, out.split("/")[0] or "/")
    assert _snapshot(tmp_path) == before
