"""A batch that runs out of device memory is split in two and the campaign
carries on (the OOM is injected: this machine has no GPU)."""

import json

import pytest
import torch
from ase.build import bulk

import ionmd.campaign.protocols.study_protocol as study_protocol
import ionmd.campaign.run as campaign_run
from ionmd.campaign.config import RunConfig
from ionmd.campaign.memory import is_out_of_memory, split_in_two
from ionmd.fileformat import list_systems, read_system


def _config(tmp_path, **kw):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    atoms.set_chemical_symbols(["Li", "Ar", "Ar", "Ar"])
    cif = tmp_path / "lj_li.cif"
    atoms.write(cif)
    return RunConfig(
        materials=(str(cif),),
        model="lj",
        temperatures_K=(20.0, 30.0, 40.0, 50.0),
        min_cell_length_A=10.0,
        timestep_fs=5.0,
        duration_ps=0.2,
        equilibration_ps=0.05,
        sample_every_fs=25.0,
        thermo_every_fs=25.0,
        progress=False,
        out=str(tmp_path / "out"),
        **kw,
    )


def _atom_steps_run(path) -> int:
    """Sum over the run file's systems of their own steps x their atoms."""
    total = 0
    for key in list_systems(path):
        attrs = read_system(path, key, positions=False).attrs
        total += int(attrs["steps_done"]) * int(attrs["n_atoms"])
    return total


def _small_device(module, monkeypatch) -> list[int]:
    """Make ``module.run_batch`` run out of memory above 64 atoms; the atoms of
    each call are appended to the list returned."""
    real = module.run_batch
    calls = []

    def small_device(batch, model, **kw):
        n = sum(len(s.atoms) for s in batch)
        calls.append(n)
        if n > 64:  # this "device" holds 64 atoms
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
        return real(batch, model, **kw)

    monkeypatch.setattr(module, "run_batch", small_device)
    return calls


def test_oom_splits_the_batch_and_all_systems_finish(tmp_path, monkeypatch):
    config = _config(tmp_path)
    calls = _small_device(study_protocol, monkeypatch)
    result = campaign_run.run_campaign(config, analyze=False)
    assert calls == [128, 64, 64]
    record = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert record["oom_splits"] == [{"n_atoms": 128, "n_systems": 4}]
    assert len(record["plan"]) == 2 and record["status"] == "done"
    keys = [k for p in result.run_files for k in list_systems(p)]
    assert sorted(keys) == sorted(f"lj_li_{t}K" for t in (20, 30, 40, 50))
    for p in result.run_files:
        for k in list_systems(p):
            assert read_system(p, k, positions=False).attrs["status"] == "done"


def test_an_oom_in_the_engine_halves_the_batch_there_and_costs_what_ran(
    tmp_path, monkeypatch
):
    """The study's batch runs out of memory mid-run, inside the one MD loop: the
    engine halves it (one batch, one run file, no campaign split) and the cost
    record counts the atom-steps its systems ran (before: the batch clock's
    span x all atoms, twice that)."""
    from ionmd.engine import inflight

    real, sizes = inflight.nh.nh_step, []

    def small_device(st, *args, **kwargs):
        sizes.append(int(st.positions.shape[0]))
        if sizes[-1] > 64 and len(sizes) == 15:  # after the checkpoint at step 10
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
        return real(st, *args, **kwargs)

    monkeypatch.setattr(inflight.nh, "nh_step", small_device)
    config = _config(tmp_path, flush_every_ps=0.05)
    result = campaign_run.run_campaign(config, analyze=False)
    record = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert not record.get("oom_splits") and len(record["plan"]) == 1
    (batch,) = record["batches"]
    assert batch["oom_capacity_atoms"] == [128] and max(sizes[15:]) == 64
    (path,) = result.run_files
    assert batch["atom_steps"] == _atom_steps_run(path) == 4 * 32 * 40
    assert batch["simulated_ps"] == pytest.approx(4 * 0.2)


def test_a_resume_that_does_not_fit_is_halved_in_the_engine(tmp_path, monkeypatch):
    """The study's batch is killed after a checkpoint and the campaign resumed on
    a device that holds half of it: restoring runs no force call, so the first
    step runs out of memory inside the one loop, which halves the batch (one
    batch, one run file, no campaign split). Before: the restore's force call
    ran out of memory outside the loop; the campaign split the batch in two and
    deleted its run file (``oom_splits``, two batches, the work before lost)."""
    from ionmd.engine import inflight
    from tests.engine.helpers import SmallDevice

    real_step, steps = inflight.nh.nh_step, []

    def killed(st, *args, **kwargs):
        steps.append(1)
        if len(steps) == 15:  # after the checkpoint at step 10
            raise KeyboardInterrupt
        return real_step(st, *args, **kwargs)

    config = _config(tmp_path, flush_every_ps=0.05)
    monkeypatch.setattr(inflight.nh, "nh_step", killed)
    with pytest.raises(KeyboardInterrupt):
        campaign_run.run_campaign(config, analyze=False)
    monkeypatch.setattr(inflight.nh, "nh_step", real_step)
    real_load, small = campaign_run.load_campaign_model, []

    def small_device(*args, **kwargs):
        small.append(SmallDevice(real_load(*args, **kwargs), max_atoms=64))
        return small[-1]

    monkeypatch.setattr(campaign_run, "load_campaign_model", small_device)
    result = campaign_run.run_campaign(config, analyze=False)
    record = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert not record.get("oom_splits") and len(record["plan"]) == 1
    (batch,) = record["batches"]
    assert batch["oom_capacity_atoms"] == [128] and record["status"] == "done"
    assert small[0].sizes[0] == 128 and max(small[0].sizes[1:]) == 64
    (path,) = result.run_files
    for key in list_systems(path):
        attrs = read_system(path, key, positions=False).attrs
        assert attrs["status"] == "done" and int(attrs["steps_done"]) == 40


