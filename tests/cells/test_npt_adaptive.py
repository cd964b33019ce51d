"""``cell = "npt"`` with ``protocol = "adaptive"``: every system the loop runs,
an initial temperature or one it adds, runs its own NPT stage in the loop (its
stage row in campaign.json's ``cells``, its run-file group at the stage's cell
with the stage's series), is judged only from its production (which starts at
the first chunk boundary after its stage: ``entered_step``, ``run_ps``), and a
kill during a stage or a production resumes to the run file of an
uninterrupted run. (Before: refused, because an added temperature would have
run at another temperature's NPT cell with no stage of its own.)

The campaign: the tiny LJ cell (32 atoms) at 40 K; the loop adds 50 K at once
(``min_reliable_temperatures = 2``) and both fit the batch. The stage is 100
steps of 10 fs, the chunk 30 steps, so the stage ends mid-chunk (step 100) and
the production starts at step 120."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ionmd.campaign.config import RunConfig
from ionmd.campaign.run import run_campaign
from ionmd.fileformat import read_npt_stage, read_system
from tests.campaign.tiny import run_file_arrays, write_cif

CHUNK, STAGE, PROD = 30, 100, 60  # steps
ENTER = 120  # the first chunk boundary after the stage's 100 steps


def _flat(cif: Path, **changes) -> dict:
    return (
        dict(
            materials=(str(cif),),
            model="lj",
            device="cpu",
            dtype="float64",
            temperatures_K=(40.0,),
            min_cell_length_A=10.0,
            timestep_fs=10.0,
            equilibration_ps=0.1,
            sample_every_fs=50.0,
            msd_every_fs=10.0,
            thermo_every_fs=50.0,
            fault_check_every_fs=50.0,
            flush_every_ps=0.1,
            progress=False,
            seed=7,
            protocol="adaptive",
            chunk_ps=0.3,
            max_duration_ps=0.6,
            min_reliable_temperatures=2,
            min_temperature_K=40.0,
            max_temperature_K=50.0,
            temperature_step_K=10.0,
            max_atoms_per_batch=64,
            cell="npt",
            npt_ps=1.0,
        )
        | changes
    )


def _run(tmp: Path, name: str, **changes) -> Path:
    cif = tmp / "lj_li.cif"
    if not cif.exists():
        write_cif(cif)
    out = tmp / name
    run_campaign(RunConfig(**_flat(cif, **changes), out=str(out)), analyze=False)
    return out


def _state(out: Path) -> dict:
    return json.loads((out / "adaptive.json").read_text())


def _cells(out: Path) -> dict:
    return json.loads((out / "campaign.json").read_text()).get("cells") or {}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("npt_adaptive"), "ref")


def test_every_system_added_ones_too_runs_its_own_stage(reference: Path) -> None:
    st = _state(reference)
    assert st["done"]
    systems = st["systems"]
    added = [k for k, r in systems.items() if r.get("added")]
    assert added == ["lj_li_50K"], "the test needs a temperature the loop added"
    cells = _cells(reference)
    assert sorted(cells) == sorted(systems) == ["lj_li_40K", "lj_li_50K"]
    for key, rec in systems.items():
        row = cells[key]
        assert row["cell_source"] == "npt" and row["failed"] is None
        run = read_system(reference / "md.h5", key)
        assert run.attrs["cell_source"] == "npt"
        # the production at its own stage's mean cell, after the stage
        np.testing.assert_array_equal(run.cell, np.asarray(row["cell_A"]))
        stage = read_npt_stage(reference / "md.h5", key)
        assert stage is not None and stage.volume_A3.tolist() == row["volume_A3"]
        assert stage.time_ps[-1] == pytest.approx(STAGE * 1e-2)
        # entered_step and run_ps are the production's; stage_ps the stage's part
        assert rec["stage_entered_step"] == 0 and rec["entered_step"] == ENTER
        assert rec["stage_ps"] == pytest.approx(ENTER * 1e-2)
        assert rec["run_ps"] == pytest.approx(PROD * 1e-2)
        assert run.attrs["steps_done"] == run.attrs["steps_total"] == PROD
        kinds = [e["event"] for e in st["events"] if e.get("key") == key]
        assert kinds[kinds.index("enter_stage") :] == [
            "enter_stage",
            "enter",
            "extend",
            "stop",
        ]
    # the two temperatures' own stages: different cells
    assert cells["lj_li_40K"]["cell_A"] != cells["lj_li_50K"]["cell_A"]
    # they held the batch during their stage: counted as occupying it
    first = st["occupancy"][0]
    assert (first["atoms"], first["n_systems"], first["staging"]) == (64, 2, 2)
    cost = json.loads((reference / "campaign.json").read_text())["batches"][0]
    assert cost["n_systems"] == 2 and cost["atom_steps"] == 64 * (STAGE + PROD)


@pytest.mark.parametrize("where", ["stage", "production"])
def test_a_kill_resumes_to_the_uninterrupted_run_file(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    from ionmd.cells.npt_phase import NptPhase
    from ionmd.engine import inflight

    calls = {"n": 0}
    if where == "stage":  # inside the stage's third chunk, between flushes
        owner, name, at = NptPhase, "step", 67
    else:  # inside the production's first chunk, between flushes
        owner, name, at = inflight.nh, "nh_step", 17
    real = getattr(owner, name)

    def killed(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == at:
            raise KeyboardInterrupt("kill")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, killed)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, "killed")
    monkeypatch.undo()
    out = _run(tmp_path, "killed")
    ref, got = run_file_arrays(reference / "md.h5"), run_file_arrays(out / "md.h5")
    assert ref.keys() == got.keys()
    assert any("/npt_stage/" in k for k in ref)
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
    keep = ("systems", "materials", "events", "occupancy", "queue")
    assert {k: _state(out)[k] for k in keep} == {k: _state(reference)[k] for k in keep}
    assert _cells(out) == _cells(reference)


@pytest.mark.parametrize(
    ("budget_steps", "spent_at"), [(CHUNK, CHUNK), (STAGE, ENTER)],
    ids=["in_stage", "at_its_end"],
)  # fmt: skip
def test_a_budget_spent_during_the_stage_stops_the_systems_in_it(
    tmp_path: Path, budget_steps: int, spent_at: int
) -> None:
    """The budget runs out at a boundary while both systems are in their stage
    (step 30), or have ended it but not yet entered their production (step
    120; the steps from 100 to 120 computed nothing: the budget is 100 steps of
    both): they stop there (outcome budget), never enter the production, and
    leave no run-file group and no stage row."""
    from ionmd.fileformat import list_systems

    out = _run(tmp_path, "budget", max_atom_steps=64.0 * budget_steps)
    st = _state(out)
    assert st["done"] and st["step"] == spent_at
    assert st["atom_steps"] == 64 * budget_steps
    for rec in st["systems"].values():
        assert rec["outcome"] == "budget" and rec["entered_step"] is None
        assert rec["left_step"] == spent_at
        assert rec["stage_ps"] == pytest.approx(spent_at * 1e-2)
    assert not _cells(out)
    assert list_systems(out / "md.h5") == []


def test_plan_says_each_system_runs_its_stage(tmp_path: Path, capsys) -> None:
    """``ionmd plan`` plans it (before: refused, exit 2) and says the stage's
    steps, the batch steps it holds a slot and the idle rest of its last chunk."""
    from ionmd.cli import main

    cfg = tmp_path / "npt.toml"
    cfg.write_text(
        'materials = ["builtin:toy-fast"]\nmodel = "toy"\ntemperatures_K = [800, 900]\n'
        'protocol = "adaptive"\nchunk_ps = 0.2\nmax_duration_ps = 1.0\n'
        'equilibration_ps = 0.1\ncell = "npt"\nnpt_ps = 1.1\n'
        f'out = "{tmp_path / "out"}"\n'
    )
    assert main(["plan", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "its own NPT stage of 550 steps, holding its slot for 600 batch steps" in out
    assert "50 of them idle" in out


def test_a_system_its_stage_ends_is_finished_failed_with_the_reason(tmp_path: Path) -> None:
    """Under tension (-5 GPa) every cell blows up in its stage: each system is
    finished ``failed`` with the stage's reason (as an NVT failure), never
    enters the production (no ``entered_step``, ``run_ps`` 0), has its run-file
    group with status failed and its stage series, and its stage row; the
    loop ends and the material says why."""
    out = _run(tmp_path, "tension", pressure_GPa=-5.0)
    st = _state(out)
    assert st["done"] and st["materials"]["lj_li"]["status"] == "unresolved"
    cells = _cells(out)
    for key, rec in st["systems"].items():
        assert rec["outcome"] == "failed" and "NPT stage" in rec["reason"], rec
        assert rec["entered_step"] is None and rec["run_ps"] == 0.0
        assert rec["left_step"] % CHUNK == 0 and rec["stage_ps"] > 0
        run = read_system(out / "md.h5", key, positions=False)
        assert run.attrs["status"] == "failed" and run.attrs["steps_done"] == 0
        assert read_npt_stage(out / "md.h5", key) is not None
        assert cells[key]["failed"] == rec["reason"]
        stop = [e for e in st["events"] if e.get("key") == key and e["event"] == "stop"]
        assert [e["outcome"] for e in stop] == ["failed"]


def test_on_an_executor_the_share_runs_the_stages(reference: Path, tmp_path: Path) -> None:
    """The executor's path (a worker runs the share's loop: the same
    AdaptiveProtocol.run_batch) gives each system its stage: the same stage rows
    in campaign.json's cells as in-process, and the same run file."""
    from ionmd.scaleout import ExecutorConfig

    cif = tmp_path / "lj_li.cif"
    write_cif(cif)
    out = tmp_path / "exec"
    run_campaign(
        RunConfig(**_flat(cif), out=str(out)),
        executor=ExecutorConfig(kind="threads", max_workers=1),
        analyze=False,
    )
    assert (out / "adaptive.0.json").exists()
    assert _cells(out) == _cells(reference)
    ref, got = run_file_arrays(reference / "md.h5"), run_file_arrays(out / "md.h5")
    assert ref.keys() == got.keys()
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)


