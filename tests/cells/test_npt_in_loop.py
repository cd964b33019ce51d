"""The NPT stage and the NVT production are stages of the same systems in the
one MD loop (``run_batch(stage=...)``): a kill during the stage resumes the
stage from its checkpoint (not from its start), a kill during the production
continues at the stage's cell without a second stage, and both end with the
run file and stage records of an uninterrupted run; the production runs at the
stage's mean cell."""

import numpy as np
import pytest
import torch
from ase.build import bulk

from ionmd.calculators import load_model
from ionmd.campaign.config import RunConfig
from ionmd.cells.npt import npt_systems
from ionmd.cells.npt_phase import NptPhase
from ionmd.cells.settings import CellSettings
from ionmd.engine.runner import run_batch
from ionmd.engine.systems import SystemSpec
from ionmd.fileformat import list_systems, read_npt_stage, read_system

SETTINGS = CellSettings(cell="npt", npt_ps=0.4)
CONFIG = RunConfig(
    materials=("x",),
    temperatures_K=(30.0,),
    duration_ps=0.3,
    equilibration_ps=0.05,
    timestep_fs=10.0,
    sample_every_fs=50.0,
    msd_every_fs=10.0,
    thermo_every_fs=50.0,
    flush_every_ps=0.05,
    progress=False,
)
MD = CONFIG.md
#: the stage's steps (0.4 ps at 10 fs) and the production's
N_STAGE, N_PROD = 40, 30


class Counting:
    """The LJ model, counting the calls with its stress on (the stage's)."""

    def __init__(self) -> None:
        self.inner = load_model("lj", device="cpu", dtype=torch.float64)
        self.device, self.dtype = self.inner.device, self.inner.dtype
        self.stage_calls = 0

    @property
    def _compute_stress(self) -> bool:
        return self.inner._compute_stress

    @_compute_stress.setter
    def _compute_stress(self, on: bool) -> None:
        self.inner._compute_stress = on

    def __call__(self, state, **kw):
        self.stage_calls += int(bool(self.inner._compute_stress))
        return self.inner(state, **kw)


def argon_li(a_A: float, temperature_K: float, mid: str, *, seed: int = 3) -> SystemSpec:
    """A 32-atom fcc argon cell at lattice constant ``a_A``, one atom Li."""
    atoms = bulk("Ar", "fcc", a=a_A, cubic=True).repeat((2, 2, 2))
    atoms.set_chemical_symbols(["Li"] + ["Ar"] * (len(atoms) - 1))
    return SystemSpec(
        material_id=mid, atoms=atoms, temperature_K=temperature_K, run_seed=seed
    )


def _systems() -> list[SystemSpec]:
    return [argon_li(5.30, 30.0, "Ar"), argon_li(5.40, 60.0, "Ar2")]


def squeezed() -> list[SystemSpec]:
    """A system whose cell blows up at step 3 (a = 4 Å springs out past ×2),
    and one that does not."""
    return [argon_li(4.0, 30.0, "bad", seed=0), argon_li(5.30, 30.0, "ok", seed=0)]


def _run(path, model, *, systems=None, settings=SETTINGS, md=MD, **kw):
    """``run_batch`` of ``systems`` (default :func:`_systems`) with the NPT stage."""
    stage = NptPhase(
        model=model,
        settings=settings,
        timestep_fs=md.timestep_fs,
        thermostat_tau_fs=md.thermostat_tau_fs,
        mobile_species="Li",
    )
    return run_batch(
        _systems() if systems is None else systems,
        model,
        md=md,
        out_path=path,
        model_name="lj",
        stage=stage,
        **kw,
    )


def _same_file(p, q) -> None:
    assert list_systems(p) == list_systems(q)
    for key in list_systems(p):
        a, b = read_system(p, key), read_system(q, key)
        np.testing.assert_array_equal(a.positions, b.positions)
        np.testing.assert_array_equal(a.cell, b.cell)
        for name in a.msd:
            np.testing.assert_array_equal(a.msd[name], b.msd[name])
        for name in a.thermo:
            np.testing.assert_array_equal(a.thermo[name][2], b.thermo[name][2])
        sa, sb = read_npt_stage(p, key), read_npt_stage(q, key)
        np.testing.assert_array_equal(sa.volume_A3, sb.volume_A3)
        np.testing.assert_array_equal(sa.pressure_GPa, sb.pressure_GPa)
        assert a.attrs["status"] == b.attrs["status"] == "done"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "md.h5"
    model = Counting()
    summary = _run(path, model)
    return path, summary, model.stage_calls


