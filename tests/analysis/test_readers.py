"""Readers: agreement with pymatgen/ASE on real and synthetic files, restart
files concatenated, decimation, and one-line errors for bad input."""

import gzip

import numpy as np
import pytest
from analysis_helpers import random_walk, write_xdatcar

from ionmd.analysis.readers import read_trajectories
from ionmd.analysis.readers.ase_traj import read_ase
from ionmd.analysis.readers.vasprun import read_vasprun
from ionmd.analysis.readers.xdatcar import read_xdatcar
from ionmd.errors import InputError
from ionmd.numerics.unwrap import to_fractional

CELL = np.array([[10.0, 0.0, 0.0], [1.0, 9.0, 0.0], [0.5, -0.8, 11.0]])


def _frames(n_frames=30, seed=0):
    li = random_walk(n_frames=n_frames, n_walkers=4, D_A2_ps=0.5, dt_ps=0.1, seed=seed)
    fw = np.repeat(np.array([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]), n_frames, axis=0)
    cart = np.concatenate([li, fw], axis=1)
    frac = to_fractional(positions_A=cart, cell_A=CELL)
    return cart, frac - np.floor(frac)


def test_xdatcar_matches_known_unwrapped_path(tmp_path):
    cart, wrapped = _frames()
    p = write_xdatcar(
        tmp_path / "XDATCAR", frac=wrapped, symbols=["Li", "O"], counts=[4, 2], cell=CELL
    )
    tr = read_xdatcar(p, timestep_fs=2.0, step_skip=50, temperature_K=900)
    assert tr.n_mobile == 4 and tr.framework_positions_A.shape == (30, 2, 3)
    assert tr.frame_interval_ps == pytest.approx(0.1)
    disp = tr.positions_A - tr.positions_A[0]
    np.testing.assert_allclose(disp, cart[:, :4] - cart[0, :4], atol=1e-6)


def test_restart_files_concatenate_and_gz(tmp_path):
    cart, wrapped = _frames(n_frames=40)
    a = write_xdatcar(
        tmp_path / "XDATCAR.1",
        frac=wrapped[:25],
        symbols=["Li", "O"],
        counts=[4, 2],
        cell=CELL,
    )
    b = write_xdatcar(
        tmp_path / "XDATCAR.2.gz",
        frac=wrapped[25:],
        symbols=["Li", "O"],
        counts=[4, 2],
        cell=CELL,
        gz=True,
    )
    tr = read_xdatcar([a, b], timestep_fs=1.0, step_skip=10, temperature_K=800)
    assert tr.n_frames == 40
    np.testing.assert_allclose(
        tr.positions_A - tr.positions_A[0], cart[:, :4] - cart[0, :4], atol=1e-6
    )


def test_decimation_keeps_even_spacing(tmp_path):
    cart, wrapped = _frames(n_frames=101)
    p = write_xdatcar(
        tmp_path / "XDATCAR", frac=wrapped, symbols=["Li", "O"], counts=[4, 2], cell=CELL
    )
    tr = read_xdatcar(p, timestep_fs=1.0, step_skip=1, temperature_K=800, max_frames=10)
    stride = tr.meta["frame_stride"]
    assert stride > 1 and tr.n_frames <= 20
    np.testing.assert_allclose(
        tr.positions_A - tr.positions_A[0], cart[::stride, :4] - cart[0, :4], atol=1e-6
    )
    assert tr.frame_interval_ps == pytest.approx(1e-3 * stride)


def test_real_xdatcar_matches_pymatgen(aimd_dir):
    from pymatgen.io.vasp import Xdatcar

    path = aimd_dir / "li6ps5cl" / "XDATCAR.gz"
    tr = read_xdatcar(path, timestep_fs=2.0, step_skip=50, temperature_K=500)
    ref = Xdatcar(str(path)).structures
    assert tr.n_frames == len(ref) == 140 and tr.n_mobile == 192 and tr.n_atoms == 416
    li0 = np.array([s.coords for s in ref[0] if s.specie.symbol == "Li"])
    np.testing.assert_allclose(tr.positions_A[0], li0, atol=1e-6)
    np.testing.assert_allclose(tr.cell_A, ref[0].lattice.matrix, atol=1e-6)
    # frame-to-frame displacement equals the minimum image of pymatgen's frames
    f1 = np.array([s.frac_coords for s in ref[1] if s.specie.symbol == "Li"])
    f0 = np.array([s.frac_coords for s in ref[0] if s.specie.symbol == "Li"])
    d = (f1 - f0) - np.round(f1 - f0)
    np.testing.assert_allclose(
        tr.positions_A[1] - tr.positions_A[0], d @ tr.cell_A, atol=1e-6
    )


