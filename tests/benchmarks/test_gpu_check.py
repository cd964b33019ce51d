"""The device check (issue 16) runs end to end on the CPU before any GPU sees it,
and the engine path imports nothing the GPU machine lacks.

Default: a reduced dry run (the parts that exercise the engine, the ASE
comparison, the fast paths and the host-read count) in-process, and the
import-cleanliness run in a subprocess that sees only the GPU machine's packages
plus the carried wheels. Slow: the full ``bash benchmarks/gpu_check.sh --dry-run``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import gpu_check
from benchmarks.gpu_check_imports import run_without

REPO = Path(__file__).resolve().parents[2]


def check_schema(res: dict, *, parts: tuple[str, ...]) -> None:
    assert res["schema"] == gpu_check.SCHEMA
    assert isinstance(res["dry_run"], bool)
    assert "random weights" in res["model_note"] or res["dry_run"]
    assert "alpha-Li3N" in res["standin_note"]
    for name in parts:
        e = res["parts"][name]
        assert e["status"] in gpu_check.STATUSES, (name, e)
        assert e["wall_s"] >= 0 and e["limit_s"] > 0
        if e["status"] != "ok":
            assert e["reason"], name


def test_reduced_dry_run_writes_the_json(tmp_path, capsys):
    parts = ("environment", "engine_vs_ase", "host_syncs", "compile", "projection")
    # engine_vs_ase and the rest at the dry-run sizes; model_load always runs
    assert gpu_check.main(["--dry-run", "--out", str(tmp_path), "--only", *parts]) == 0
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    check_schema(res, parts=("model_load", *parts))
    p = res["parts"]
    for name in ("environment", "model_load", "engine_vs_ase", "host_syncs"):
        assert p[name]["status"] == "ok", (name, p[name])
    e = p["engine_vs_ase"]
    assert e["overhead"]["repeats"] == 3 and e["engine_us_per_atom_step"] > 0
    assert e["engine_speedup_vs_ase"]["median"] > 0
    # ionmd reads nothing on the host on ordinary steps
    assert p["host_syncs"]["python_reads_per_ordinary_step_ionmd"] == 0
    assert p["compile"]["status"] == "skipped"
    assert p["projection"]["status"] == "skipped"  # no study batch measured
    out = capsys.readouterr().out
    assert "| quantity | value |" in out and "DRY RUN" in out


def test_a_part_that_runs_out_of_time_is_recorded_and_the_rest_goes_on(tmp_path):
    check = gpu_check.Check(out_dir=tmp_path, dry_run=True, budget_s=60)

    def slow(_limit):
        import time

        while True:
            time.sleep(0.05)

    def broken(_limit):
        raise RuntimeError("boom\nsecond line")

    gpu_check.LIMITS_S["slow"] = 1.0
    gpu_check.LIMITS_S["broken"] = 10.0
    try:
        check.part("slow", slow)
        check.part("broken", broken)
        gpu_check.run_part(check, "environment")
    finally:
        del gpu_check.LIMITS_S["slow"], gpu_check.LIMITS_S["broken"]
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert res["parts"]["slow"]["status"] == "timeout"
    assert res["parts"]["broken"]["status"] == "error"
    assert res["parts"]["broken"]["reason"] == "RuntimeError: boom"
    assert res["parts"]["environment"]["status"] == "ok"


def test_real_model_part_runs_sevennet_on_li6ps5cl_and_prints_d(tmp_path):
    """The real_model part at dry-run size (SevenNet-0, the 52-atom cell, a few
    steps through run_batch): every number the JSON and the table promise is there,
    and flagged as meaningless."""
    import torch

    from benchmarks.gpu_check.real_model import REFERENCE, run_real_model
    from benchmarks.gpu_check.table import table

    out = run_real_model(device=torch.device("cpu"), dry=True, limit_s=300, tmp=tmp_path)
    assert out.get("status", "ok") == "ok", out
    assert out["model"] == "sevennet-0" and out["material"] == "Li6PS5Cl"
    assert out["temperature_K"] == 700.0 and out["dtype"] == "float32"
    assert out["n_atoms"] == 52 and out["n_li"] == 24 and out["steps"] == 6
    assert out["atom_steps_per_s"] > 0 and out["li_msd_A2"] > 0
    assert len(out["D_ci95_cm2_s"]) == 2 and "D_cm2_s" in out
    assert 300 < out["mean_temperature_K"] < 1500  # 4 steps after equilibration
    assert out["reference"]["D_cm2_s"] == REFERENCE["D_cm2_s"] == 1.2e-5
    assert "mean nothing" in out["note"] and "cannot resolve" in out["resolves"]
    result = {
        "device": "cpu",
        "model": "mace-tiny",
        "model_note": "dry",
        "dry_run": True,
        "parts": {"real_model": out | {"status": "ok", "wall_s": 1.0}},
    }
    text = table(result)
    assert "real model: D(Li), 95 % interval vs AIMD" in text
    assert "vs AIMD 1.2e-05 cm²/s" in text and "Real model: DRY RUN" in text
    json.dumps(out)  # the check writes it as JSON


def test_cuda_sync_count_runs_the_batch_as_run_batch_takes_it(tmp_path, monkeypatch):
    """host_syncs' CUDA half (torch's sync detector over a second run) calls
    run_batch as it is called now (md=, not the old protocol= or config=: a TypeError
    that only a GPU would have met). On the CPU the detector is stubbed; the run
    is the part's 20 steps, one system."""
    import torch

    from benchmarks.gpu_check import host_syncs

    modes = []
    monkeypatch.setattr(torch.cuda, "set_sync_debug_mode", modes.append)
    check = gpu_check.Check(out_dir=tmp_path, dry_run=True, budget_s=60)
    cfg = host_syncs._config(check.size["ase_temperatures_K"][:1])
    systems = check.ase_systems()[:1]
    out = host_syncs._cuda_syncs(check, systems, check.model(), cfg)
    assert modes == ["warn", "default"]
    assert out["cuda_sync_warnings_per_step"] == out["cuda_sync_warnings_total"] / 20
    assert (check.tmp / "sync2.h5").exists()