def test_the_stage_runs_in_the_loop_then_the_production_at_its_cell(reference):
    path, summary, stage_calls = reference
    assert stage_calls == N_STAGE + 1  # its first forces and one call per step
    assert summary.steps == N_STAGE + N_PROD  # one clock: the stage, then production
    assert set(summary.stage_records) == {"Ar_30K", "Ar2_60K"}
    for key, row in summary.stage_records.items():
        run = read_system(path, key)
        np.testing.assert_array_equal(run.cell, np.asarray(row["cell_A"]))
        assert run.attrs["steps_done"] == N_PROD
        assert run.attrs["cell_source"] == "npt"
        stage = read_npt_stage(path, key)
        assert stage.volume_A3.tolist() == row["volume_A3"]
    # the standalone stage (the same per-system seeds) gives the same cells
    alone = npt_systems(
        _systems(),
        model=load_model("lj", device="cpu", dtype=torch.float64),
        settings=SETTINGS,
        timestep_fs=MD.timestep_fs,
        thermostat_tau_fs=MD.thermostat_tau_fs,
    )
    for s, r in zip(_systems(), alone, strict=True):
        np.testing.assert_array_equal(r.cell_A, summary.stage_records[s.key]["cell_A"])


@pytest.mark.parametrize("kill_at", [17, 25])
def test_a_kill_during_the_stage_resumes_it_from_its_checkpoint(
    tmp_path, reference, kill_at
):
    ref, ref_summary, _ = reference
    out = tmp_path / "md.h5"
    with pytest.raises(KeyboardInterrupt):
        _run(out, Counting(), stop_after_step=kill_at)
    assert not list_systems(out)  # no production yet: no system groups
    model = Counting()
    summary = _run(out, model, resume=True)
    # resumed at the last checkpoint (every 5 steps), not from the stage's start
    assert model.stage_calls == N_STAGE - (kill_at // 5) * 5
    assert summary.stage_records == ref_summary.stage_records
    _same_file(ref, out)


def test_a_kill_during_the_production_continues_at_the_stage_cell(tmp_path, reference):
    ref, ref_summary, _ = reference
    out = tmp_path / "md.h5"
    with pytest.raises(KeyboardInterrupt):
        _run(out, Counting(), stop_after_step=N_STAGE + 12)
    model = Counting()
    summary = _run(out, model, resume=True)
    assert model.stage_calls == 0  # no second stage
    assert summary.stage_records == ref_summary.stage_records
    _same_file(ref, out)


def test_a_system_that_melts_in_its_stage_is_failed_in_the_run_file(tmp_path):
    """A system ended by its stage gets its run-file group with the reason and
    the stage's series, and never enters the production; the other runs."""
    hot = CellSettings(cell="npt", npt_ps=0.4, pressure_GPa=-5.0)  # tension: runs away
    model = load_model("lj", device="cpu", dtype=torch.float64)
    summary = _run(tmp_path / "md.h5", model, settings=hot)
    assert summary.failed, "the test needs a system its stage ends"
    for key, why in summary.failed.items():
        run = read_system(tmp_path / "md.h5", key)
        assert run.attrs["status"] == "failed" and "NPT stage" in why
        assert run.attrs["steps_done"] == 0
        assert read_npt_stage(tmp_path / "md.h5", key) is not None
        assert summary.stage_records[key]["failed"] == why


@pytest.mark.timeout(300)
def test_out_of_memory_halves_a_batch_with_systems_in_their_stage(tmp_path, reference):
    """The two systems' stage does not fit (a device of 32 atoms): the batch is
    halved in the engine, the newest system waits, and each runs its stage and
    production in turn, to the records and cells of the batch that fit (before:
    a batch with a stage was not halved; at the production's entry the halving
    went round without end, then the error went to the caller)."""
    _, ref_summary, _ = reference

    class SmallDevice(Counting):
        def __call__(self, state, **kw):
            if state.positions.shape[0] > 32:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
            return super().__call__(state, **kw)

    summary = _run(tmp_path / "md.h5", SmallDevice())
    assert summary.oom_held_atoms == (64,)
    assert not summary.failed
    assert set(summary.stage_records) == set(ref_summary.stage_records)
    for key, row in summary.stage_records.items():
        ref = ref_summary.stage_records[key]
        np.testing.assert_allclose(row["cell_A"], ref["cell_A"], rtol=1e-12)
        run = read_system(tmp_path / "md.h5", key)
        assert run.attrs["status"] == "done" and run.attrs["steps_done"] == N_PROD


def test_a_kill_after_a_blow_up_resumes_to_the_same_file(tmp_path):
    """A blown-up system leaves its group's NPT state (the others go on); a kill
    after that resumes the smaller group from its checkpoint, bit for bit."""

    def run(path, model, **kw):
        return _run(path, model, systems=squeezed(), **kw)

    ref = run(tmp_path / "ref.h5", Counting())
    assert list(ref.failed) == ["bad_30K"]
    out = tmp_path / "md.h5"
    with pytest.raises(KeyboardInterrupt):
        run(out, Counting(), stop_after_step=17)  # the blow-up is at step 3
    model = Counting()
    got = run(out, model, resume=True)
    assert model.stage_calls == N_STAGE - 15  # from the checkpoint at step 15
    assert got.stage_records == ref.stage_records and got.failed == ref.failed
    a, b = read_system(tmp_path / "ref.h5", "ok_30K"), read_system(out, "ok_30K")
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.cell, b.cell)
