"""Collecting a run cut into segments gives back the uncut trajectory; seams are checked."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from ionmd.errors import InputError
from ionmd.fileformat import list_systems, read_system
from ionmd.vasp_bridge.collect import collect_run, write_runs
from tests.vasp_bridge import _segmented as sg

CUTS = [(0, 50), (50, 97), (97, 140)]


def _reference_unwrapped(shared):
    """Uncut file read by ASE (an independent reader), unwrapped here."""
    from ase.io import read

    frames = read(str(sg.xdatcar_path(shared)), index=":", format="vasp-xdatcar")
    frac = np.stack([a.get_scaled_positions(wrap=False) for a in frames])
    d = np.diff(frac, axis=0)
    d -= np.round(d)
    ref = np.concatenate([frac[:1], frac[0] + np.cumsum(d, axis=0)])
    return ref, frames[0].cell.array, frames[0].get_chemical_symbols()


def test_three_segments_give_the_uncut_trajectory(tmp_path, shared):
    run_dir = sg.build_run(tmp_path, shared, cuts=CUTS)
    run = collect_run(run_dir)
    ref, cell, symbols = _reference_unwrapped(shared)
    assert run.frac_unwrapped.shape == ref.shape == (140, 416, 3)
    assert list(run.symbols) == symbols
    np.testing.assert_allclose(run.cell, cell, atol=1e-6)
    np.testing.assert_allclose(run.frac_unwrapped, ref, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(run.steps, np.arange(1, 141) * sg.NBLOCK)
    assert run.steps_done == 7000
    # atoms do cross cell faces (wrapped jumps > 1/2), so unwrapping is exercised
    wrapped = np.mod(run.frac_unwrapped, 1.0)
    assert np.abs(np.diff(wrapped, axis=0)).max() > 0.5
    assert np.abs(np.diff(run.frac_unwrapped, axis=0)).max() < 0.5
    # thermo: one temperature per MD step, global steps 1..7000
    steps, temps = run.thermo["temperature_K"]
    np.testing.assert_array_equal(steps, np.arange(1, 7001))
    assert 500 < temps.mean() < 700
    # cost: sum of the segments' elapsed times (1000, 2000, 3000 s) on 64 cores
    assert run.cost.wall_time_s == pytest.approx(6000.0)
    assert run.cost.n_cores == 64
    assert run.cost.core_hours == pytest.approx(6000.0 * 64 / 3600)


def test_single_segment_equals_the_cut_one(tmp_path, shared):
    one = collect_run(sg.build_run(tmp_path / "a", shared, cuts=[(0, 140)]))
    three = collect_run(sg.build_run(tmp_path / "b", shared, cuts=CUTS))
    np.testing.assert_array_equal(one.frac_unwrapped, three.frac_unwrapped)


def test_gap_between_segments_is_an_error(tmp_path, shared):
    # segment 1 restarts 3 frames after the end of segment 0: frames 50-52 are missing
    run_dir = sg.build_run(tmp_path, shared, cuts=[(0, 50), (53, 140)], starts=[0, 52])
    with pytest.raises(InputError, match="gap between seg_000 and seg_001"):
        collect_run(run_dir)


def test_overlap_between_segments_is_an_error(tmp_path, shared):
    # segment 1 restarts from frame 46 of segment 0: frames 47-49 would be repeated
    run_dir = sg.build_run(tmp_path, shared, cuts=[(0, 50), (47, 140)], starts=[0, 46])
    with pytest.raises(InputError, match=r"overlap between seg_000 and seg_001.*3 frame"):
        collect_run(run_dir)


def test_duplicated_frames_inside_a_segment_are_an_error(tmp_path, shared):
    run_dir = sg.build_run(tmp_path, shared, cuts=CUTS)
    xdat = run_dir / "seg_000" / "XDATCAR"
    header, frames = sg.split_xdatcar(sg.xdatcar_path(shared))
    # VASP run twice into the same XDATCAR: 5 frames too many for the steps done
    xdat.write_text(sg._xdatcar_text(header, frames[0:45] + frames[40:50]))
    with pytest.raises(InputError, match="seg_000: 55 XDATCAR frames.*overlap"):
        collect_run(run_dir)


def test_lost_frames_in_a_middle_segment_are_an_error(tmp_path, shared):
    run_dir = sg.build_run(tmp_path, shared, cuts=CUTS)
    header, frames = sg.split_xdatcar(sg.xdatcar_path(shared))
    (run_dir / "seg_001" / "XDATCAR").write_text(sg._xdatcar_text(header, frames[50:90]))
    with pytest.raises(InputError, match="seg_001: 40 XDATCAR frames.*gap"):
        collect_run(run_dir)


def test_truncated_last_segment_is_tolerated(tmp_path, shared):
    run_dir = sg.build_run(tmp_path, shared, cuts=CUTS)
    xdat = run_dir / "seg_002" / "XDATCAR"
    text = xdat.read_text()
    xdat.write_text(text[: len(text) - 5000])  # killed while writing frame 43 of 43
    run = collect_run(run_dir)
    ref, _, _ = _reference_unwrapped(shared)
    assert run.frac_unwrapped.shape[0] == 139
    np.testing.assert_allclose(run.frac_unwrapped, ref[:139], rtol=0, atol=1e-10)
    assert run.steps_done == 139 * sg.NBLOCK
    assert any("cut short" in n for n in run.notes)


def test_gzipped_segment_xdatcar(tmp_path, shared):
    run_dir = sg.build_run(tmp_path, shared, cuts=CUTS)
    plain = run_dir / "seg_001" / "XDATCAR"
    with gzip.open(plain.with_suffix(".gz"), "wt") as fh:
        fh.write(plain.read_text())
    plain.unlink()
    ref, _, _ = _reference_unwrapped(shared)
    np.testing.assert_allclose(collect_run(run_dir).frac_unwrapped, ref, atol=1e-10)


def test_run_file_matches_the_contract(tmp_path, shared):
    run = collect_run(sg.build_run(tmp_path, shared, cuts=CUTS))
    out = write_runs(
        [run], out_path=tmp_path / "vasp.h5", equilibration_ps=1.0, drift_correct=False
    )
    assert list_systems(out) == ["li6ps5cl_600K"]
    rec = read_system(out, "li6ps5cl_600K")
    a = rec.attrs
    assert a["source"] == "vasp" and a["model_name"] == "vasp-pbe"
    assert a["n_mobile"] == 192 and a["n_atoms"] == 416
    assert a["equilibration_steps"] == 500 and a["sample_every_steps"] == sg.NBLOCK
    assert a["steps_done"] == 7000 and a["status"] == "done"
    # frames from the end of equilibration (step 500) on, Li only, Cartesian
    ref, cell, symbols = _reference_unwrapped(shared)
    li = np.array([s == "Li" for s in symbols])
    keep = np.arange(1, 141) * sg.NBLOCK >= 500
    np.testing.assert_allclose(rec.positions, (ref @ cell)[keep][:, li], atol=1e-8)
    # MSD at a lag of 10 frames, recomputed here by brute force
    lag_steps = rec.msd["lag_steps"]
    k = int(np.flatnonzero(lag_steps == 10 * sg.NBLOCK)[0])
    pos = (ref @ cell)[keep][:, li]
    d = pos[10:] - pos[:-10]
    tracer = np.mean(np.sum(d * d, axis=-1))
    assert rec.msd["mobile_A2"][k] == pytest.approx(tracer, rel=1e-10)
    s = d.sum(axis=1)
    assert rec.msd["collective_A2"][k] == pytest.approx(
        np.mean(np.sum(s * s, axis=-1)), rel=1e-10
    )
    assert np.all(np.isfinite(rec.msd["framework_A2"]))


def test_missing_poscar_cannot_be_checked(tmp_path, shared):
    run_dir = sg.build_run(tmp_path, shared, cuts=CUTS)
    (run_dir / "seg_001" / "POSCAR").unlink()
    with pytest.raises(InputError, match="seg_001: no POSCAR"):
        collect_run(run_dir)


def test_later_segment_without_earlier_one_is_refused(tmp_path, shared):
    run_dir = sg.build_run(tmp_path, shared, cuts=CUTS)
    for name in ("XDATCAR", "OSZICAR", "OUTCAR", "CONTCAR"):
        (run_dir / "seg_001" / name).unlink()
    with pytest.raises(InputError, match="seg_001 has no output but later segments do"):
        collect_run(run_dir)
    shutil.rmtree(run_dir)


def test_segment_stopped_off_the_frame_grid_is_refused(tmp_path, shared):
    """A segment that stopped 10 steps after its last frame block (a STOPCAR that
    missed the block end) puts the next segment's frames off the 50-step grid."""
    run_dir = sg.build_run(tmp_path, shared, cuts=CUTS)
    (run_dir / "seg_000" / "OSZICAR").write_text(sg._oszicar_text(50 * sg.NBLOCK + 10))
    with pytest.raises(InputError, match="seg_001 starts at step 2510, not a multiple"):
        collect_run(run_dir)


def test_contcar_one_step_after_the_last_frame_is_accepted(tmp_path, shared):
    """If VASP's XDATCAR frames were the geometry before each step's update, the
    CONTCAR would lie one step past the last frame: the seam still holds, because
    the next segment starts from that CONTCAR."""
    header, frames = sg.split_xdatcar(sg.xdatcar_path(shared))
    run_dir = sg.build_run(tmp_path, shared, cuts=CUTS)
    for k, (_, b) in enumerate(CUTS[:-1]):
        shifted = sg._poscar_text(header, frames[b])  # "one step later" stand-in
        (run_dir / f"seg_{k:03d}" / "CONTCAR").write_text(shifted)
        (run_dir / f"seg_{k + 1:03d}" / "POSCAR").write_text(shifted)
    assert collect_run(run_dir).frac_unwrapped.shape == (140, 416, 3)
