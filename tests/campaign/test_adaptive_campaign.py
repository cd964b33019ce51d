"""The adaptive protocol end to end on the toy conductor (docs/adaptive.md):
decisions recorded with their numbers, every entry and exit logged with its step,
the batch refilled, a kill at any moment replayed to the same results, and bad
settings refused before any MD."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest

from ionmd.campaign.config import RunConfig
from ionmd.campaign.run import run_campaign

FLAT = dict(
    materials=("builtin:toy-fast", "builtin:toy-melt"),
    temperatures_K=(900.0, 1200.0),
    model="toy",
    device="cpu",
    dtype="float64",
    timestep_fs=4.0,
    equilibration_ps=0.2,
    sample_every_fs=40.0,
    msd_every_fs=8.0,
    thermo_every_fs=40.0,
    fault_check_every_fs=40.0,
    flush_every_ps=0.2,
    progress=False,
    protocol="adaptive",
    chunk_ps=0.4,
    max_duration_ps=1.2,
    min_reliable_temperatures=2,
    max_temperature_K=1300.0,
    max_atoms_per_batch=300,  # two 135-atom systems at a time: a queue, refills
)


def _state(out: Path) -> dict:
    return json.loads((out / "adaptive.json").read_text())


def _comparable(state: dict) -> dict:
    return {k: state[k] for k in ("systems", "materials", "events", "occupancy", "queue")}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("adaptive") / "ref"
    run_campaign(RunConfig(**FLAT, out=str(out)), analyze=False)
    return out


def test_decisions_entries_and_exits_are_recorded(reference: Path) -> None:
    st = _state(reference)
    assert st["done"] and all(m["status"] != "running" for m in st["materials"].values())
    assert all(not m["reason"] == "" for m in st["materials"].values())
    events = st["events"]
    for key, rec in st["systems"].items():
        mine = [
            e for e in events if e.get("key") == key and e["event"] != "add_temperature"
        ]
        kinds = [e["event"] for e in mine]
        if rec["outcome"] == "cancelled":
            continue
        assert kinds[0] == "enter" and kinds[-1] == "stop", (key, kinds)
        assert (
            mine[0]["step"] == rec["entered_step"] and mine[-1]["step"] == rec["left_step"]
        )
        for e in mine[1:]:  # every decision carries the numbers behind it
            assert {"run_ps", "msd_A2", "framework_msd_A2", "D_log10_ci"} <= set(
                e["numbers"]
            )
            assert e["reason"]
    with h5py.File(reference / "md.h5") as f:
        for key, rec in st["systems"].items():
            if rec["outcome"] == "cancelled":
                continue
            a = f[f"parameters/{key}"].attrs
            assert a["status"] == "done"
            assert (
                int(a["steps_done"]) == int(a["steps_total"]) == round(rec["run_ps"] / 4e-3)
            )
    # the batch held two systems and was refilled as they finished
    assert max(r["n_systems"] for r in st["occupancy"]) == 2
    assert len({e["step"] for e in events if e["event"] == "enter"}) > 1
    cost = json.loads((reference / "campaign.json").read_text())["batches"][0]
    assert cost["protocol"] == "adaptive" and cost["atom_steps"] == st["atom_steps"]


def test_cost_table_counts_the_atom_steps_and_ps_really_run(reference: Path) -> None:
    """An adaptive batch is not always full: its rate is the atom-steps the loop
    counted over its wall time (not capacity × steps), and its simulated ps the
    systems' own run times (not duration_ps, which the protocol ignores)."""
    import re

    from ionmd.analysis.compare import _cost
    from ionmd.campaign.report import campaign_tables

    st = _state(reference)
    record = json.loads((reference / "campaign.json").read_text())
    batch = record["batches"][0]
    assert st["occupancy_mean"] < 0.9  # the case where capacity × steps is wrong
    expected = st["atom_steps"] / batch["md_wall_s"]
    table = next(t for t in campaign_tables(record) if t.title.startswith("Cost"))
    shown = float(re.search(r"; ([0-9.e+]+) atom-steps/s here", table.title).group(1))
    assert shown == pytest.approx(expected, rel=5.1e-3)  # the title rounds to 3 digits
    assert _cost(record)["atom_steps_per_s"] == pytest.approx(expected)
    ran = [r["run_ps"] for r in st["systems"].values() if r["entered_step"] is not None]
    cell = table.rows[0][list(table.header).index("simulated ps")]
    assert float(cell.split()[0]) == pytest.approx(sum(ran) / len(ran), rel=2e-3)


