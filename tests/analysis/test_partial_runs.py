"""Data that end before their protocol are analysed but marked: a vasprun.xml cut
in the middle (a run killed at its walltime) and an engine run file whose system
is still ``running`` give ``partial: true``, the reason and the frames read in
results.json, and say so in the report."""

from __future__ import annotations

import json

import numpy as np
from analysis_helpers import random_walk, write_xdatcar
from test_readers import _vasprun

from ionmd.cli import main
from ionmd.fileformat import RunFileWriter, SystemInfo, SystemUpdate, system_key

CELL = np.diag([12.0, 12.0, 12.0])
FLAGS = ["--no-compare", "--no-kinisi", "--no-figures", "--quiet"]


def _temperature_entry(out) -> dict:
    doc = json.loads((out / "results.json").read_text())
    (material,) = doc["materials"].values()
    (entry,) = material["temperatures"]
    return entry


def test_cut_vasprun_is_marked_partial(tmp_path):
    pos = random_walk(n_frames=80, n_walkers=8, D_A2_ps=0.5, dt_ps=0.002, seed=1)
    frac = np.mod(pos / 12.0, 1.0)
    frac = np.concatenate([frac, np.full((80, 2, 3), 0.25)], axis=1)
    run = tmp_path / "lpsc"
    run.mkdir()
    (run / "vasprun.xml").write_text(
        _vasprun(frac, ["Li"] * 8 + ["S"] * 2, CELL, truncate=True)
    )
    out = tmp_path / "res"
    rc = main(["analyze", str(run / "vasprun.xml"), "--out", str(out), *FLAGS])
    assert rc == 0
    t = _temperature_entry(out)
    assert t["partial"] is True and 2 <= t["n_frames_read"] < 80
    assert f"cut off after {t['n_frames_read']} ionic steps" in t["partial_reason"]
    assert f"partial: {t['n_frames_read']} frames" in (out / "report.md").read_text()


def test_cut_xdatcar_is_marked_partial(tmp_path):
    pos = random_walk(n_frames=50, n_walkers=8, D_A2_ps=0.5, dt_ps=0.002, seed=4)
    frac = np.concatenate([np.mod(pos / 12.0, 1.0), np.full((50, 2, 3), 0.25)], axis=1)
    x = write_xdatcar(
        tmp_path / "XDATCAR", frac=frac, symbols=["Li", "S"], counts=[8, 2], cell=CELL
    )
    lines = x.read_text().splitlines()
    x.write_text("\n".join(lines[:-4]) + "\n")  # the last frame cut in the middle
    out = tmp_path / "res"
    args = ["--timestep-fs", "2", "--step-skip", "1", "--temperature-K", "900"]
    assert main(["analyze", str(x), "--out", str(out), *args, *FLAGS]) == 0
    t = _temperature_entry(out)
    assert t["partial"] is True and t["n_frames_read"] == 49
    assert "cut off after 49 complete frames" in t["partial_reason"]


def test_complete_vasprun_is_not_partial(tmp_path):
    pos = random_walk(n_frames=40, n_walkers=8, D_A2_ps=0.5, dt_ps=0.002, seed=2)
    frac = np.concatenate([np.mod(pos / 12.0, 1.0), np.full((40, 2, 3), 0.25)], axis=1)
    (tmp_path / "vasprun.xml").write_text(_vasprun(frac, ["Li"] * 8 + ["S"] * 2, CELL))
    out = tmp_path / "res"
    assert main(["analyze", str(tmp_path / "vasprun.xml"), "--out", str(out), *FLAGS]) == 0
    t = _temperature_entry(out)
    assert t["partial"] is False and t["n_frames_read"] == 40


def test_run_in_progress_is_marked_partial(tmp_path):
    every, n_frames = 50, 60
    info = SystemInfo(
        key=system_key("gvd", 900.0),
        material_id="gvd",
        formula="Li3N",
        temperature_K=900.0,
        timestep_fs=2.0,
        steps_total=every * 200,
        equilibration_steps=0,
        sample_every_steps=every,
        cell=CELL,
        species=("Li",) * 8 + ("N",) * 4,
    )
    w = RunFileWriter(tmp_path / "md.h5")
    w.create_systems([info])
    pos = random_walk(n_frames=n_frames, n_walkers=8, D_A2_ps=0.5, dt_ps=0.1, seed=3)
    w.write(
        [
            SystemUpdate(
                key=info.key,
                positions=pos,
                position_steps=np.arange(n_frames) * every,
                steps_done=every * (n_frames - 1),
            )
        ]
    )  # status stays "running": the campaign is still going (or was killed)
    out = tmp_path / "res"
    assert main(["analyze", str(tmp_path / "md.h5"), "--out", str(out), *FLAGS]) == 0
    t = _temperature_entry(out)
    assert t["partial"] is True and t["n_frames_read"] == n_frames
    assert t["partial_reason"] == "run running: 2950 of 10000 steps"
    assert "partial: 60 frames" in (out / "report.md").read_text()
