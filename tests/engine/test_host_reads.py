"""No host round-trips in the step loop: between flushes and fault checks an
ordinary step reads no device tensor on the host (issue 16).

Counted on the CPU by wrapping the torch.Tensor read methods
(benchmarks/host_reads.py). Reads inside torch-sim's step function (the integrator
and the model it calls) are counted apart and only reported: they are not ionmd's
(docs/engine.md lists them)."""

import pytest

from benchmarks.host_reads import count_host_reads
from ionmd.engine.runner import run_batch

from .helpers import argon, lj_model, quick_config, spec


def _run(tmp_path, **cfg):
    config = quick_config(temperatures_K=(40.0, 60.0, 80.0), **cfg)
    systems = [spec(argon(2), t, material_id=f"ar{i}") for i, t in enumerate((40, 60, 80))]
    model = lj_model()
    with count_host_reads() as counter:
        run_batch(
            systems,
            model,
            md=config.md,
            out_path=tmp_path / "r.h5",
            model_name="lj",
            step_callback=counter.step_done,
        )
    return config, counter


@pytest.mark.parametrize("framework_every_fs", [0.0, 50.0])
def test_ordinary_steps_read_nothing_on_the_host(tmp_path, framework_every_fs):
    # framework frames (every other Li frame) stay on the device until the flush
    # 200 steps of 5 fs: fault checks every 20 steps, flushes every 100, thermo
    # every 5 steps and MSD samples every step: ordinary steps still do work.
    config, counter = _run(
        tmp_path,
        duration_ps=1.0,
        equilibration_ps=0.1,
        thermo_every_fs=25.0,
        fault_check_every_fs=100.0,
        flush_every_ps=0.5,
        framework_every_fs=framework_every_fs,
    )
    n = config.n_steps
    special = {
        s
        for s in range(1, n + 1)
        if s % config.fault_check_every_steps == 0 or s % config.flush_every_steps == 0
    } | {n}
    ours = counter.per_step("ionmd")
    ordinary = {s: k for s, k in ours.items() if s not in special and s > 0}
    where = [w for (o, w), k in counter.where.items() if o == "ionmd"]
    assert ordinary == {}, f"host reads on ordinary steps: {ordinary}; at {where}"
    # the periodic checks do read (one small copy each): the counter sees them
    assert any(ours.get(s, 0) > 0 for s in special)


def test_counter_sees_reads_in_the_loop(tmp_path, monkeypatch):
    """The counter is not blind: a per-step .item() in the loop is counted."""
    from ionmd.engine.inflight import InFlightBatch

    orig = InFlightBatch._record

    def record(self):
        orig(self)
        self.st.positions.sum().item()

    monkeypatch.setattr(InFlightBatch, "_record", record)
    config, counter = _run(tmp_path, duration_ps=0.1, equilibration_ps=0.0)
    ours = counter.per_step("ionmd")
    assert all(ours.get(s, 0) >= 1 for s in range(1, config.n_steps + 1))


def test_thermo_matches_torch_sim():
    """Our sync-free temperature and NH invariant equal torch-sim's."""
    import torch

    from ionmd.engine import integrator as nh
    from ionmd.engine.systems import build_state
    from ionmd.engine.thermo import Thermo

    systems = [spec(argon(2), t, material_id=f"ar{i}") for i, t in enumerate((40, 80))]
    model = lj_model()
    state, p, kT = build_state(systems, device=torch.device("cpu"), dtype=torch.float64)
    st = nh.nh_init(state, model, kT=kT, momenta=p, timestep_fs=5.0, tau_fs=100.0)
    for _ in range(5):
        st = nh.nh_step(st, model, kT=kT, dt=nh.time_internal(5.0))
    th = Thermo.of_state(st, n_systems=2)
    torch.testing.assert_close(th.temperature_K(st), nh.kinetic_temperature_K(st))
    torch.testing.assert_close(
        th.conserved_energy_eV(st, kT=kT), nh.nh_conserved_energy(st, kT=kT)
    )


def test_in_flight_batch_ordinary_steps_read_nothing(tmp_path):
    """The adaptive protocol's in-flight batch, with two cohorts (systems that
    entered at different steps): no host read on ordinary steps either."""
    from ionmd.engine.checkpoint import batch_fingerprint
    from ionmd.engine.inflight import InFlightBatch

    config = quick_config(
        temperatures_K=(40.0, 60.0, 80.0),
        duration_ps=1.0,
        equilibration_ps=0.1,
        thermo_every_fs=25.0,
        fault_check_every_fs=100.0,
        flush_every_ps=0.5,
    )
    p = config.md
    chunk = 4 * p.fault_check_every_steps
    systems = [spec(argon(2), t, material_id=f"ar{i}") for i, t in enumerate((40, 60, 80))]
    fp = batch_fingerprint(protocol={}, model_name="lj", model_version="", systems=[])
    pool = InFlightBatch(
        lj_model(), md=p, out_path=tmp_path / "r.h5", model_name="lj",
        model_version="", run_config={}, fingerprint_hex=fp, chunk_steps=chunk,
    )  # fmt: skip
    orig = InFlightBatch._record
    with count_host_reads() as counter:

        def record(self):
            orig(self)
            counter.step_done(self.step, self.st)

        InFlightBatch._record = record
        try:
            pool.start()
            pool.add(systems[:2], steps_total=chunk)
            pool.advance(chunk)
            pool.flush()
            pool.add(systems[2:], steps_total=chunk)
            pool.advance(2 * chunk)
        finally:
            InFlightBatch._record = orig
    special = {
        s
        for s in range(1, 3 * chunk + 1)
        if s % p.fault_check_every_steps == 0 or s % p.flush_every_steps == 0
    }
    ours = counter.per_step("ionmd")
    ordinary = {s: k for s, k in ours.items() if s not in special and s > 0}
    where = [w for (o, w), k in counter.where.items() if o == "ionmd"]
    assert ordinary == {}, f"host reads on ordinary steps: {ordinary}; at {where}"
    assert any(ours.get(s, 0) > 0 for s in special)