def test_status_says_which_running_systems_are_in_their_stage(tmp_path: Path) -> None:
    """``ionmd status OUT`` mid-run: a system in its stage is running but has no
    production time yet; it says so (before: "(0 ps)", as if it had just begun
    its production)."""
    from ionmd.campaign.adaptive.loop_status import format_adaptive_status

    def rec(entered, stage_entered, run_ps):
        return {"material_id": "m", "temperature_K": 40.0, "outcome": "running",
                "entered_step": entered, "stage_entered_step": stage_entered,
                "run_ps": run_ps}  # fmt: skip

    doc = {"done": True, "step": 60, "timestep_fs": 10.0, "capacity_atoms": 64,
           "systems": {"m_40K": rec(None, 30, 0.0), "m_50K": rec(30, 0, 0.3)},
           "materials": {}, "queue": []}  # fmt: skip
    text = format_adaptive_status(doc, out_dir=tmp_path)
    assert "m_40K (in its NPT stage)" in text and "m_50K (0.3 ps)" in text


def test_the_progress_worst_case_counts_the_stages_still_to_run() -> None:
    """The bar's worst case: a system in its stage still has the rest of its
    stage and all of its production to run, a queued one its whole stage too;
    one in its production since step 0 has run those steps."""
    from ionmd.campaign.adaptive.progress import worst_case_atom_steps

    state = {
        "systems": {
            "a": {
                "outcome": "running",
                "n_atoms": 10,
                "entered_step": None,
                "stage_entered_step": 0,
            },  # fmt: skip
            "b": {"outcome": "queued", "n_atoms": 20, "entered_step": None},
            # in its production since step 0 (before: step 0 was taken for none)
            "c": {"outcome": "running", "n_atoms": 5, "entered_step": 0},
        }
    }
    got = worst_case_atom_steps(
        state, step=30, atom_steps=500, max_steps=60, stage_steps=100
    )
    assert got == 500 + 10 * (60 + 70) + 20 * (60 + 100) + 5 * (60 - 30)