def _vasprun(frames, symbols, cell, potim=2.0, tebeg=1000.0, truncate=False):
    out = [
        '<?xml version="1.0" encoding="ISO-8859-1"?>',
        "<modeling>",
        "<incar>",
        f'<i name="POTIM"> {potim} </i>',
        f'<i name="TEBEG"> {tebeg} </i>',
        "</incar>",
        "<atominfo>",
        '<array name="atoms">',
        "<set>",
    ]
    out += [f"<rc><c>{s}</c><c>1</c></rc>" for s in symbols]
    out += ["</set>", "</array>", "</atominfo>"]
    basis = "".join(f"<v> {r[0]} {r[1]} {r[2]} </v>" for r in cell)
    for f in frames:
        pos = "".join(f"<v> {r[0]} {r[1]} {r[2]} </v>" for r in f)
        out.append(
            f'<calculation><structure><crystal><varray name="basis">{basis}</varray>'
            f'</crystal><varray name="positions">{pos}</varray></structure>'
            "</calculation>"
        )
    text = "\n".join(out) + "\n</modeling>\n"
    return text[: int(len(text) * 0.8)] if truncate else text


def test_vasprun_reads_temperature_timestep_and_survives_truncation(tmp_path):
    cart, wrapped = _frames(n_frames=20)
    syms = ["Li"] * 4 + ["O"] * 2
    p = tmp_path / "vasprun.xml"
    p.write_text(_vasprun(wrapped, syms, CELL))
    tr = read_vasprun(p)
    assert tr.temperature_K == 1000 and tr.frame_interval_ps == pytest.approx(0.002)
    np.testing.assert_allclose(
        tr.positions_A - tr.positions_A[0], cart[:, :4] - cart[0, :4], atol=1e-9
    )
    p.write_text(_vasprun(wrapped, syms, CELL, truncate=True))
    tr2 = read_vasprun(p)
    assert tr2.meta["truncated"] and 2 <= tr2.n_frames < 20
    np.testing.assert_allclose(tr2.positions_A, tr.positions_A[: tr2.n_frames], atol=1e-12)


def test_ase_extxyz_roundtrip(tmp_path):
    import ase
    import ase.io

    cart, wrapped = _frames(n_frames=15)
    frames = [
        ase.Atoms(["Li"] * 4 + ["O"] * 2, scaled_positions=f, cell=CELL, pbc=True)
        for f in wrapped
    ]
    p = tmp_path / "md.extxyz"
    ase.io.write(p, frames)
    tr = read_ase(p, timestep_fs=2.0, step_skip=5, temperature_K=700)
    assert tr.frame_interval_ps == pytest.approx(0.01)
    np.testing.assert_allclose(
        tr.positions_A - tr.positions_A[0], cart[:, :4] - cart[0, :4], atol=1e-6
    )


# ---- frames too far apart to unwrap (issue 20) -----------------------------------------


def _stride_frames(*, step_A, n_frames=200, seed=3):
    """Wrapped fractional frames of 8 Li walkers (per-axis RMS step ``step_A``) and
    2 fixed O, in CELL (half-widths 4.5-5.5 Å)."""
    li = random_walk(
        n_frames=n_frames, n_walkers=8, D_A2_ps=step_A**2 / 0.2, dt_ps=0.1, seed=seed
    )
    fw = np.repeat(np.array([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]), n_frames, axis=0)
    frac = to_fractional(positions_A=np.concatenate([li, fw], axis=1), cell_A=CELL)
    return frac - np.floor(frac)


