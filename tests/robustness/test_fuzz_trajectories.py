"""Randomly broken trajectories through every reader: XDATCAR (plain, .gz, the
real Li6PS5Cl AIMD cut short), vasprun.xml, extxyz through ASE, the engine's run
file, and the VASP bridge's XDATCAR/vasprun/OUTCAR/OSZICAR readers.

Each must return a sane result (finite positions, >= 2 frames) or raise a
user-facing error with one non-empty line; anything else is a bug."""

from __future__ import annotations

import gzip
import io

import ase.io
import numpy as np
import pytest
from ase import Atoms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionmd.analysis.readers import read_trajectories
from ionmd.analysis.readers.ase_traj import read_ase
from ionmd.analysis.readers.vasprun import read_vasprun
from ionmd.analysis.readers.xdatcar import read_xdatcar
from ionmd.fileformat.vasp_xdatcar import iter_xdatcar, read_xdatcar_header
from ionmd.fileformat.vasprun import iter_vasprun, read_vasprun_symbols
from ionmd.vasp_bridge.outcar import read_oszicar, read_outcar_summary
from tests.robustness.mutate import broken, broken_text, check_clean

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,  # the same examples every run (CI); vary by hand
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CELL = np.diag([6.0, 6.0, 7.0])
SYMBOLS = ["Li", "Li", "Li", "N"]
RNG = np.random.default_rng(0)
FRAMES = np.mod(
    RNG.uniform(0, 1, (1, 4, 3)) + np.cumsum(RNG.normal(0, 0.01, (6, 4, 3)), 0), 1
)


def _xdatcar_text(frames=FRAMES) -> bytes:
    lines = ["Li3N", "1.0"] + [" ".join(f"{x:.6f}" for x in r) for r in CELL]
    lines += ["Li N", "3 1"]
    for k, f in enumerate(frames):
        lines.append(f"Direct configuration= {k + 1}")
        lines += [" ".join(f"{x:.8f}" for x in r) for r in f]
    return ("\n".join(lines) + "\n").encode()


def _vasprun_text(frames=FRAMES) -> bytes:
    out = ['<?xml version="1.0" encoding="ISO-8859-1"?>', "<modeling>", "<incar>"]
    out += ['<i name="POTIM"> 2.0 </i>', '<i name="TEBEG"> 1000.0 </i>', "</incar>"]
    out += ["<atominfo>", '<array name="atoms">', "<set>"]
    out += [f"<rc><c>{s}</c><c>1</c></rc>" for s in SYMBOLS]
    out += ["</set>", "</array>", "</atominfo>"]
    basis = "".join(f"<v> {r[0]} {r[1]} {r[2]} </v>" for r in CELL)
    for f in frames:
        pos = "".join(f"<v> {r[0]:.8f} {r[1]:.8f} {r[2]:.8f} </v>" for r in f)
        out.append(
            f'<calculation><structure><crystal><varray name="basis">{basis}</varray>'
            f'</crystal><varray name="positions">{pos}</varray></structure>'
            "</calculation>"
        )
    return ("\n".join(out) + "\n</modeling>\n").encode()


def _extxyz_text() -> bytes:
    buf = io.StringIO()
    images = [Atoms(SYMBOLS, scaled_positions=f, cell=CELL, pbc=True) for f in FRAMES]
    ase.io.write(buf, images, format="extxyz")
    return buf.getvalue().encode()


XDATCAR = _xdatcar_text()
VASPRUN = _vasprun_text()
EXTXYZ = _extxyz_text()


def _sane_traj(t) -> None:
    assert t.positions_A.shape[0] >= 2 and t.positions_A.shape[1] >= 1
    assert np.all(np.isfinite(t.positions_A)), "non-finite positions accepted"
    assert np.all(np.isfinite(t.cell_A)) and abs(np.linalg.det(t.cell_A)) > 0
    assert t.time_ps[-1] > 0


def _run(fn, what):
    status, got = check_clean(fn, what=what)
    if status == "ok":
        _sane_traj(got)
    return status, got


# --------------------------------------------------------------- analysis readers
@FUZZ
@given(case=broken_text(XDATCAR))
def test_fuzz_xdatcar_text(tmp_path, case):
    data, what = case
    p = tmp_path / "XDATCAR"
    p.write_bytes(data)
    _run(lambda: read_xdatcar(p, timestep_fs=2.0, step_skip=1, temperature_K=1000), what)


@FUZZ
@given(case=broken(XDATCAR))
def test_fuzz_xdatcar_bytes(tmp_path, case):
    data, what = case
    p = tmp_path / "XDATCAR"
    p.write_bytes(data)
    _run(lambda: read_xdatcar(p, timestep_fs=2.0, step_skip=1, temperature_K=1000), what)


@FUZZ
@given(case=broken(gzip.compress(XDATCAR, mtime=0)))
def test_fuzz_xdatcar_gz_bytes(tmp_path, case):
    data, what = case
    p = tmp_path / "XDATCAR.gz"
    p.write_bytes(data)
    _run(lambda: read_xdatcar(p, timestep_fs=2.0, step_skip=1, temperature_K=1000), what)


