"""A batch that runs out of device memory is split in two and the campaign
carries on (the OOM is injected: this machine has no GPU)."""

import json

import torch
from ase.build import bulk

import ionmd.campaign.run as campaign_run
from ionmd.campaign.config import RunConfig
from ionmd.campaign.memory import is_out_of_memory, split_in_two
from ionmd.fileformat import list_systems, read_system


def _config(tmp_path):
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
    )


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
    calls = _small_device(campaign_run, monkeypatch)
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
    import ionmd.campaign.distributed as distributed
    from ionmd.scaleout.config import executor_config_from_table

    config = _config(tmp_path)
    calls = _small_device(distributed, monkeypatch)
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