@pytest.mark.parametrize("where", ["mid_chunk", "after_entry"])
def test_kill_anywhere_and_rerun_gives_the_same_results(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    from ionmd.engine import inflight

    out = tmp_path / "killed"
    config = RunConfig(**FLAT, out=str(out))
    calls = {"n": 0}
    if where == "mid_chunk":
        real_step = inflight.nh.nh_step

        def step(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 370:  # inside the fourth chunk, between flushes
                raise KeyboardInterrupt("kill")
            return real_step(*args, **kwargs)

        monkeypatch.setattr(inflight.nh, "nh_step", step)
    else:
        real_add = inflight.InFlightBatch.add

        def add(self, systems, **kwargs):
            real_add(self, systems, **kwargs)
            calls["n"] += 1
            if calls["n"] == 2:  # the refill wrote its groups; no checkpoint yet
                raise KeyboardInterrupt("kill")

        monkeypatch.setattr(inflight.InFlightBatch, "add", add)
    with pytest.raises(KeyboardInterrupt):
        run_campaign(config, analyze=False)
    monkeypatch.undo()
    run_campaign(config, analyze=False)
    assert _comparable(_state(out)) == _comparable(_state(reference))
    with h5py.File(reference / "md.h5") as a, h5py.File(out / "md.h5") as b:
        assert sorted(a["particles"]) == sorted(b["particles"])
        for key in a["particles"]:
            for path in (f"particles/{key}/position/value", f"msd/{key}/mobile_A2"):
                assert (a[path][()] == b[path][()]).all(), path


@pytest.mark.parametrize(
    "analyze", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["md", "analysis"]
)
def test_on_an_executor_each_worker_runs_its_share(
    reference: Path, tmp_path: Path, analyze: bool
) -> None:
    """Two shares (one material each) on two thread workers: each runs its own loop
    into its own run file and state; the merged adaptive.json holds every system,
    and a material's decisions are those of the in-process run (its share holds all
    of its temperatures; the batch only changes float rounding, not the rules)."""
    from ionmd.scaleout import ExecutorConfig

    out = tmp_path / "exec"
    config = RunConfig(**FLAT, out=str(out))
    run_campaign(
        config, executor=ExecutorConfig(kind="threads", max_workers=2), analyze=analyze
    )
    assert (out / "adaptive.0.json").exists() and (out / "adaptive.1.json").exists()
    merged, ref = _state(out), _state(reference)
    assert merged["shares"] == 2
    assert sorted(merged["systems"]) == sorted(ref["systems"])
    for mid, m in ref["materials"].items():
        assert merged["materials"][mid]["status"] == m["status"]
    if analyze:
        results = json.loads((out / "results.json").read_text())
        assert set(results["adaptive"]["systems"]) == set(ref["systems"])


def test_budget_stops_everything_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "budget"
    flat = {**FLAT, "max_atom_steps": 270 * 100.0}  # one chunk of the first two systems
    run_campaign(RunConfig(**flat, out=str(out)), analyze=False)
    st = _state(out)
    assert st["done"] and st["atom_steps"] == 270 * 100
    assert all(r["outcome"] in ("budget", "reliable") for r in st["systems"].values())
    for m in st["materials"].values():
        assert m["status"] == "unresolved"
        assert m["reason"].startswith("budget of 27000 atom-steps spent: ")
        assert "no temperature left" not in m["reason"]


def test_python_api_runs_adaptive_and_returns_the_decisions(tmp_path: Path) -> None:
    import ionmd

    flat = {
        k: v for k, v in FLAT.items() if k not in ("materials", "temperatures_K", "model")
    }
    flat |= {"max_duration_ps": 0.8, "max_atom_steps": 0.0}
    res = ionmd.run(
        "builtin:toy-melt", temperatures_K=[900.0, 1100.0], model="toy",
        out=tmp_path / "api", **flat,
    )  # fmt: skip
    assert res.adaptive is not None
    assert set(res.adaptive["systems"]) >= {"toy-melt_900K", "toy-melt_1100K"}
    assert res.adaptive["materials"]["toy-melt"]["status"] in ("resolved", "unresolved")
    assert (tmp_path / "api" / "adaptive_timeline.png").stat().st_size > 1000
