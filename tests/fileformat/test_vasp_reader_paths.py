"""One VASP format module: the analysis (``ionmd analyze``) and the VASP bridge
(``ionmd vasp collect``) read the same XDATCAR / vasprun.xml to the same frames,
whatever the file's name says about its compression, across restarts and with a
truncated last frame; the bridge refuses what the analysis refuses."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from ionmd.analysis.readers.vasprun import read_vasprun
from ionmd.analysis.readers.xdatcar import read_xdatcar
from ionmd.errors import InputError
from ionmd.vasp_bridge.segments_read import read_segment
from tests.conftest import shared_dir

CELL = np.array([[8.0, 0.0, 0.0], [0.5, 8.5, 0.0], [0.2, 0.3, 9.0]])  # triclinic
N_FRAMES = 12


def _frames(n_frames: int = N_FRAMES, seed: int = 0) -> np.ndarray:
    """Wrapped fractional frames ``(F, 8, 3)`` of a walk that crosses the cell."""
    rng = np.random.default_rng(seed)
    walk = rng.uniform(0, 1, (1, 8, 3)) + np.cumsum(
        rng.normal(0, 0.08, (n_frames, 8, 3)), 0
    )
    return np.mod(walk, 1.0)


def _header(cell: np.ndarray = CELL) -> list[str]:
    return [
        "Li5S3",
        "1.0",
        *(" ".join(f"{x:.6f}" for x in row) for row in cell),
        "Li S",
        "5 3",
    ]


def _block(k: int, frame: np.ndarray) -> list[str]:
    return [
        f"Direct configuration= {k:6d}",
        *(" ".join(f"{x:.8f}" for x in r) for r in frame),
    ]


def xdatcar_text(frames: np.ndarray, *, repeat_header: bool = False, first: int = 1) -> str:
    out = _header()
    for k, frame in enumerate(frames, start=first):
        if repeat_header and k > first:
            out += _header()
        out += _block(k, frame)
    return "\n".join(out) + "\n"


def through_analysis(paths: list[Path]) -> np.ndarray:
    """Unwrapped Cartesian positions ``(F, 8, 3)`` as ``ionmd analyze`` reads them."""
    tr = read_xdatcar(
        paths, timestep_fs=2.0, step_skip=1, temperature_K=800, max_frames=1000
    )
    assert tr.framework_positions_A is not None
    return np.concatenate([tr.positions_A, tr.framework_positions_A], axis=1)


def through_bridge(seg_dir: Path) -> np.ndarray:
    """The same from one segment as ``ionmd vasp collect`` reads it."""
    seg = read_segment(seg_dir, nblock=1)
    frac = seg.frac.copy()
    d = np.diff(frac, axis=0)
    d -= np.round(d)
    frac[1:] = frac[0] + np.cumsum(d, axis=0)
    return frac @ seg.cell


def _segment(tmp_path: Path, name: str, data: bytes) -> tuple[Path, Path]:
    seg = tmp_path / "seg_000"
    seg.mkdir(exist_ok=True)
    (seg / name).write_bytes(data)
    return seg, seg / name


def _reference(frames: np.ndarray) -> np.ndarray:
    d = np.diff(frames, axis=0)
    d -= np.round(d)
    return np.concatenate([frames[:1], frames[0] + np.cumsum(d, axis=0)]) @ CELL


@pytest.mark.parametrize(
    ("name", "gz"),
    [("XDATCAR", False), ("XDATCAR", True), ("XDATCAR.gz", False), ("XDATCAR.gz", True)],
    ids=["plain", "gzip-named-plain", "plain-named-gz", "gzip"],
)
def test_same_frames_through_both_paths_whatever_the_name(tmp_path, name, gz):
    frames = _frames()
    raw = xdatcar_text(frames).encode()
    seg, path = _segment(tmp_path, name, gzip.compress(raw) if gz else raw)
    ref = _reference(frames)
    np.testing.assert_allclose(through_analysis([path]), ref, atol=1e-6)
    np.testing.assert_allclose(through_bridge(seg), ref, atol=1e-6)


def test_header_repeated_mid_file_same_frames_both_paths(tmp_path):
    frames = _frames()
    seg, path = _segment(
        tmp_path, "XDATCAR", xdatcar_text(frames, repeat_header=True).encode()
    )
    ref = _reference(frames)
    np.testing.assert_allclose(through_analysis([path]), ref, atol=1e-6)
    np.testing.assert_allclose(through_bridge(seg), ref, atol=1e-6)


def test_truncated_last_frame_dropped_by_both_and_reported(tmp_path):
    frames = _frames()
    text = xdatcar_text(frames)
    seg, path = _segment(tmp_path, "XDATCAR", text[: len(text) - 60].encode())
    ref = _reference(frames)[:-1]
    tr = read_xdatcar([path], timestep_fs=2.0, step_skip=1, temperature_K=800)
    assert "cut off after 11 complete frames" in tr.meta["partial"]
    np.testing.assert_allclose(through_analysis([path]), ref, atol=1e-6)
    np.testing.assert_allclose(through_bridge(seg), ref, atol=1e-6)


def test_restart_files_read_as_one_run(tmp_path):
    """Two restart files (the second renumbered from 1, gzip under a plain name) are
    one trajectory, unwrapped across the file boundary."""
    from ionmd.fileformat.vasp_xdatcar import XdatcarReader

    frames = _frames(n_frames=20)
    a, b = tmp_path / "XDATCAR.1", tmp_path / "XDATCAR.2"
    a.write_text(xdatcar_text(frames[:9]))
    b.write_bytes(gzip.compress(xdatcar_text(frames[9:]).encode()))
    np.testing.assert_allclose(through_analysis([a, b]), _reference(frames), atol=1e-6)
    reader = XdatcarReader([a, b])
    got = [f.number for f in reader]
    assert got == list(range(1, 10)) + list(range(1, 12))
    assert reader.n_frames == 20 and not reader.cut


def test_bridge_refuses_a_broken_frame_before_the_end(tmp_path):
    """The bridge used to stop silently at a garbled frame (losing the rest of the
    run); like the analysis it now refuses it."""
    lines = xdatcar_text(_frames()).splitlines()
    lines[7 + 4 * 9 + 2] = "0.1 0.2"  # frame 5, second atom: one coordinate short
    seg, path = _segment(tmp_path, "XDATCAR", ("\n".join(lines) + "\n").encode())
    for read in (lambda: through_analysis([path]), lambda: through_bridge(seg)):
        with pytest.raises(InputError, match="does not hold 8 atoms"):
            read()


@pytest.mark.parametrize(
    ("line", "value", "match"),
    [
        (5, "Li 1S", "does not match counts"),
        (6, "0 0", "declares no atoms"),
        (6, "5 2000000", "not plausible"),
    ],
)
def test_bridge_refuses_what_the_analysis_refuses_in_a_header(tmp_path, line, value, match):
    lines = xdatcar_text(_frames()).splitlines()
    lines[line] = value
    seg, path = _segment(tmp_path, "XDATCAR", ("\n".join(lines) + "\n").encode())
    for read in (lambda: through_analysis([path]), lambda: through_bridge(seg)):
        with pytest.raises(InputError, match=match):
            read()


def test_header_with_other_atoms_mid_file_refused_by_both(tmp_path):
    frames = _frames()
    text = xdatcar_text(frames[:4]) + "\n".join(
        ["Li5S3", "1.0", *_header()[2:5], "Li S", "4 4", *_block(5, frames[4])]
    )
    seg, path = _segment(tmp_path, "XDATCAR", (text + "\n").encode())
    for read in (lambda: through_analysis([path]), lambda: through_bridge(seg)):
        with pytest.raises(InputError, match="declares 8 atoms"):
            read()


@pytest.mark.parametrize("cut", [False, True], ids=["complete", "cut"])
def test_vasprun_same_frames_through_both_paths(tmp_path, cut):
    from tests.robustness.test_fuzz_trajectories import CELL as CELL4
    from tests.robustness.test_fuzz_trajectories import FRAMES, _vasprun_text

    text = _vasprun_text(FRAMES).decode()
    if cut:  # killed while writing the last step
        text = text[: text.rindex("<calculation>") + 120]
    seg, path = _segment(tmp_path, "vasprun.xml", text.encode())
    tr = read_vasprun(path, material_id="x")
    assert tr.meta["truncated"] is cut
    n = len(FRAMES) - 1 if cut else len(FRAMES)
    d = np.diff(FRAMES[:n], axis=0)
    d -= np.round(d)
    ref = np.concatenate([FRAMES[:1], FRAMES[0] + np.cumsum(d, axis=0)]) @ CELL4
    got = np.concatenate([tr.positions_A, tr.framework_positions_A], axis=1)
    np.testing.assert_allclose(got, ref, atol=1e-6)
    bridge = read_segment(seg, nblock=1)  # frames after 1, 2, ... steps
    np.testing.assert_allclose(bridge.start_frac, FRAMES[0], atol=1e-8)
    np.testing.assert_allclose(bridge.frac, FRAMES[1:n], atol=1e-8)


def _real_xdatcar() -> Path:
    path = shared_dir() / "data" / "aimd" / "li6ps5cl" / "XDATCAR.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found (set IONMD_SHARED)")
    return path


@pytest.mark.parametrize("name", ["XDATCAR.gz", "XDATCAR"], ids=["named-gz", "named-plain"])
def test_real_li6ps5cl_same_through_both_paths(tmp_path, name):
    """The real 140-frame Li6PS5Cl AIMD (gzip; also under a name without .gz)."""
    seg = tmp_path / "seg_000"
    seg.mkdir()
    shutil.copy(_real_xdatcar(), seg / name)
    analysis = through_analysis([seg / name])
    bridge = through_bridge(seg)
    assert analysis.shape == bridge.shape == (140, 416, 3)
    # the analysis puts the Li first; the file orders Li Cl S P: Li are first there too
    np.testing.assert_allclose(analysis, bridge, rtol=0, atol=1e-9)


def test_cartesian_blocks_same_frames_both_paths(tmp_path):
    """``Cartesian configuration=`` blocks are converted with the cell (the bridge
    used to take them as fractional)."""
    frames = _frames()
    lines = _header()
    for k, frame in enumerate(frames @ CELL, start=1):
        lines += [f"Cartesian configuration= {k:6d}"]
        lines += [" ".join(f"{x:.8f}" for x in r) for r in frame]
    seg, path = _segment(tmp_path, "XDATCAR", ("\n".join(lines) + "\n").encode())
    ref = _reference(frames)
    np.testing.assert_allclose(through_analysis([path]), ref, atol=1e-6)
    np.testing.assert_allclose(through_bridge(seg), ref, atol=1e-6)


def test_repeated_header_cut_short_is_a_cut_last_frame(tmp_path):
    """A variable-cell layout killed while writing the next frame's header: the
    complete frames are kept by both paths, and the analysis marks it partial."""
    frames = _frames()
    text = xdatcar_text(frames, repeat_header=True) + "\n".join(_header()[:3]) + "\n"
    seg, path = _segment(tmp_path, "XDATCAR", text.encode())
    ref = _reference(frames)
    tr = read_xdatcar([path], timestep_fs=2.0, step_skip=1, temperature_K=800)
    assert f"cut off after {N_FRAMES} complete frames" in tr.meta["partial"]
    np.testing.assert_allclose(through_analysis([path]), ref, atol=1e-6)
    np.testing.assert_allclose(through_bridge(seg), ref, atol=1e-6)
