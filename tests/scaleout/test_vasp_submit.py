"""``ionmd vasp submit --executor slurm``: each run's remaining segments as a chain
of ``sbatch --wait`` tasks driven by the scale-out runner (resume, ``ionmd
status``), instead of an afterok chain handed to SLURM."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ionmd.cli import main
from ionmd.scaleout import markers
from ionmd.vasp_bridge.config import campaign_from_dict
from ionmd.vasp_bridge.prepare import prepare_run
from ionmd.vasp_bridge.submit import progress_of
from tests.vasp_bridge.test_slurm import FAKE_VASP, POSCAR


def _prepared_run(tmp_path: Path, *, partition: str | None = None) -> Path:
    """One run of 5 MD steps planned as two segments [3, 2], VASP faked."""
    fake = tmp_path / "fake_vasp"
    fake.write_text(FAKE_VASP)
    fake.chmod(0o755)
    structure = tmp_path / "li2.vasp"
    structure.write_text(POSCAR)
    vasp = {
        "cores_per_node": 2,
        "walltime": "00:01:00",
        "stop_margin_s": 30,
        "seconds_per_step": 10.0,
        "sample_every_steps": 1,
        "vasp_command": str(fake),
        "overrides": {"li2": {"supercell": "as_is"}},
    }
    if partition:
        vasp["partition"] = partition
    campaign = campaign_from_dict(
        {
            "materials": [str(structure)],
            "temperatures_K": [800],
            "duration_ps": 0.01,
            "vasp": vasp,
        }
    )
    run = prepare_run(
        campaign, material_id=str(structure), temperature_K=800, out_dir=tmp_path / "runs"
    )
    (run / "POTCAR").write_text("fake\n")
    return run


def test_dry_run_lists_the_chain(tmp_path, capsys):
    run = _prepared_run(tmp_path)
    assert (
        main(["vasp", "submit", str(run.parent), "--executor", "slurm", "--dry-run"]) == 0
    )
    out = capsys.readouterr().out
    assert "li2_800K: would run 2 segment(s)" in out
    assert "li2_800K.seg_000: sbatch --wait job.sh" in out
    assert "li2_800K.seg_001: sbatch --wait job.sh" in out


def test_other_executors_are_refused(tmp_path, capsys):
    run = _prepared_run(tmp_path)
    assert main(["vasp", "submit", str(run.parent), "--executor", "threads"]) == 2
    assert "use --executor slurm" in capsys.readouterr().err


@pytest.mark.slurm
@pytest.mark.timeout(300)
def test_segments_run_in_order_through_sbatch_wait(slurm_cluster, tmp_path, capsys):
    run = _prepared_run(tmp_path, partition=slurm_cluster)
    t0 = time.monotonic()
    assert main(["vasp", "submit", str(run.parent), "--executor", "slurm"]) == 0
    elapsed = time.monotonic() - t0
    p = progress_of(run)
    assert [s.state for s in p.segments] == ["done", "done"]
    assert p.steps_done == 5 and p.state == "done"
    # segment 1 started from segment 0's CONTCAR, after segment 0 ended
    assert (run / "seg_001" / "POSCAR").read_text() == (
        run / "seg_000" / "CONTCAR"
    ).read_text()
    out_dir = run.parent.resolve()
    started = markers.read_json(markers.started_path(out_dir, "li2_800K.seg_001"))
    assert started["time"] >= (run / "seg_000" / "OUTCAR").stat().st_mtime - 1e-3
    state = json.loads(markers.state_path(out_dir).read_text())["tasks"]
    assert [t["state"] for t in state.values()] == ["done", "done"]
    capsys.readouterr()

    # the same command again: nothing left to submit
    assert main(["vasp", "submit", str(run.parent), "--executor", "slurm"]) == 0
    assert "li2_800K: done" in capsys.readouterr().out
    print(f"two segments through sbatch --wait: {elapsed:.1f} s")
