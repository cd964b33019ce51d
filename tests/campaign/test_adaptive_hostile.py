"""Hostile pass over the adaptive protocol (docs/robustness.md, "Issue 13: adaptive
protocol, hostile pass"): what a new user sees around an adaptive campaign."""

from __future__ import annotations

from pathlib import Path

import pytest

TOY = """
materials = ["builtin:toy-fast", "builtin:toy-slow", "builtin:toy-melt"]
temperatures_K = [900.0, 1200.0]
model = "toy"
device = "cpu"
timestep_fs = 4.0
equilibration_ps = 0.2
sample_every_fs = 40.0
msd_every_fs = 8.0
thermo_every_fs = 40.0
fault_check_every_fs = 40.0
protocol = "adaptive"
chunk_ps = 0.4
max_duration_ps = 1.2
min_reliable_temperatures = 2
max_temperature_K = 1300.0
max_atoms_per_batch = 300
"""


def _cfg(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(TOY + extra + f'out = "{tmp_path / "out"}"\n')
    return cfg


def test_plan_of_an_adaptive_campaign_says_what_the_run_will_do(tmp_path, capsys):
    """The study's plan (3 batches, duration_ps = 100 ps per system) was printed for
    an adaptive campaign: a cost 28x too high and batches that never exist."""
    from ionmd.campaign.config import load_config
    from ionmd.campaign.cost_projection import plan_campaign
    from ionmd.cli import main

    plan = plan_campaign(load_config(_cfg(tmp_path)))
    a = plan["adaptive"]
    assert a["capacity_atoms"] == 300 and a["initial_systems"] == 6
    assert (a["first_fill_systems"], a["first_fill_atoms"]) == (2, 270)
    assert a["queued_after_first_fill"] == 4
    longest = round(1.2e3 / 4.0)  # max_duration_ps in steps
    assert a["atom_steps_worst_initial"] == 6 * 135 * longest
    assert a["atom_steps_one_chunk_each"] == 6 * 135 * 100
    assert plan["totals"]["n_batches"] == 1
    assert plan["totals"]["atom_steps"] == a["atom_steps_worst_initial"]
    for r in plan["materials"]:
        assert r["atom_steps"] == 135 * 2 * longest and r["batches"] == []
    assert main(["plan", str(_cfg(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "in-flight batch of capacity 300 atoms" in out and "batch 2" not in out
    assert "2.43e+05 atom-steps" in out and "6.75e+06" not in out


def test_plan_without_a_limit_on_the_cpu_fills_everything(tmp_path):
    from ionmd.campaign.config import load_config
    from ionmd.campaign.cost_projection import plan_campaign

    cfg = _cfg(tmp_path)
    cfg.write_text(cfg.read_text().replace("max_atoms_per_batch = 300\n", ""))
    a = plan_campaign(load_config(cfg))["adaptive"]
    assert a["capacity_atoms"] == 6 * 135 and a["first_fill_systems"] == 6


@pytest.mark.parametrize("before,after", [("adaptive", "study"), ("study", "adaptive")])
def test_switching_protocol_on_an_out_names_the_switch(tmp_path, before, after):
    """study <-> adaptive on the same OUT listed every adaptive key as "x -> None"
    (13 items) instead of the one cause."""
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.inputs import InputsChangedError, check_protocol_and_model

    def fp(mode: str) -> dict:
        flat = {"materials": ("builtin:toy-fast",), "model": "toy", "protocol": mode}
        if mode == "adaptive":
            flat |= {"chunk_ps": 20.0, "max_duration_ps": 40.0}
        return RunConfig(**flat).protocol_fingerprint()

    model = {"model_name": "toy", "model_version": "1"}
    with pytest.raises(InputsChangedError) as exc:
        check_protocol_and_model(
            {"protocol": fp(before), "model": model},
            protocol=fp(after),
            model=model,
            out=tmp_path,
        )
    msg = str(exc.value)
    assert f'protocol = "{before}", not "{after}"' in msg and "None" not in msg


def _rec(T, outcome, **numbers):
    return {"temperature_K": float(T), "outcome": outcome, "numbers": numbers}


S3 = dict(chunk_ps=25.0, max_duration_ps=1000.0, min_reliable_temperatures=3,
          max_temperature_K=1400.0, min_temperature_K=600.0)  # fmt: skip


def test_a_failed_temperature_is_not_stable_ground_for_adding_up() -> None:
    """A system that failed (NaN forces mid-chunk) was counted as "stable": the
    plan stepped up from it and said "the hottest stable temperature is 1200 K"."""
    from ionmd.campaign.adaptive.judge import plan_material
    from ionmd.campaign.adaptive.settings import AdaptiveSettings

    d = dict(run_ps=100.0, msd_A2=30.0, framework_msd_A2=0.5, D_cm2_s=1e-5,
             D_ci95_cm2_s=[9e-6, 1.1e-5], D_log10_ci=0.1)  # fmt: skip
    systems = {
        "m_1000K": _rec(1000, "reliable", **d),
        "m_1100K": _rec(1100, "reliable", **d),
        "m_1200K": _rec(1200, "failed"),
    }
    plan = plan_material(systems, settings=AdaptiveSettings(**S3))
    assert 1300.0 not in plan.add_K
    assert not any("stable temperature is 1200" in r for r in plan.add_reasons)


def test_unresolved_reason_keeps_small_numbers() -> None:
    """'Li MSD 0.8 Å² after 1.2 ps' was printed 'Li MSD 1 Å² after 1 ps'."""
    from ionmd.campaign.adaptive.judge import plan_material
    from ionmd.campaign.adaptive.settings import AdaptiveSettings

    s = AdaptiveSettings(chunk_ps=0.4, max_duration_ps=1.2, min_reliable_temperatures=2,
                         max_temperature_K=1300.0)  # fmt: skip
    n = dict(run_ps=1.2, msd_A2=0.8, framework_msd_A2=0.1)
    systems = {"m_1200K": _rec(1200, "sub_diffusive", **n),
               "m_1300K": _rec(1300, "sub_diffusive", **n)}  # fmt: skip
    plan = plan_material(systems, settings=s)
    assert plan.status == "unresolved"
    assert "Li MSD 0.8 Å² after 1.2 ps" in plan.reason, plan.reason


def test_occupancy_never_exceeds_one_when_a_system_is_larger_than_the_capacity():
    """max_atoms_per_batch below one system: it runs alone (the batch is full), and
    the occupancy read 135 % (atoms / capacity)."""
    from ionmd.campaign.adaptive.loop import occupancy_mean

    rows = [
        {"step_start": 0, "step_end": 100, "atoms": 135, "n_systems": 1, "queued": 2},
        {"step_start": 100, "step_end": 200, "atoms": 50, "n_systems": 1, "queued": 0},
    ]
    state = {"capacity_atoms": 100, "occupancy": rows}
    assert occupancy_mean(state) == pytest.approx(0.75)
    assert occupancy_mean(state, while_queued=True) == pytest.approx(1.0)


def test_status_of_an_in_process_adaptive_campaign(tmp_path, capsys):
    """`ionmd status OUT` on an adaptive campaign (during or after) only said
    'run in-process'; adaptive.json, written every chunk, says where it is."""
    import json

    from ionmd.cli import main

    def sys_(outcome, run_ps=0.0):
        return {"material_id": "m", "temperature_K": 900.0, "outcome": outcome,
                "run_ps": run_ps, "reason": ""}  # fmt: skip

    doc = {
        "timestep_fs": 4.0, "step": 200, "atom_steps": 54000.0, "done": False,
        "capacity_atoms": 300, "occupancy_mean": 0.9,
        "occupancy_mean_while_queued": 0.9, "settings": {"max_atom_steps": 0.0},
        "queue": ["m_1000K"],
        "systems": {"m_900K": sys_("running", 0.8), "m_1000K": sys_("queued"),
                    "m_1100K": sys_("failed", 0.4)},
        "materials": {"m": {"status": "running", "reason": ""}},
    }  # fmt: skip
    (tmp_path / "campaign.json").write_text(json.dumps({"status": "running"}))
    (tmp_path / "adaptive.json").write_text(json.dumps(doc))
    assert main(["status", str(tmp_path)]) == 1  # a system failed
    out = capsys.readouterr().out
    assert "not finished; batch step 200 (0.8 ps)" in out and "occupancy 90%" in out
    assert "running (1): m_900K (0.8 ps)" in out and "queued (1): m_1000K" in out
    assert "failed 1" in out
    (tmp_path / "adaptive.json").write_text("[1, 2]")
    assert main(["status", str(tmp_path)]) == 2  # one line, not a traceback


class _NanFramework:
    """The toy model, with NaN forces on every system whose framework is Ar (the
    toy-melt variant) from the ``after``-th call on: systems that fail mid-chunk."""

    def __init__(self, after: int) -> None:
        import torch

        from ionmd.calculators import load_model

        self.inner = load_model("toy", device="cpu", dtype=torch.float64)
        self.device, self.dtype = self.inner.device, self.inner.dtype
        self.type_map = getattr(self.inner, "type_map", None)
        self.after, self.calls = after, 0

    def __getattr__(self, name):  # compute_forces, memory_scales_with, ...
        return getattr(self.__dict__["inner"], name)

    def __call__(self, state, **kwargs):
        out = self.inner(state, **kwargs)
        self.calls += 1
        if self.calls > self.after:
            forces = out["forces"].clone()
            ar = state.atomic_numbers == 18
            for i in range(int(state.system_idx.max()) + 1):
                atoms = state.system_idx == i
                if bool((ar & atoms).any()):
                    forces[atoms] = float("nan")
            out = {**out, "forces": forces}
        return out


def test_a_system_that_fails_mid_chunk_leaves_and_the_batch_goes_on(tmp_path):
    """NaN forces for one material's systems in the middle of a chunk: they stop as
    'failed' with the reason, the others run to their end, the material concludes
    naming the failures, and the atom-steps equal n_atoms x steps in the run file."""
    import json

    import h5py

    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.run import run_campaign

    flat = dict(
        materials=("builtin:toy-fast", "builtin:toy-melt"), temperatures_K=(900.0, 1200.0),
        model="toy", device="cpu", dtype="float64", timestep_fs=4.0,
        equilibration_ps=0.2, sample_every_fs=40.0, msd_every_fs=8.0,
        thermo_every_fs=40.0, fault_check_every_fs=40.0, flush_every_ps=0.2,
        progress=False, protocol="adaptive", chunk_ps=0.4, max_duration_ps=0.8,
        min_reliable_temperatures=2, max_temperature_K=1200.0, max_atoms_per_batch=600,
    )  # fmt: skip
    out = tmp_path / "out"
    run_campaign(
        RunConfig(**flat, out=str(out)), analyze=False, model_object=_NanFramework(150)
    )
    st = json.loads((out / "adaptive.json").read_text())
    assert st["done"]
    recs = st["systems"]
    for key in ("toy-melt_900K", "toy-melt_1200K"):
        assert recs[key]["outcome"] == "failed" and "non-finite" in recs[key]["reason"]
        kinds = [e["event"] for e in st["events"] if e.get("key") == key]
        assert kinds == ["enter", "extend", "stop"], kinds  # failed in chunk 2
        # it left at the fault check where it failed, not at the next boundary
        assert 100 < recs[key]["left_step"] - recs[key]["entered_step"] < 200
    for key in ("toy-fast_900K", "toy-fast_1200K"):
        assert recs[key]["outcome"] in ("reliable", "slow_diffusive", "caged")
        assert recs[key]["run_ps"] == pytest.approx(0.8)
    melt = st["materials"]["toy-melt"]
    assert melt["status"] == "unresolved" and "failed" in melt["reason"], melt
    assert "stable temperature" not in melt["reason"]
    # atom-steps spent = atoms x steps each system was in the batch; the run file
    # keeps all of them for a finished system, a failed one's up to its last flush
    spent = sum(r["n_atoms"] * (r["left_step"] - r["entered_step"]) for r in recs.values())
    assert st["atom_steps"] == spent
    rows = st["occupancy"]  # the occupancy rows add up to the same atom-steps
    assert sum(r["atoms"] * (r["step_end"] - r["step_start"]) for r in rows) == spent
    steps = [e["step"] for e in st["events"]]
    assert steps == sorted(steps)  # events in batch-step order
    with h5py.File(out / "md.h5") as f:
        for k, r in recs.items():
            a = f[f"parameters/{k}"].attrs
            ran = r["left_step"] - r["entered_step"]
            assert (
                a["steps_done"] == ran
                if r["outcome"] != "failed"
                else a["steps_done"] < ran
            )


def test_adding_a_material_to_an_adaptive_out_is_refused_not_ignored(tmp_path):
    """A material added to a finished adaptive OUT was silently not run ('adaptive
    run already done', exit 0); the loop's queue cannot change: one line."""
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.run import run_campaign
    from ionmd.errors import InputError

    flat = dict(
        materials=("builtin:toy-fast",), temperatures_K=(900.0,), model="toy",
        device="cpu", dtype="float64", timestep_fs=4.0, equilibration_ps=0.2,
        sample_every_fs=40.0, msd_every_fs=8.0, thermo_every_fs=40.0,
        fault_check_every_fs=40.0, flush_every_ps=0.2, progress=False,
        protocol="adaptive", chunk_ps=0.4, max_duration_ps=0.4,
        min_reliable_temperatures=2, max_temperature_K=900.0, min_temperature_K=900.0,
    )  # fmt: skip
    out = tmp_path / "out"
    run_campaign(RunConfig(**flat, out=str(out)), analyze=False)
    more = {**flat, "materials": ("builtin:toy-fast", "builtin:toy-slow")}
    with pytest.raises(InputError, match="adds toy-slow_900K"):
        run_campaign(RunConfig(**more, out=str(out)), analyze=False)


def test_report_first_screen_does_not_claim_the_study_duration_for_adaptive():
    """The report said '100.0 ps per temperature' (duration_ps, unused) and listed
    only the initial temperatures for an adaptive campaign of 1.2 ps chunks."""
    import json

    from ionmd.campaign.report import settings_lines

    record = {
        "config": {"protocol": "adaptive", "temperatures_K": [900.0, 1200.0],
                   "duration_ps": 100.0, "chunk_ps": 0.4, "max_duration_ps": 1.2,
                   "min_temperature_K": 500.0, "max_temperature_K": 1300.0,
                   "timestep_fs": 4.0, "equilibration_ps": 0.2},
        "model": {"model_name": "toy"},
    }  # fmt: skip
    line = settings_lines(json.loads(json.dumps(record)))[0]
    assert "100.0 ps per temperature" not in line
    assert "up to 1.2 ps per system" in line
    assert "at 900, 1200 K to start (more added within [500, 1300] K)," in line
    study = {**record, "config": {**record["config"], "protocol": "study"}}
    assert "100.0 ps per temperature" in settings_lines(study)[0]


def test_when_every_temperature_melts_a_colder_one_is_added():
    """Every temperature melted: no stable one to add 'between' from, and the plan
    gave up saying 'no temperature left to add within [500, 2000] K', false."""
    from ionmd.campaign.adaptive.judge import plan_material
    from ionmd.campaign.adaptive.settings import AdaptiveSettings

    s = AdaptiveSettings(**{**S3, "max_temperature_K": 2000.0, "min_temperature_K": 500.0})
    melt = dict(run_ps=25.0, msd_A2=40.0, framework_msd_A2=9.0)
    systems = {"m_1800K": _rec(1800, "melted", **melt),
               "m_2000K": _rec(2000, "melted", **melt)}  # fmt: skip
    plan = plan_material(systems, settings=s)
    assert not plan.done and plan.add_K and max(plan.add_K) < 1800.0, plan
    assert "below the melt at 1800 K" in plan.add_reasons[0]
    # at min_temperature_K already: nothing colder may be added; unresolved, truthfully
    s = AdaptiveSettings(**{**S3, "max_temperature_K": 2000.0, "min_temperature_K": 1800.0})
    plan = plan_material(systems, settings=s)
    assert (
        plan.done
        and plan.status == "unresolved"
        and "melted at 1800, 2000 K" in (plan.reason)
    )


def test_a_too_wide_sigma300_widens_the_range_never_crowds_the_melt():
    """σ(300 K) too wide and no room up (a melt at 1800 K): the plan added 1750,
    then 1775, 1790 K between the hottest and the melt, which cannot narrow an
    extrapolation to 300 K (docs: one up and one down, a wider range of 1/T)."""
    import math

    from ionmd.campaign.adaptive.judge import plan_material
    from ionmd.campaign.adaptive.settings import AdaptiveSettings
    from ionmd.units import KB_EV_PER_K

    def rel(T):
        D = 1e-3 * math.exp(-0.3 / (KB_EV_PER_K * T))
        lo, hi = D / 10**0.15, D * 10**0.15
        return _rec(T, "reliable", run_ps=25.0, msd_A2=30.0, framework_msd_A2=0.5,
                    D_cm2_s=D, D_ci95_cm2_s=[lo, hi], D_log10_ci=0.3)  # fmt: skip

    systems = {f"m_{T}K": rel(T) for T in (1500, 1600, 1700)}
    systems["m_1800K"] = _rec(1800, "melted", run_ps=25.0, framework_msd_A2=9.0)
    s = AdaptiveSettings(**{**S3, "max_temperature_K": 1800.0, "min_temperature_K": 1400.0})
    plan = plan_material(systems, settings=s)
    assert plan.sigma300_log10_ci > 1.0
    assert plan.add_K == [1400.0], plan.add_K  # down only: up is the melt
    s = AdaptiveSettings(**{**S3, "max_temperature_K": 1800.0, "min_temperature_K": 1500.0})
    plan = plan_material(systems, settings=s)
    assert plan.done and plan.status == "unresolved" and not plan.add_K, plan.add_K


def test_status_says_whether_the_adaptive_run_is_alive(tmp_path, capsys):
    """'not finished' alone did not tell a running campaign from a killed one."""
    import json
    import os
    import subprocess
    import sys

    from ionmd.campaign.adaptive.loop_status import format_adaptive_status

    doc = {"done": False, "step": 100, "timestep_fs": 4.0, "capacity_atoms": 300,
           "systems": {}, "materials": {}}  # fmt: skip
    (tmp_path / "adaptive.json").write_text(json.dumps(doc))
    (tmp_path / ".lock").write_text(f"{os.getpid()}\n")
    assert f"runner: running (pid {os.getpid()}" in format_adaptive_status(
        doc, out_dir=tmp_path
    )
    code = "import os; print(os.getpid())"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    gone = child.stdout.strip()
    (tmp_path / ".lock").write_text(f"{gone}\n")
    text = format_adaptive_status(doc, out_dir=tmp_path)
    assert f"pid {gone} is gone (interrupted): re-run the same command" in text
    assert "runner" not in format_adaptive_status({**doc, "done": True}, out_dir=tmp_path)


@pytest.mark.parametrize("step", [0.001, 1e-7])
def test_a_temperature_step_below_one_kelvin_is_refused(step):
    """temperature_step_K = 0.001: 1200.001 K is named 'm_1200K' (6 digits), the
    key of 1200 K: the added system's record replaced the existing one."""
    from ionmd.campaign.adaptive.settings import AdaptiveSettings
    from ionmd.errors import InputError
    from ionmd.fileformat import system_key

    assert system_key("m", 1200.0 + step) == system_key("m", 1200.0)  # the clash
    with pytest.raises(InputError, match="temperature_step_K"):
        AdaptiveSettings(temperature_step_K=step)
    AdaptiveSettings(temperature_step_K=1.0)  # the smallest allowed


def test_plan_on_cuda_without_a_limit_does_not_invent_a_first_fill(
    tmp_path, capsys, monkeypatch
):
    """device = "cuda" without max_atoms_per_batch: the capacity is the memory
    model's (the model's bytes per atom, said so) or, for a model without that
    figure, measured by the run; the plan said 'first fill 6 systems' (everything)
    as if it were known."""
    import torch

    from ionmd.campaign import cost_anchors
    from ionmd.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cfg = _cfg(tmp_path)
    text = cfg.read_text().replace("max_atoms_per_batch = 300\n", "")
    cfg.write_text(text.replace('device = "cpu"', 'device = "cuda"'))
    assert main(["plan", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "capacity 8069164 atoms (memory model: 0.7 x 80 GB of an H100" in out
    monkeypatch.delitem(cost_anchors.MEMORY_ANCHORS, "toy")
    assert main(["plan", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "measured memory model, at run time (so is the first fill)" in out
    assert "first fill 6" not in out


@pytest.mark.parametrize(
    "before,after,words",
    [
        ({"cell": "relaxed"}, {}, 'cell = "relaxed", not "experimental"'),
        ({}, {"cell": "relaxed"}, 'cell = "experimental", not "relaxed"'),
        ({"n_replicas": 2}, {}, "n_replicas 2 -> 1"),
    ],
)
def test_changed_cell_or_replicas_names_the_values_not_none(tmp_path, before, after, words):
    """cell = "relaxed" -> "experimental" on the same OUT said "cell 'relaxed' ->
    None; relax_fmax_eV_A 0.02 -> None; ..." and 2 replicas -> 1 "n_replicas 2 ->
    None": the keys the fingerprint leaves out at their default."""
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.inputs import InputsChangedError, check_protocol_and_model

    def fp(extra: dict) -> dict:
        flat = {"materials": ("builtin:toy-fast",), "model": "toy", **extra}
        return RunConfig(**flat).protocol_fingerprint()

    model = {"model_name": "toy", "model_version": "1"}
    with pytest.raises(InputsChangedError) as exc:
        check_protocol_and_model(
            {"protocol": fp(before), "model": model},
            protocol=fp(after),
            model=model,
            out=tmp_path,
        )
    msg = str(exc.value)
    assert words in msg and "None" not in msg
