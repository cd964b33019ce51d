"""The writer keeps ``/framework/<key>`` consistent with the Li frames: a resume
(truncate_after, rewind) drops framework frames after the checkpoint, and a
system removed by a rewind loses its framework group too."""

from __future__ import annotations

import h5py
import numpy as np

from ionmd.fileformat import RunFileWriter, SystemInfo, SystemUpdate, read_system
from ionmd.fileformat.reader import read_framework


def _file(tmp_path):
    w = RunFileWriter(tmp_path / "r.h5")
    species = ("Li", "Ar", "Ar", "Li", "Ar")
    w.create_systems(
        [
            SystemInfo(
                key="k_1K",
                material_id="k",
                formula="Li2Ar3",
                temperature_K=1.0,
                timestep_fs=1.0,
                steps_total=100,
                equilibration_steps=0,
                sample_every_steps=10,
                cell=np.eye(3) * 5.0,
                species=species,
            )
        ]
    )
    li_steps = np.array([0, 10, 20, 30])
    fw_steps = np.array([0, 20])
    w.write(
        [
            SystemUpdate(
                key="k_1K",
                positions=np.random.default_rng(0).normal(size=(4, 2, 3)),
                position_steps=li_steps,
                framework_positions=np.arange(2 * 3 * 3, dtype=float).reshape(2, 3, 3),
                framework_steps=fw_steps,
                steps_done=30,
            )
        ]
    )
    return w


def test_framework_frames_are_written_and_read(tmp_path):
    _file(tmp_path)
    fw = read_framework(tmp_path / "r.h5", "k_1K")
    np.testing.assert_array_equal(fw.steps, [0, 20])
    np.testing.assert_array_equal(fw.numbers, [18, 18, 18])
    np.testing.assert_array_equal(fw.positions[1], np.arange(9, 18).reshape(3, 3))


def test_truncate_drops_framework_frames_after_the_checkpoint(tmp_path):
    w = _file(tmp_path)
    w.rewind(steps={"k_1K": 10}, keep=[])  # the resume of both protocols
    assert read_system(tmp_path / "r.h5", "k_1K").position_steps.tolist() == [0, 10]
    assert read_framework(tmp_path / "r.h5", "k_1K").steps.tolist() == [0]
    with h5py.File(tmp_path / "r.h5") as f:
        assert f["framework/k_1K/position/value"].shape[0] == 1


def test_rewind_removes_the_framework_of_a_removed_system(tmp_path):
    w = _file(tmp_path)
    w.rewind(steps={}, keep=[])
    with h5py.File(tmp_path / "r.h5") as f:
        assert "framework/k_1K" not in f and "parameters/k_1K" not in f