def test_oom_detection_and_split():
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("x"))
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))

    class S:
        def __init__(self, n):
            self.atoms = [0] * n

    halves = split_in_two([S(100), S(60), S(50), S(10)])
    assert sorted(sum(len(s.atoms) for s in h) for h in halves) == [110, 110]


def test_the_executor_path_splits_on_oom_too(tmp_path, monkeypatch):
    """The same injected OOM on the ``threads`` executor: the worker reports it,
    the campaign splits the batch in two as in-process and every system finishes
    (before: the task failed and the campaign ended ``failed``)."""
    from ionmd.scaleout.config import executor_config_from_table

    config = _config(tmp_path)
    # the worker runs the batch through the same protocol call as in-process
    calls = _small_device(study_protocol, monkeypatch)
    executor = executor_config_from_table({"kind": "threads", "max_workers": 1})
    result = campaign_run.run_campaign(config, analyze=False, executor=executor)
    assert calls[0] == 128 and sorted(calls[1:]) == [64, 64]
    record = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert record["oom_splits"] == [{"n_atoms": 128, "n_systems": 4}]
    assert len(record["plan"]) == 2 and record["status"] == "done"
    assert [b["file"] for b in record["batches"]] == ["md.h5", "md.1.h5"]
    assert all(b["status"] == "done" for b in record["batches"])
    keys = [k for p in result.run_files for k in list_systems(p)]
    assert sorted(keys) == sorted(f"lj_li_{t}K" for t in (20, 30, 40, 50))
    for p in result.run_files:
        for k in list_systems(p):
            assert read_system(p, k, positions=False).attrs["status"] == "done"


@pytest.mark.parametrize("executor", [None, "threads"])
def test_adaptive_batch_out_of_memory_halves_its_capacity_and_goes_on(
    tmp_path, monkeypatch, executor
):
    """The adaptive protocol under the same kind of injected OOM: its batch of two
    systems does not fit, mid-chunk; the capacity is halved, the batch goes on
    from its last flush with the older system, the newer goes back to the queue
    and starts again, and every system finishes (before: the campaign ended)."""
    from ionmd.engine import inflight
    from tests.campaign.test_adaptive_campaign import FLAT

    real_step = inflight.nh.nh_step
    sizes = []

    def small_device(st, *args, **kwargs):
        sizes.append(int(st.positions.shape[0]))
        if sizes[-1] > 135 and len(sizes) == 60:  # between the flushes at 50 and 100
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
        return real_step(st, *args, **kwargs)

    monkeypatch.setattr(inflight.nh, "nh_step", small_device)
    out = tmp_path / "adaptive"
    flat = {**FLAT, "materials": ("builtin:toy-fast",), "max_duration_ps": 0.8}
    flat |= {"target_msd_A2": 0.5, "target_D_log10_ci": 3.0}  # both temperatures run
    flat |= {"target_sigma300_log10_ci": 10.0}  # and no more are added
    if executor is not None:  # the worker's share runs the same loop
        from ionmd.scaleout.config import executor_config_from_table

        executor = executor_config_from_table({"kind": executor, "max_workers": 1})
    config = RunConfig(**flat, out=str(out))
    campaign_run.run_campaign(config, analyze=False, executor=executor)
    record = json.loads((out / "campaign.json").read_text())
    assert record["status"] == "done"
    assert record["batches"][0]["oom_capacity_atoms"] == [270]
    assert max(sizes[60:]) == 135 and sizes[59] == 270
    state = json.loads((out / "adaptive.json").read_text())
    assert state["oom_capacity_atoms"] == 135
    requeued = [e["key"] for e in state["events"] if e["event"] == "requeue"]
    assert len(requeued) == 1
    for key, rec in state["systems"].items():
        assert rec["outcome"] not in ("queued", "running"), (key, rec["outcome"])
        if rec["entered_step"] is None:  # cancelled before it ran
            continue
        attrs = read_system(out / "md.h5", key, positions=False).attrs
        assert attrs["status"] == "done" and attrs["failure_reason"] == ""
        assert int(attrs["steps_done"]) == round(rec["run_ps"] / 4e-3) > 0
    first_entry = min(
        e["step"]
        for e in state["events"]
        if e["event"] == "enter" and e["key"] == requeued[0]
    )
    assert state["systems"][requeued[0]]["entered_step"] > first_entry  # started again
    assert state["occupancy"][1]["queued"] == 1  # from the OOM on, it waited
    # the cost record counts what the systems ran, not the evicted system's
    # steps before the OOM as well (before: 195750 atom-steps for 189000)
    assert record["batches"][0]["atom_steps"] == _atom_steps_run(out / "md.h5")
