"""Fault isolation: inject NaN forces, a jumping atom and a runaway temperature
into three systems of a batch; each is stopped with its reason and step, and
the system that stays healthy gives exactly the results it gives alone."""

import numpy as np
import pytest
import torch
from torch_sim.models.interface import ModelInterface

from ionmd.engine.runner import run_batch
from ionmd.fileformat import read_system

from .helpers import argon, lj_model, quick_config, spec


class FaultyModel(ModelInterface):
    """LJ, plus faults injected into chosen systems from a chosen call on."""

    def __init__(self, faults: dict[int, str], after_call: int):
        super().__init__()
        self.inner = lj_model()
        self._device, self._dtype = self.inner.device, self.inner.dtype
        self._compute_stress, self._compute_forces = False, True
        self.faults, self.after, self.calls = faults, after_call, 0
        self.gen = torch.Generator().manual_seed(0)

    def forward(self, state, **kwargs):
        out = self.inner(state)
        self.calls += 1
        if self.calls <= self.after:
            return out
        forces = out["forces"].clone()
        # the systems present now, identified by their first atom's x (unique here)
        for sys_i in range(int(state.system_idx.max()) + 1):
            atoms = state.system_idx == sys_i
            kind = self.faults.get(int(state.n_atoms_per_system[sys_i]))
            if kind == "nan":
                forces[atoms] = float("nan")
            elif kind == "jump" and self.calls == self.after + 1:  # one kick
                first = torch.nonzero(atoms)[0, 0]
                forces[first] = 250.0  # about 2.4 Å in the next step
            elif kind == "heat":
                forces[atoms] += 3.0 * torch.randn(
                    int(atoms.sum()), 3, generator=self.gen, dtype=forces.dtype
                )
        return {**out, "forces": forces}


def _good_alone(cfg, tmp_path, good):
    run_batch(
        [good],
        lj_model(),
        md=cfg.md,
        out_path=tmp_path / "alone.h5",
        model_name="lj",
    )
    return read_system(tmp_path / "alone.h5", good.key)


def _check(summary, path, cfg, bad, good, alone):
    assert set(summary.failed) == {s.key for s in bad}
    for s in bad:
        rec = read_system(path, s.key)
        assert rec.attrs["status"] == "failed"
        assert rec.attrs["failure_reason"] == summary.failed[s.key]
        assert 0 < rec.attrs["steps_done"] < cfg.n_steps
        assert np.isfinite(rec.positions).all()  # nothing after the fault was kept
    b = read_system(path, good.key)
    assert b.attrs["status"] == "done" and b.attrs["steps_done"] == cfg.n_steps
    np.testing.assert_allclose(b.positions, alone.positions, rtol=0, atol=1e-9)
    for name in ("mobile_A2", "framework_A2", "collective_A2"):
        np.testing.assert_allclose(b.msd[name], alone.msd[name], rtol=1e-9)


def test_nan_forces_and_runaway_temperature(tmp_path):
    cfg = quick_config(duration_ps=0.5, equilibration_ps=0.1, flush_every_ps=0.1)
    good = spec(argon(2), 50.0, "good")  # 32 atoms
    nan = spec(argon(3), 50.0, "nan")  # 108 atoms
    heat = spec(argon(2, li_every=3).repeat((3, 1, 1)), 50.0, "heat")  # 96 atoms
    model = FaultyModel({108: "nan", 96: "heat"}, after_call=40)
    summary = run_batch(
        [nan, good, heat],
        model,
        md=cfg.md,
        out_path=tmp_path / "b.h5",
        model_name="faulty",
    )
    assert "non-finite" in summary.failed[nan.key]
    assert "temperature ran away" in summary.failed[heat.key]
    _check(
        summary, tmp_path / "b.h5", cfg, [nan, heat], good, _good_alone(cfg, tmp_path, good)
    )


def test_jumping_atom(tmp_path):
    # temperature limit off, so the displacement check is the one that fires
    cfg = quick_config(
        duration_ps=0.5,
        equilibration_ps=0.1,
        flush_every_ps=0.1,
        fault_check_every_fs=5.0,
        max_temperature_factor=1e9,
    )
    good = spec(argon(2), 50.0, "good")
    jump = spec(argon(2, li_every=2).repeat((2, 1, 1)), 50.0, "jump")  # 64 atoms
    model = FaultyModel({64: "jump"}, after_call=40)
    summary = run_batch(
        [good, jump],
        model,
        md=cfg.md,
        out_path=tmp_path / "b.h5",
        model_name="faulty",
    )
    assert "moved" in summary.failed[jump.key]
    _check(summary, tmp_path / "b.h5", cfg, [jump], good, _good_alone(cfg, tmp_path, good))


def test_resume_after_a_system_failed(tmp_path):
    cfg = quick_config(duration_ps=0.5, equilibration_ps=0.1, flush_every_ps=0.1)
    good = spec(argon(2), 50.0, "good")
    nan = spec(argon(3), 50.0, "nan")

    def model():
        return FaultyModel({108: "nan"}, after_call=30)

    ref = run_batch(
        [nan, good],
        model(),
        md=cfg.md,
        out_path=tmp_path / "ref.h5",
        model_name="faulty",
    )
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            [nan, good],
            model(),
            md=cfg.md,
            out_path=tmp_path / "run.h5",
            model_name="faulty",
            stop_after_step=70,
        )
    run_batch(
        [nan, good],
        model(),
        md=cfg.md,
        out_path=tmp_path / "run.h5",
        model_name="faulty",
        resume=True,
    )
    for key in (nan.key, good.key):
        a, b = read_system(tmp_path / "ref.h5", key), read_system(tmp_path / "run.h5", key)
        assert a.attrs["status"] == b.attrs["status"]
        assert a.attrs["failure_reason"] == b.attrs["failure_reason"]
        np.testing.assert_array_equal(a.positions, b.positions)
    assert set(ref.failed) == {nan.key}