def test_out_of_memory_halves_the_loop_with_systems_in_their_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An allocation failure when the two systems' production runs together (a
    device of 32 atoms): the engine halves the capacity, the newest system goes
    back to the queue and, when it re-enters, runs its stage again; both end
    with their own stage row (before: the loop stopped with a one-line error,
    the engine did not halve a batch with a stage)."""
    from ionmd.engine import inflight

    real = inflight.nh.nh_step

    def small_device(st, *args, **kwargs):
        if int(st.positions.shape[0]) > 32:  # the two systems' production
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
        return real(st, *args, **kwargs)

    monkeypatch.setattr(inflight.nh, "nh_step", small_device)
    out = _run(tmp_path, "oom")
    st = _state(out)
    assert st["done"] and st["oom_capacity_atoms"] == 32
    # the newest in the batch's order (the added 50 K entered first, at the
    # queue's front) waits; here it is then cancelled, colder than the caged 50 K
    assert [e["key"] for e in st["events"] if e["event"] == "requeue"] == ["lj_li_40K"]
    assert all(r["outcome"] != "failed" for r in st["systems"].values()), st["systems"]
    ran = {k for k, r in st["systems"].items() if r["entered_step"] is not None}
    assert ran == {"lj_li_50K"}
    # an evicted system's stage row goes with it (it runs its stage again)
    assert set(_cells(out)) == ran


def test_a_system_that_melts_in_its_stage_is_finished_melted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Melting in the stage (here forced: every volume counts as running away)
    is a melt, as in the NVT production (outcome ``melted``: the judge then
    cancels the hotter temperatures), not a blow-up (``failed``)."""
    import ionmd.cells.npt as npt

    monkeypatch.setattr(npt, "MELT_VOLUME_GROWTH", -0.5)
    out = _run(tmp_path, "melt")
    systems = _state(out)["systems"]
    assert systems and all(
        r["outcome"] == "melted" and r["reason"].startswith("melting during the NPT stage")
        for r in systems.values()
    ), systems


def test_a_kill_resumes_with_its_numbers_spelled_otherwise(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The adaptive loop's checkpoint accepts a config that spells a number
    another way (``pressure_GPa = 0``, a TOML integer, then the 0.0 default), as
    the study's does (``engine.checkpoint.checkpoint_fingerprints``)."""
    from ionmd.cells.npt_phase import NptPhase

    calls = {"n": 0}
    real = NptPhase.step

    def killed(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 67:
            raise KeyboardInterrupt("kill")
        return real(*args, **kwargs)

    monkeypatch.setattr(NptPhase, "step", killed)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, "killed", pressure_GPa=0)
    monkeypatch.undo()
    out = _run(tmp_path, "killed")
    ref, got = run_file_arrays(reference / "md.h5"), run_file_arrays(out / "md.h5")
    assert ref.keys() == got.keys()
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
