"""Hostile inputs through the command line: exit code 2, one line on stderr
(``ionmd <cmd>: error: ...``), no traceback, nothing written outside OUT and no
half-written results inside it.

Most cases call ``ionmd.cli.main`` in-process (the dispatcher ``python -m ionmd``
runs); three go through a real ``python -m ionmd`` subprocess (~5 s each)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter

from ionmd.cli import main
from ionmd.structures.builders import alpha_li3n

BASE = """model = "lj"
temperatures_K = [800]
timestep_fs = 2.0
duration_ps = 0.02
equilibration_ps = 0.004
sample_every_fs = 4.0
msd_every_fs = 2.0
thermo_every_fs = 4.0
out = "out"
progress = false
"""


def _cif(path: Path, s: Structure) -> str:
    path.write_text(str(CifWriter(s)))
    return str(path)


def _case(tmp_path: Path, name: str) -> str:
    """The TOML of one hostile case; files it needs are written next to it."""
    li3n = tmp_path / "li3n.cif"
    _cif(li3n, alpha_li3n())
    ok = f'materials = ["{li3n}"]\n'
    if name == "unknown_key":
        return ok + BASE + "temperatur_K = [900]\n"
    if name == "negative_T":
        return ok + BASE.replace("[800]", "[-300]")
    if name == "zero_T":
        return ok + BASE.replace("[800]", "[0]")
    if name == "timestep_0":
        return ok + BASE.replace("timestep_fs = 2.0", "timestep_fs = 0.0")
    if name == "timestep_50":
        return ok + BASE.replace("timestep_fs = 2.0", "timestep_fs = 50.0")
    if name == "missing_cif":
        return f'materials = ["{tmp_path / "nope.cif"}"]\n' + BASE
    if name == "no_li":
        nacl = Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5] * 3])
        return f'materials = ["{_cif(tmp_path / "nacl.cif", nacl)}"]\n' + BASE
    if name == "overlap":
        s = Structure(
            Lattice.cubic(4.0), ["Li", "Li", "N"], [[0, 0, 0], [0.02, 0, 0], [0.5] * 3]
        )
        return f'materials = ["{_cif(tmp_path / "overlap.cif", s)}"]\n' + BASE
    if name == "huge_cell":
        s = Structure(Lattice.cubic(5000.0), ["Li", "N"], [[0, 0, 0], [0.5] * 3])
        return f'materials = ["{_cif(tmp_path / "huge.cif", s)}"]\n' + BASE
    if name == "truncated_cif":
        text = li3n.read_text()
        (tmp_path / "cut.cif").write_text(text[: len(text) // 2])
        return f'materials = ["{tmp_path / "cut.cif"}"]\n' + BASE
    if name == "traversal_id":
        return 'materials = ["../../etc"]\n' + BASE
    if name == "traversal_id_passwd":
        return 'materials = ["../../../../etc/passwd"]\n' + BASE
    raise ValueError(name)


CASES = {
    "unknown_key": "did you mean 'temperatures_K'",
    "negative_T": "positive",
    "zero_T": "positive",
    "timestep_0": "out of range",
    "timestep_50": "out of range",
    "missing_cif": "does not exist",
    "no_li": "contains no Li",
    "overlap": "overlapping atoms",
    "huge_cell": "huge cell",
    "truncated_cif": "cif",
    "traversal_id": "etc",
    "traversal_id_passwd": "passwd",
}


def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _assert_clean_refusal(rc: int, err: str, match: str, tmp_path: Path, before: set[str]):
    # "ionmd: ..." progress lines and third-party start-up notices (Warp's "no CUDA
    # driver") may precede it; the refusal is exactly one line, the last one
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ionmd run: error: ")]
    assert rc == 2, err
    assert "Traceback" not in err, err
    assert len(errors) == 1 and lines[-1] == errors[0], err
    assert match.lower() in errors[0].lower(), err
    new = _snapshot(tmp_path) - before
    assert new <= {"out"}, f"written outside OUT or into OUT: {new}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_run_refuses_in_process(tmp_path, monkeypatch, capsys, name):
    cfg = tmp_path / "run.toml"
    cfg.write_text(_case(tmp_path, name))
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    rc = main(["run", str(cfg), "--no-progress"])
    err = capsys.readouterr().err
    _assert_clean_refusal(rc, err, CASES[name], tmp_path, before)


def _ionmd(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    return subprocess.run(
        [sys.executable, "-m", "ionmd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    "name",
    [
        "unknown_key",
        "missing_cif",
        pytest.param("no_li", marks=pytest.mark.slow),  # loads the model: ~15 s
        pytest.param("traversal_id", marks=pytest.mark.slow),
        pytest.param("negative_T", marks=pytest.mark.slow),
        pytest.param("timestep_50", marks=pytest.mark.slow),
        pytest.param("overlap", marks=pytest.mark.slow),
    ],
)
def test_run_refuses_subprocess(tmp_path, name):
    cfg = tmp_path / "run.toml"
    cfg.write_text(_case(tmp_path, name))
    before = _snapshot(tmp_path)
    r = _ionmd(["run", str(cfg), "--no-progress"], tmp_path)
    _assert_clean_refusal(r.returncode, r.stderr, CASES[name], tmp_path, before)


@pytest.mark.parametrize(
    "fname, data",
    [
        ("md.h5", b""),
        ("md.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 100),
        ("XDATCAR", b"Li3N\n1.0\n6 0 0\n0 6 0\n"),
        ("XDATCAR.gz", b"\x1f\x8b\x08\x00garbage"),
        ("vasprun.xml", b"<?xml version='1.0'?><modeling><atominfo>"),
        ("traj.extxyz", b"4\nnot a comment line\nLi 0 0\n"),
        # ASE's extxyz scan called readline() 1e20 times at the end of the file
        ("traj.extxyz", b"99999999999999999999\ncomment\nLi 0 0 0\n"),
    ],
)
def test_analyze_refuses_broken_file(tmp_path, monkeypatch, capsys, fname, data):
    p = tmp_path / fname
    p.write_bytes(data)
    monkeypatch.chdir(tmp_path)
    rc = main(
        [
            "analyze",
            str(p),
            "--out",
            "res",
            "--timestep-fs",
            "2",
            "--step-skip",
            "1",
            "--temperature-K",
            "800",
            "--no-compare",
            "--no-kinisi",
            "--no-figures",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2 and "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("ionmd analyze: error: "), err
    assert not (tmp_path / "res" / "results.json").exists()


def test_analyze_subprocess_truncated_h5(tmp_path):
    (tmp_path / "md.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    r = _ionmd(["analyze", "md.h5", "--out", "res", "--no-compare", "--quiet"], tmp_path)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len(lines) == 1 and lines[0].startswith("ionmd analyze: error: "), r.stderr


def _valid_xdatcar(path: Path) -> Path:
    import numpy as np

    from tests.robustness.test_fuzz_trajectories import _xdatcar_text

    rng = np.random.default_rng(1)
    walk = rng.uniform(0, 1, (1, 4, 3)) + np.cumsum(rng.normal(0, 0.02, (60, 4, 3)), 0)
    path.write_bytes(_xdatcar_text(np.mod(walk, 1.0)))
    return path


ANALYZE = ["--timestep-fs", "2", "--step-skip", "1", "--temperature-K", "800"]
ANALYZE += ["--no-compare", "--no-kinisi", "--quiet"]


def test_analyze_material_id_cannot_escape_out(tmp_path, monkeypatch):
    """A label like ``../../evil`` ends up in file names only sanitised."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    x = _valid_xdatcar(tmp_path / "a" / "b" / "XDATCAR")
    before = _snapshot(tmp_path)
    rc = main(["analyze", str(x), "--out", "res", "--material-id", "../../evil", *ANALYZE])
    new = _snapshot(tmp_path) - before
    assert rc == 0
    assert new and all(p.startswith("a/b/res") for p in new), new
    assert (tmp_path / "a" / "b" / "res" / "results.json").is_file()


def test_analyze_does_not_overwrite_finished_result(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = _valid_xdatcar(tmp_path / "XDATCAR")
    assert main(["analyze", str(x), "--out", "res", "--no-figures", *ANALYZE]) == 0
    first = (tmp_path / "res" / "results.json").stat().st_mtime_ns
    rc = main(["analyze", str(x), "--out", "res", "--no-figures", *ANALYZE])
    assert rc == 2 and (tmp_path / "res" / "results.json").stat().st_mtime_ns == first
