"""Segment states, re-planning after a clean early stop, and resuming with submit."""

from __future__ import annotations

import json

import pytest
from pymatgen.io.vasp.inputs import Incar

from ionmd.vasp_bridge.config import campaign_from_dict
from ionmd.vasp_bridge.prepare import prepare_run
from ionmd.vasp_bridge.submit import progress_of, status_line, submit_run
from tests.vasp_bridge._segmented import outcar_text


def _oszicar(n: int) -> str:
    return "".join(
        f"{k:6d} T=   800. E= -.1E+03 F= -.1E+03 E0= -.1E+03  EK= 0.1E+01\n"
        for k in range(1, n + 1)
    )


def _finish(seg, *, steps, complete=True):
    (seg / "OSZICAR").write_text(_oszicar(steps))
    (seg / "OUTCAR").write_text(
        outcar_text(elapsed_s=100.0, cores=64, steps=steps, complete=complete)
    )
    (seg / "CONTCAR").write_text("fake\n")


@pytest.fixture
def run_dir(tmp_path, shared):
    obelix = shared / "data" / "obelix"
    if not (obelix / "all.csv").exists():
        pytest.skip(f"OBELiX data not found at {obelix}")
    # 1 ps = 500 steps; (3600 s - 1800 s) / 9 s per step = 200 steps per segment
    campaign = campaign_from_dict(
        {
            "materials": ["gvd"],
            "temperatures_K": [800],
            "duration_ps": 1.0,
            "obelix_data": str(obelix),
            "vasp": {
                "walltime": "01:00:00",
                "stop_margin_s": 1800,
                "seconds_per_step": 9.0,
            },
        }
    )
    run = prepare_run(campaign, material_id="gvd", temperature_K=800, out_dir=tmp_path)
    (run / "POTCAR").write_text("fake POTCAR\n")
    return run


@pytest.fixture
def fake_sbatch(tmp_path):
    log = tmp_path / "sbatch.log"
    path = tmp_path / "sbatch"
    path.write_text(
        f'#!/bin/bash\necho "$@" >> {log}\nn=$(wc -l < {log}); echo $((1000 + n))\n'
    )
    path.chmod(0o755)
    return path, log


def test_plan_and_states(run_dir):
    record = json.loads((run_dir / "ionmd_vasp.json").read_text())
    assert record["segments"] == [200, 200, 100]
    p = progress_of(run_dir)
    assert [s.state for s in p.segments] == ["pending"] * 3 and p.state == "new"
    _finish(run_dir / "seg_000", steps=200)
    _finish(run_dir / "seg_001", steps=120)  # STOPCAR: a clean stop after 120 steps
    _finish(run_dir / "seg_002", steps=40, complete=False)  # killed
    p = progress_of(run_dir)
    assert [s.state for s in p.segments] == ["done", "partial", "incomplete"]
    assert p.steps_done == 320 and p.next_index == 2 and not p.complete
    assert "320/500 steps" in status_line(run_dir)


def test_submit_resumes_after_partial_and_killed_segments(run_dir, fake_sbatch):
    sbatch, log = fake_sbatch
    _finish(run_dir / "seg_000", steps=200)
    _finish(run_dir / "seg_001", steps=120)
    _finish(run_dir / "seg_002", steps=40, complete=False)
    result = submit_run(run_dir, sbatch=str(sbatch))
    # the killed segment is set aside and rerun; 180 steps are left: one segment
    assert (run_dir / "seg_002.failed-1" / "OSZICAR").exists()
    record = json.loads((run_dir / "ionmd_vasp.json").read_text())
    assert record["segments"] == [200, 120, 180]
    assert Incar.from_file(run_dir / "seg_002" / "INCAR")["NSW"] == 180
    assert result.job_ids == ("1001",)
    assert log.read_text().split()[-1].endswith("seg_002/job.sh")
    assert json.loads((run_dir / "jobs.json").read_text()) == {"seg_002": "1001"}


def test_submit_chains_segments_and_stops_when_done(run_dir, fake_sbatch):
    sbatch, log = fake_sbatch
    result = submit_run(run_dir, sbatch=str(sbatch))
    assert result.job_ids == ("1001", "1002", "1003")
    lines = log.read_text().splitlines()
    assert "--dependency" not in lines[0]
    assert "--dependency=afterok:1001" in lines[1] and lines[1].endswith("seg_001/job.sh")
    assert "--dependency=afterok:1002" in lines[2]
    for i, n in enumerate((200, 200, 100)):
        _finish(run_dir / f"seg_{i:03d}", steps=n)
    assert progress_of(run_dir).state == "done"
    assert submit_run(run_dir, sbatch=str(sbatch)).action == "done"


def test_submit_needs_a_potcar(run_dir, fake_sbatch):
    from ionmd.errors import InputError

    (run_dir / "POTCAR").unlink()
    with pytest.raises(InputError, match="no POTCAR"):
        submit_run(run_dir, sbatch=str(fake_sbatch[0]))
    assert "would submit 3" in submit_run(run_dir, dry_run=True).action
