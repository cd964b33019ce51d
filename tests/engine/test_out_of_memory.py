"""The one MD loop under an injected out-of-memory error (the study's fixed
batch): the capacity is halved, the batch goes on from its last checkpoint with
its oldest systems, the newest wait and re-enter from their step 0 when the batch
is empty, and every system ends ``done`` with the trajectory it has alone."""

import numpy as np
import pytest
import torch

from ionmd.engine import inflight
from ionmd.engine.runner import run_batch
from ionmd.fileformat import list_systems, read_system

from .helpers import SmallDevice, argon, lj_model, quick_config, spec

CFG = dict(duration_ps=0.5, equilibration_ps=0.1, flush_every_ps=0.05)  # 100 steps


def _systems():
    return [spec(argon(2), t, f"ar{i}") for i, t in enumerate((30.0, 40.0, 50.0, 60.0))]


def _small_device(monkeypatch, *, at_call: int | None) -> list[int]:
    """``nh_step`` fails above 64 atoms (at call ``at_call`` only, or always);
    returns the atoms of every call."""
    real, sizes = inflight.nh.nh_step, []

    def step(st, *args, **kwargs):
        sizes.append(int(st.positions.shape[0]))
        if sizes[-1] > 64 and at_call in (None, len(sizes)):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
        return real(st, *args, **kwargs)

    monkeypatch.setattr(inflight.nh, "nh_step", step)
    return sizes


def _run(path, **kw):
    cfg = quick_config(**CFG)
    return run_batch(
        _systems(), lj_model(), md=cfg.md, out_path=path, model_name="lj", **kw
    )


def test_out_of_memory_halves_the_batch_and_every_system_finishes(tmp_path, monkeypatch):
    cfg = quick_config(**CFG)
    alone = {}
    for s in _systems():
        path = tmp_path / f"alone_{s.key}.h5"
        run_batch([s], lj_model(), md=cfg.md, out_path=path, model_name="lj")
        alone[s.key] = read_system(path, s.key)
    sizes = _small_device(monkeypatch, at_call=15)  # after the checkpoint at step 10
    summary = _run(tmp_path / "run.h5")
    assert summary.oom_held_atoms == (128,) and summary.failed == {}
    assert sizes[:15] == [128] * 15 and max(sizes[15:]) == 64
    assert sorted(list_systems(tmp_path / "run.h5")) == sorted(alone)
    for key, ref in alone.items():
        got = read_system(tmp_path / "run.h5", key)
        assert got.attrs["status"] == "done" and got.attrs["failure_reason"] == ""
        assert got.attrs["steps_done"] == cfg.n_steps
        np.testing.assert_array_equal(got.position_steps, ref.position_steps)
        np.testing.assert_allclose(got.positions, ref.positions, rtol=0, atol=1e-9)
        for name in ("mobile_A2", "framework_A2", "collective_A2"):
            np.testing.assert_allclose(got.msd[name], ref.msd[name], rtol=1e-9)


@pytest.mark.parametrize("kill_at", [57, 150])  # the first half running; the second
def test_a_kill_while_systems_wait_resumes_to_the_same_file(tmp_path, monkeypatch, kill_at):
    _small_device(monkeypatch, at_call=None)  # 128 atoms never fit
    ref = _run(tmp_path / "ref.h5")
    assert ref.oom_held_atoms == (128,)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "run.h5", stop_after_step=kill_at)
    _run(tmp_path / "run.h5", resume=True)
    for key in list_systems(tmp_path / "ref.h5"):
        a, b = read_system(tmp_path / "ref.h5", key), read_system(tmp_path / "run.h5", key)
        np.testing.assert_array_equal(a.positions, b.positions)
        for name in a.msd:
            np.testing.assert_array_equal(a.msd[name], b.msd[name])
        assert a.attrs["status"] == b.attrs["status"] == "done"
    assert sorted(list_systems(tmp_path / "run.h5")) == sorted(
        list_systems(tmp_path / "ref.h5")
    )


def test_an_oom_at_entry_halves_the_batch_in_the_engine(tmp_path, monkeypatch):
    """The allocation fails at the batch's first force call (entering, before any
    step or checkpoint): the engine halves it there too (before: the error went
    on to the campaign, which split the whole batch and started it again)."""
    real, sizes = inflight.nh.nh_init, []

    def init(state, *args, **kwargs):
        sizes.append(int(state.positions.shape[0]))
        if sizes[-1] > 64:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
        return real(state, *args, **kwargs)

    monkeypatch.setattr(inflight.nh, "nh_init", init)
    summary = _run(tmp_path / "run.h5")
    assert sizes == [128, 64, 64] and summary.oom_held_atoms == (128,)
    n_steps = quick_config(**CFG).n_steps
    for key in list_systems(tmp_path / "run.h5"):
        attrs = read_system(tmp_path / "run.h5", key, positions=False).attrs
        assert attrs["status"] == "done" and attrs["steps_done"] == n_steps
    # the work done: each system's own steps, not the batch clock's 2 x n_steps
    assert summary.steps == 2 * n_steps
    assert summary.atom_steps == 4 * 32 * n_steps and summary.system_steps == 4 * n_steps


def test_a_resume_that_does_not_fit_is_halved_in_the_loop(tmp_path):
    """A batch killed after its checkpoint and resumed on a device that holds half
    of it: restoring runs no force call (the checkpoint has the forces), so the
    first force call is the first step's, inside the one loop, which halves the
    batch; every system ends ``done`` with the trajectory it has alone. Before:
    the restore's force call ran out of memory outside the loop and the error
    went on to the campaign, which split the batch and started it again."""
    cfg = quick_config(**CFG)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "run.h5", stop_after_step=57)  # checkpoint at step 50
    small = SmallDevice(lj_model(), max_atoms=64)
    summary = run_batch(
        _systems(), small, md=cfg.md, out_path=tmp_path / "run.h5", model_name="lj",
        resume=True,
    )  # fmt: skip
    assert summary.oom_held_atoms == (128,) and summary.failed == {}
    assert small.sizes[0] == 128 and max(small.sizes[1:]) == 64
    for s in _systems():
        path = tmp_path / f"alone_{s.key}.h5"
        run_batch([s], lj_model(), md=cfg.md, out_path=path, model_name="lj")
        ref, got = read_system(path, s.key), read_system(tmp_path / "run.h5", s.key)
        assert got.attrs["status"] == "done" and got.attrs["steps_done"] == cfg.n_steps
        np.testing.assert_array_equal(got.position_steps, ref.position_steps)
        np.testing.assert_allclose(got.positions, ref.positions, rtol=0, atol=1e-9)
        for name in ("mobile_A2", "framework_A2", "collective_A2"):
            np.testing.assert_allclose(got.msd[name], ref.msd[name], rtol=1e-9)