def test_compile_cannot_spend_the_time_held_for_real_model(tmp_path):
    """compile (just before real_model) takes what time is left but the reserve,
    so the one part that predicts is not starved; real_model then gets it."""
    check = gpu_check.Check(out_dir=tmp_path, dry_run=True, budget_s=130)
    limits = {}

    def record(name):
        def fn(limit):
            limits[name] = limit
            return {}

        return fn

    check.part("compile", record("compile"))
    check.part("real_model", record("real_model"))
    held = gpu_check.RESERVE_S["real_model"]
    assert limits["compile"] <= 130 - held
    assert limits["real_model"] > held - 5
    assert gpu_check.PARTS[-2:] == ("real_model", "projection")


def test_wheel_pins_are_the_carried_list():
    """gpu_check.sh's WHEEL_PINS and gpu_check_imports.CARRIED name the same
    distributions (the import test trusts CARRIED; the device gets WHEEL_PINS)."""
    import re

    from benchmarks.gpu_check_imports import CARRIED, _norm

    text = (REPO / "benchmarks" / "gpu_check.sh").read_text()
    block = text.split("WHEEL_PINS=(", 1)[1].split(")", 1)[0]
    pins = {_norm(m) for m in re.findall(r'"([^"=]+)==', block)}
    assert pins == {_norm(c) for c in CARRIED}
    assert "sevenn" in pins


def test_engine_path_imports_nothing_the_gpu_machine_lacks():
    """Only the GPU machine's packages and the carried wheels are importable
    (no pymatgen, kinisi, scipp, matplotlib, pandas, nvalchemiops): the engine,
    the calculators and the benchmark modules import and run MD steps."""
    code = """
import sys
import torch
import benchmarks.engine, benchmarks.gpu_check, benchmarks.timing
import ionmd.calculators, ionmd.engine.runner, ionmd.campaign.memory
from pathlib import Path
import tempfile
from ionmd.calculators import load_model
from ionmd.campaign.config import RunConfig
from ionmd.engine.runner import run_batch
s = benchmarks.gpu_check.ase_systems(min_cell_length_A=6.0, temperatures_K=(800.0,))
cfg = RunConfig(materials=("x",), temperatures_K=(800.0,), duration_ps=0.008,
    equilibration_ps=0.0, sample_every_fs=2.0, msd_every_fs=2.0, thermo_every_fs=2.0,
    progress=False)
for name in ("mace-tiny", "sevennet-0"):  # sevennet-0: the real_model part's
    m = load_model(name)
    r = run_batch(s, m, md=cfg.md, out_path=Path(tempfile.mkdtemp()) / "r.h5",
        model_name=name)
    assert r.steps == 4 and not r.failed, r
bad = sorted({k.split(".")[0] for k in sys.modules} & {"pymatgen", "kinisi", "scipp",
    "matplotlib", "pandas", "nvalchemiops", "warp"})
print("LOADED-BAD", bad)
"""
    proc = run_without(["-c", code], timeout_s=300, as_device=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "LOADED-BAD []" in proc.stdout


@pytest.mark.slow
def test_full_dry_run_through_the_shell_script(tmp_path):
    """``bash benchmarks/gpu_check.sh --dry-run --out DIR`` (~3 min on 2 cores)."""
    env = dict(os.environ, PYTHON=sys.executable)
    proc = subprocess.run(
        ["bash", "benchmarks/gpu_check.sh", "--dry-run", "--out", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=450,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    check_schema(res, parts=gpu_check.PARTS)
    for name in (
        "engine_vs_ase",
        "study_batch",
        "largest_batch",
        "float64",
        "skin",
        "real_model",
    ):
        assert res["parts"][name]["status"] == "ok", res["parts"][name]
    assert res["parts"]["projection"]["status"] == "ok"
    skin = res["parts"]["skin"]
    assert skin["force_max_abs_diff_eV_A"] < 1e-8
    assert skin["neighbor_list_builds"] < skin["neighbor_list_calls"]