def _read_as(kind, path, wrapped):
    """Write ``wrapped`` frames as ``kind`` under ``path`` and read them back."""
    import ase
    import ase.io

    if kind == "xdatcar":
        write_xdatcar(path, frac=wrapped, symbols=["Li", "O"], counts=[8, 2], cell=CELL)
        return read_xdatcar(path, timestep_fs=2.0, step_skip=50, temperature_K=900)
    if kind == "vasprun":
        path.write_text(_vasprun(wrapped, ["Li"] * 8 + ["O"] * 2, CELL))
        return read_vasprun(path)
    frames = [
        ase.Atoms(["Li"] * 8 + ["O"] * 2, scaled_positions=f, cell=CELL, pbc=True)
        for f in wrapped
    ]
    ase.io.write(path, frames)
    return read_ase(path, timestep_fs=2.0, step_skip=50, temperature_K=900)


@pytest.mark.parametrize(
    "kind,name", [("xdatcar", "XDATCAR"), ("vasprun", "vasprun.xml"), ("ase", "md.traj")]
)
def test_too_large_stride_is_flagged_by_every_streaming_reader(tmp_path, kind, name):
    """RMS step 2 Å per axis against half-widths of 4.5 Å: flagged in one line
    naming the file and the species; a 0.3 Å step in the same cell is not."""
    path = tmp_path / name
    tr = _read_as(kind, path, _stride_frames(step_A=2.0))
    why = tr.meta["unwrap_unreliable"]
    assert why.startswith(f"{path}: Li frames too far apart to unwrap")
    assert "RMS" in why and "largest" in why and "half-width" in why and "\n" not in why
    assert tr.meta["unwrap_check"]["rms_over_half_width"] > 0.4
    safe = _read_as(kind, tmp_path / f"safe.{name}", _stride_frames(step_A=0.3))
    assert "unwrap_unreliable" not in safe.meta
    assert safe.meta["unwrap_check"]["rms_over_half_width"] < 0.1


def test_the_check_sees_the_input_stride_not_the_decimated_one(tmp_path):
    """Decimation (max_frames) comes after unwrapping: a safe input stride stays
    unflagged however many frames are dropped."""
    wrapped = _stride_frames(step_A=0.3, n_frames=400)
    p = write_xdatcar(
        tmp_path / "XDATCAR", frac=wrapped, symbols=["Li", "O"], counts=[8, 2], cell=CELL
    )
    tr = read_xdatcar(p, timestep_fs=1.0, step_skip=1, temperature_K=800, max_frames=10)
    assert tr.meta["frame_stride"] >= 16 and "unwrap_unreliable" not in tr.meta
    assert tr.meta["unwrap_check"]["n_displacements"] == 399 * 8 * 3


# ---- bad input: one clear InputError each ---------------------------------------------


def test_empty_file(tmp_path):
    p = tmp_path / "XDATCAR"
    p.write_text("")
    with pytest.raises(InputError, match="empty file"):
        read_xdatcar(p, timestep_fs=2, step_skip=1, temperature_K=800)


def test_truncated_header(tmp_path):
    p = tmp_path / "XDATCAR"
    p.write_text("title\n1.0\n10 0 0\n0 10 0\n")
    with pytest.raises(InputError, match="truncated XDATCAR header"):
        read_xdatcar(p, timestep_fs=2, step_skip=1, temperature_K=800)


def test_single_truncated_frame(tmp_path):
    _, wrapped = _frames(n_frames=2)
    p = write_xdatcar(
        tmp_path / "XDATCAR", frac=wrapped, symbols=["Li", "O"], counts=[4, 2], cell=CELL
    )
    text = p.read_text().splitlines()
    p.write_text("\n".join(text[:-3]) + "\n")  # second frame cut short
    with pytest.raises(InputError, match="only one complete frame"):
        read_xdatcar(p, timestep_fs=2, step_skip=1, temperature_K=800)


