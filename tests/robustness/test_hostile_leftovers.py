"""Hostile inputs that were accepted, hung or left files behind (issue 22):
each is now one line, exit 2 (an InputError through the API), and nothing is
written."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter

import ionmd
from ionmd.cli import main
from ionmd.errors import InputError


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"<dir>")
        for p in sorted(root.rglob("*"))
    }


def _one_line(rc: int, err: str, match: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2 and "Traceback" not in err, err
    assert len(lines) == 1 and ": error: " in lines[0], err
    assert match in lines[0], lines[0]


def test_a_toml_header_200000_levels_deep_is_refused_at_once(tmp_path, capsys):
    """Was: minutes in Python's TOML parser (quadratic in the depth)."""
    cfg = tmp_path / "deep.toml"
    cfg.write_text("[" + ".".join(["a"] * 200_000) + "]\nx = 1\n")
    before = _files(tmp_path)
    t0 = time.perf_counter()
    rc = main(["run", str(cfg)])
    assert time.perf_counter() - t0 < 10.0
    _one_line(rc, capsys.readouterr().err, "more than 64 levels deep")
    assert _files(tmp_path) == before


def test_a_quoted_dotted_key_too_deep_is_refused(tmp_path, capsys):
    cfg = tmp_path / "deep.toml"
    cfg.write_text("a = {" + ".".join(['"k"'] * 5_000) + " = 1}\n")
    _one_line(main(["run", str(cfg)]), capsys.readouterr().err, "levels deep")


def test_a_config_over_4_MiB_is_refused_unread(tmp_path, capsys):
    """Was 16 MiB: a 4 MB array of numbers took ~20 s to parse (2 cores shared)."""
    cfg = tmp_path / "big.toml"
    cfg.write_text("temperatures_K = [" + "800," * 1_100_000 + "]\n")
    _one_line(main(["run", str(cfg)]), capsys.readouterr().err, "limit 4 MiB")


@pytest.mark.parametrize("element", ["Po", "Am"])
def test_vasp_prepare_refuses_an_element_without_a_potcar(
    tmp_path, monkeypatch, capsys, element
):
    """Was: a POTCAR.spec with a bare ``Po``/``Am`` line (pymatgen's fallback)
    whenever the element was not the last one of the POSCAR."""
    s = Structure(
        Lattice.cubic(5.0), ["Li", element, "O"], [[0, 0, 0], [0.5] * 3, [0.5, 0, 0]]
    )
    cif = tmp_path / "x.cif"
    cif.write_text(str(CifWriter(s)))
    monkeypatch.chdir(tmp_path)
    before = _files(tmp_path)
    rc = main(["vasp", "prepare", "--materials", str(cif), "--temperatures-K", "800"])
    _one_line(rc, capsys.readouterr().err, f"no POTCAR choice for element {element}")
    assert _files(tmp_path) == before


def _results_dir(root: Path, name: str) -> Path:
    d = root / name
    d.mkdir()
    (d / "results.json").write_text("{}")
    return d


@pytest.mark.parametrize("case", ["not_compared", "twice"])
def test_compare_label_that_would_be_ignored_is_refused(tmp_path, capsys, case):
    a = _results_dir(tmp_path, "a")
    b = _results_dir(tmp_path, "b")
    labels = ["--label", f"{tmp_path / 'c'}=C"]
    if case == "twice":
        labels = ["--label", f"{a}=A", "--label", f"{tmp_path}/./a=A2"]
    before = _files(tmp_path)
    rc = main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp"), *labels])
    match = "not one of the compared RUN_DIRs" if case != "twice" else "already labelled"
    _one_line(rc, capsys.readouterr().err, match)
    assert _files(tmp_path) == before


def test_api_structure_without_li_leaves_nothing(tmp_path):
    """Was: the InputError, and OUT/.lock and OUT/inputs/ left behind."""
    nacl = Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5] * 3])
    with pytest.raises(InputError, match="Li"):
        ionmd.run({"nacl": nacl}, model="lj", out=tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()
    (tmp_path / "mine").mkdir()  # an OUT that existed keeps only what it had
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(InputError, match="Li"):
        ionmd.run([nacl], model="lj", out=tmp_path / "mine", progress=False)
    assert _files(tmp_path / "mine") == {"notes.txt": b"keep"}


def test_api_out_inside_the_installed_package_is_refused(tmp_path):
    package = Path(ionmd.__file__).resolve().parent
    out = package / "campaign" / "my-run"
    with pytest.raises(InputError, match="inside the installed ionmd package"):
        ionmd.run("builtin:alpha-Li3N", model="lj", out=out, progress=False)
    assert not out.exists()


def test_cli_out_inside_the_installed_package_is_refused(tmp_path, capsys):
    package = Path(ionmd.__file__).resolve().parent
    out = package / "analysis" / "o"
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'materials = ["builtin:alpha-Li3N"]\nmodel = "lj"\nout = "{out}"\n')
    _one_line(main(["run", str(cfg)]), capsys.readouterr().err, "installed ionmd")
    assert not out.exists()
