"""``ionmd run --executor``: the campaign as scale-out tasks (one per batch, then the
analysis) gives the same results.json as the in-process run, and a re-run keeps
the finished batches and redoes only what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ase.build import bulk

from ionmd.cli import main
from ionmd.scaleout import markers

#: the tiny LJ campaign of test_campaign_resume, shorter, in two batches (one per T)
CONFIG = """
materials = ["{cif}"]
model = "lj"
temperatures_K = [30, 60]
min_cell_length_A = 10
timestep_fs = 5
duration_ps = {duration_ps}
equilibration_ps = 0.2
sample_every_fs = 50
msd_every_fs = 10
thermo_every_fs = 50
flush_every_ps = 0.25
max_atoms_per_batch = 32
progress = false
seed = 7
out = "{out}"
{extra}
"""


def write_config(
    tmp_path: Path, name: str, *, extra: str = "", duration_ps: float = 1.0
) -> Path:
    """A campaign TOML on a 4-atom fcc argon cell with one atom relabelled Li."""
    cif = tmp_path / "lj_li.cif"
    if not cif.exists():
        atoms = bulk("Ar", "fcc", a=5.26, cubic=True)  # 4 atoms, LJ argon
        atoms.set_chemical_symbols(["Li", "Ar", "Ar", "Ar"])
        atoms.write(cif)
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(
        CONFIG.format(cif=cif, out=tmp_path / name, extra=extra, duration_ps=duration_ps)
    )
    return cfg


def strip(x):
    """Drop what names the run directory or the clock; keep every number."""
    if isinstance(x, dict):
        return {
            k: strip(v)
            for k, v in x.items()
            if k not in ("created_utc", "inputs", "source")
        }
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def results(out: Path) -> dict:
    doc = strip(json.loads((out / "results.json").read_text()))
    temps = doc["materials"]["lj_li"]["temperatures"]
    assert len(temps) == 2 and all(t["D_cm2_s"] > 0 for t in temps)
    return doc


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The in-process run (no executor), once for the module."""
    tmp = tmp_path_factory.mktemp("ref")
    assert main(["run", str(write_config(tmp, "ref"))]) == 0
    return tmp / "ref"


@pytest.mark.timeout(300)
def test_threads_executor_matches_in_process(tmp_path, reference, monkeypatch, capsys):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    cfg = write_config(tmp_path, "run")
    out = tmp_path / "run"
    assert main(["run", str(cfg), "--executor", "threads"]) == 0
    assert results(out) == results(reference)
    assert (out / "md.h5").exists() and (out / "md.1.h5").exists()

    campaign = json.loads((out / "campaign.json").read_text())
    assert campaign["status"] == "done"
    assert [b["file"] for b in campaign["batches"]] == ["md.h5", "md.1.h5"]
    assert all(b["status"] == "done" and b["steps"] > 0 for b in campaign["batches"])

    # an interrupted campaign (one batch lost) resumes: batch 0 and nothing else kept
    campaign["status"] = "running"
    (out / "campaign.json").write_text(json.dumps(campaign))
    (out / "md.1.h5").unlink()
    (out / "md.1.ckpt.pt").unlink()
    assert main(["run", str(cfg), "--executor", "threads"]) == 0
    state = json.loads(markers.state_path(out.resolve()).read_text())["tasks"]
    assert state["md-000"]["resumed"] is True
    assert state["md-001"]["resumed"] is False
    assert state["analysis"]["resumed"] is False
    assert results(out) == results(reference)
    capsys.readouterr()
    assert main(["status", str(out)]) == 0  # `ionmd status` is registered
    assert "0 pending, 0 running, 3 done, 0 failed" in capsys.readouterr().out


@pytest.mark.slow  # worker processes start slowly on a loaded 2-core machine (~50 s)
@pytest.mark.timeout(300)
def test_executor_table_in_the_toml(tmp_path, reference, monkeypatch, capsys):
    """``[executor]`` alone switches to tasks: a local pool of worker processes."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    cfg = write_config(tmp_path, "run", extra='[executor]\nkind = "local"\nmax_workers = 2')
    assert main(["run", str(cfg)]) == 0
    assert "on the local executor" in capsys.readouterr().err
    assert results(tmp_path / "run") == results(reference)
    assert main(["status", str(tmp_path / "run")]) == 0
    assert "3 done" in capsys.readouterr().out