def test_gz_truncated_mid_stream(tmp_path):
    _, wrapped = _frames(n_frames=30)
    p = write_xdatcar(
        tmp_path / "XDATCAR.gz",
        frac=wrapped,
        symbols=["Li", "O"],
        counts=[4, 2],
        cell=CELL,
        gz=True,
    )
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match="unreadable"):
        read_xdatcar(p, timestep_fs=2, step_skip=1, temperature_K=800)


def test_no_lithium(tmp_path):
    _, wrapped = _frames(n_frames=5)
    p = write_xdatcar(
        tmp_path / "XDATCAR", frac=wrapped, symbols=["Na", "O"], counts=[4, 2], cell=CELL
    )
    with pytest.raises(InputError, match="no Li atoms"):
        read_xdatcar(p, timestep_fs=2, step_skip=1, temperature_K=800)


def test_different_atom_count_between_files(tmp_path):
    _, wrapped = _frames(n_frames=6)
    a = write_xdatcar(
        tmp_path / "XDATCAR.1", frac=wrapped, symbols=["Li", "O"], counts=[4, 2], cell=CELL
    )
    b = write_xdatcar(
        tmp_path / "XDATCAR.2",
        frac=wrapped[:, :5],
        symbols=["Li", "O"],
        counts=[4, 1],
        cell=CELL,
    )
    with pytest.raises(InputError, match="declares 5 atoms"):
        read_xdatcar([a, b], timestep_fs=2, step_skip=1, temperature_K=800)


def test_frame_with_missing_atoms_in_ase_file(tmp_path):
    import ase
    import ase.io

    _, wrapped = _frames(n_frames=4)
    frames = [
        ase.Atoms(["Li"] * 4 + ["O"] * 2, scaled_positions=f, cell=CELL, pbc=True)
        for f in wrapped
    ]
    frames.append(frames[-1][:5])
    p = tmp_path / "bad.extxyz"
    ase.io.write(p, frames)
    with pytest.raises(InputError, match="holds 5 atoms"):
        read_ase(p, timestep_fs=2, temperature_K=800)


def test_missing_temperature_and_timestep(tmp_path):
    _, wrapped = _frames(n_frames=5)
    p = write_xdatcar(
        tmp_path / "XDATCAR", frac=wrapped, symbols=["Li", "O"], counts=[4, 2], cell=CELL
    )
    with pytest.raises(InputError, match="pass --temperature-K"):
        read_xdatcar(p, timestep_fs=2, step_skip=1)
    with pytest.raises(InputError, match="pass --timestep-fs and --step-skip"):
        read_xdatcar(p, temperature_K=800)


def test_incar_next_to_xdatcar_supplies_settings(tmp_path):
    _, wrapped = _frames(n_frames=5)
    p = write_xdatcar(
        tmp_path / "XDATCAR", frac=wrapped, symbols=["Li", "O"], counts=[4, 2], cell=CELL
    )
    (tmp_path / "INCAR").write_text("POTIM = 2.0\nNBLOCK = 50\nTEBEG = 1100 ! K\n")
    tr = read_xdatcar(p)
    assert tr.temperature_K == 1100 and tr.frame_interval_ps == pytest.approx(0.1)


def test_not_a_trajectory(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello\n")
    with pytest.raises(InputError):
        read_trajectories([p], timestep_fs=2, temperature_K=800)
    with pytest.raises(InputError, match="no such file"):
        read_trajectories([tmp_path / "missing.xyz"])
    gzip_garbage = tmp_path / "XDATCAR.gz"
    gzip_garbage.write_bytes(gzip.compress(b"\x00\x01 not an xdatcar\n"))
    with pytest.raises(InputError):
        read_trajectories([gzip_garbage], timestep_fs=2, step_skip=1, temperature_K=800)


def test_vasprun_without_tebeg_asks_for_temperature(tmp_path):
    _, wrapped = _frames(n_frames=4)
    p = tmp_path / "vasprun.xml"
    p.write_text(_vasprun(wrapped, ["Li"] * 4 + ["O"] * 2, CELL, tebeg=0.0001))
    with pytest.raises(InputError, match="pass --temperature-K"):
        read_vasprun(p)
    assert read_vasprun(p, temperature_K=900.0).temperature_K == 900.0
