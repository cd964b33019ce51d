"""Kill a batch mid-run, resume it, get the same run file as an uninterrupted run."""

import h5py
import numpy as np
import pytest

from ionmd.engine.runner import run_batch
from ionmd.errors import InputError
from ionmd.fileformat import list_systems, read_system

from .helpers import argon, lj_model, quick_config, spec


def _systems():
    return [spec(argon(2), 40.0, "a"), spec(argon(2, li_every=3), 90.0, "b")]


CFG = dict(duration_ps=0.5, equilibration_ps=0.1, flush_every_ps=0.05)


def _assert_same_file(p, q):
    assert list_systems(p) == list_systems(q)
    for key in list_systems(p):
        a, b = read_system(p, key), read_system(q, key)
        np.testing.assert_array_equal(a.positions, b.positions)
        np.testing.assert_array_equal(a.position_steps, b.position_steps)
        for name in a.msd:
            np.testing.assert_array_equal(a.msd[name], b.msd[name])
        for name in a.thermo:
            np.testing.assert_array_equal(a.thermo[name][2], b.thermo[name][2])
        assert a.attrs["steps_done"] == b.attrs["steps_done"]
        assert a.attrs["status"] == b.attrs["status"] == "done"


@pytest.mark.parametrize("kill_at", [37, 60])
def test_kill_and_resume_is_bit_identical(tmp_path, kill_at):
    cfg = quick_config(**CFG)
    ref = tmp_path / "ref.h5"
    run_batch(_systems(), lj_model(), md=cfg.md, out_path=ref, model_name="lj")
    out = tmp_path / "run.h5"
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            _systems(),
            lj_model(),
            md=cfg.md,
            out_path=out,
            model_name="lj",
            stop_after_step=kill_at,
        )
    # the file is readable mid-run and holds only complete blocks
    with h5py.File(out, "r") as f:
        steps_done = f["parameters/a_40K"].attrs["steps_done"]
        assert 0 < steps_done <= kill_at
    summary = run_batch(
        _systems(),
        lj_model(),
        md=cfg.md,
        out_path=out,
        model_name="lj",
        resume=True,
    )
    assert summary.steps == cfg.n_steps - (kill_at // 10) * 10  # flush every 10 steps
    _assert_same_file(ref, out)


def test_resume_with_another_protocol_is_refused(tmp_path):
    cfg = quick_config(**CFG)
    out = tmp_path / "run.h5"
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            _systems(),
            lj_model(),
            md=cfg.md,
            out_path=out,
            model_name="lj",
            stop_after_step=25,
        )
    other = quick_config(**{**CFG, "timestep_fs": 4.0})
    with pytest.raises(InputError, match="another model, protocol"):
        run_batch(
            _systems(),
            lj_model(),
            md=other.md,
            out_path=out,
            model_name="lj",
            resume=True,
        )


def test_a_failure_recorded_after_the_checkpoint_is_cleared_on_resume(tmp_path):
    """A system that failed between the last checkpoint and a kill runs again from
    the checkpoint; when it then finishes, its run file says ``done`` with no reason
    left over from the failure the checkpoint never saw."""
    cfg = quick_config(**CFG)
    ref = tmp_path / "ref.h5"
    run_batch(_systems(), lj_model(), md=cfg.md, out_path=ref, model_name="lj")
    out = tmp_path / "run.h5"
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            _systems(),
            lj_model(),
            md=cfg.md,
            out_path=out,
            model_name="lj",
            stop_after_step=37,  # last checkpoint at step 30
        )
    with h5py.File(out, "a") as f:  # what the fault check writes at step 35
        f["parameters/a_40K"].attrs["status"] = "failed"
        f["parameters/a_40K"].attrs["failure_reason"] = "temperature ran away"
    summary = run_batch(
        _systems(),
        lj_model(),
        md=cfg.md,
        out_path=out,
        model_name="lj",
        resume=True,
    )
    assert summary.failed == {}
    _assert_same_file(ref, out)
    assert read_system(out, "a_40K").attrs["failure_reason"] == ""