@pytest.fixture(scope="module")
def real_head(request) -> bytes:
    """The first 2 frames' worth of lines of the real Li6PS5Cl AIMD XDATCAR.gz."""
    from tests.conftest import shared_dir

    path = shared_dir() / "data" / "aimd" / "li6ps5cl" / "XDATCAR.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with gzip.open(path, "rb") as fh:
        lines = [fh.readline() for _ in range(7)]
        n = sum(int(x) for x in lines[6].split())
        lines += [fh.readline() for _ in range(3 * (n + 1))]
    return gzip.compress(b"".join(lines), mtime=0)


@settings(FUZZ, max_examples=25)
@given(cut=st.floats(0.0, 1.0), flip=st.booleans(), data=st.data())
def test_fuzz_real_xdatcar_gz_cut(tmp_path, real_head, cut, flip, data):
    raw = real_head[: int(len(real_head) * cut)]
    what = f"real XDATCAR.gz cut at {cut:.3f}"
    if flip and raw:
        raw, note = data.draw(broken(raw, max_ops=1))
        what += "; " + note
    p = tmp_path / "XDATCAR.gz"
    p.write_bytes(raw)
    _run(lambda: read_xdatcar(p, timestep_fs=2.0, step_skip=1, temperature_K=600), what)
    check_clean(lambda: list(iter_xdatcar(p)), what=what)


@FUZZ
@given(case=broken_text(VASPRUN))
def test_fuzz_vasprun_text(tmp_path, case):
    data, what = case
    p = tmp_path / "vasprun.xml"
    p.write_bytes(data)
    _run(lambda: read_vasprun(p), what)


@FUZZ
@given(case=broken(VASPRUN))
def test_fuzz_vasprun_bytes(tmp_path, case):
    data, what = case
    p = tmp_path / "vasprun.xml"
    p.write_bytes(data)
    _run(lambda: read_vasprun(p), what)


@FUZZ
@given(case=broken_text(EXTXYZ))
def test_fuzz_extxyz(tmp_path, case):
    data, what = case
    p = tmp_path / "traj.extxyz"
    p.write_bytes(data)
    _run(lambda: read_ase(p, timestep_fs=2.0, temperature_K=1000), what)


@FUZZ
@given(case=broken(EXTXYZ))
def test_fuzz_dispatch_unknown_kind(tmp_path, case):
    """Through ``read_trajectories`` (what ``ionmd analyze`` calls), as a file of
    no known kind: ASE guesses the format."""
    data, what = case
    p = tmp_path / "traj.xyz"
    p.write_bytes(data)
    check_clean(
        lambda: read_trajectories([p], timestep_fs=2.0, temperature_K=1000), what=what
    )


# ------------------------------------------------------------- VASP bridge readers
@FUZZ
@given(case=broken_text(XDATCAR))
def test_fuzz_bridge_xdatcar(tmp_path, case):
    data, what = case
    p = tmp_path / "XDATCAR"
    p.write_bytes(data)
    check_clean(lambda: read_xdatcar_header(p), what=what)
    status, frames = check_clean(lambda: list(iter_xdatcar(p)), what=what)
    if status == "ok":
        for fr in frames:
            assert fr.frac.shape == (4, 3)


@FUZZ
@given(case=broken(VASPRUN))
def test_fuzz_bridge_vasprun(tmp_path, case):
    data, what = case
    p = tmp_path / "vasprun.xml"
    p.write_bytes(data)
    check_clean(lambda: read_vasprun_symbols(p), what=what)
    check_clean(lambda: list(iter_vasprun(p)), what=what)


OUTCAR = (
    b" running on    8 total cores\n"
    + b"".join(b"--- Iteration %6d(   1)  ---\n" % i for i in range(1, 4))
    + b" General timing and accounting informations for this job:\n"
    + b"                  Elapsed time (sec):      123.456\n"
)
OSZICAR = b"".join(
    b"DAV: 1 -0.1E+02\n%5d T=  1000. E= -.10E+02 F= -.11E+02 E0= -.11E+02 EK= 0.1E+00\n" % i
    for i in range(1, 4)
)


@FUZZ
@given(case=broken(OUTCAR), case2=broken(OSZICAR))
def test_fuzz_bridge_outcar_oszicar(tmp_path, case, case2):
    (tmp_path / "OUTCAR").write_bytes(case[0])
    (tmp_path / "OSZICAR").write_bytes(case2[0])
    check_clean(lambda: read_outcar_summary(tmp_path / "OUTCAR"), what=case[1])
    check_clean(lambda: read_oszicar(tmp_path / "OSZICAR"), what=case2[1])


def test_valid_inputs_read(tmp_path):
    """The unbroken files are read (so the fuzz starts from something valid)."""
    (tmp_path / "XDATCAR").write_bytes(XDATCAR)
    (tmp_path / "vasprun.xml").write_bytes(VASPRUN)
    (tmp_path / "t.extxyz").write_bytes(EXTXYZ)
    t = read_xdatcar(tmp_path / "XDATCAR", timestep_fs=2.0, step_skip=1, temperature_K=1000)
    assert t.positions_A.shape == (6, 3, 3)
    assert read_vasprun(tmp_path / "vasprun.xml").positions_A.shape == (6, 3, 3)
    assert read_ase(
        tmp_path / "t.extxyz", timestep_fs=2.0, temperature_K=1000
    ).positions_A.shape == (6, 3, 3)
    assert len(list(iter_xdatcar(tmp_path / "XDATCAR"))) == 6
    assert len(list(iter_vasprun(tmp_path / "vasprun.xml"))) == 6
