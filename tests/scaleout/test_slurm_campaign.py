"""``ionmd run --executor slurm`` on a real single-node SLURM (``-m slurm``): the
tiny LJ campaign on two SLURM jobs of one worker each; one job is cancelled while
its batch runs; the campaign completes (the batch resumes from its checkpoint on
another worker) with the in-process run's results.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ionmd.cli import main
from ionmd.scaleout import markers
from tests.campaign.test_executor import results, write_config

from .conftest import our_jobs

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(600)]

#: the campaign must finish within this long; the test's hard limit is above it
RUN_TIMEOUT_S = 420
DURATION_PS = 2.0  # long enough to be caught mid-way


def _executor_toml(tmp_path: Path, partition: str) -> Path:
    venv_bin = Path(sys.executable).parent
    path = tmp_path / "cluster.toml"
    path.write_text(
        f"""[executor]
kind = "slurm"
partition = "{partition}"
walltime = "00:10:00"
max_blocks = 2         # two SLURM jobs ...
max_workers = 1        # ... of one worker each
cores_per_worker = 1   # both fit on a 2-CPU node
worker_init = 'export PATH="{venv_bin}:$PATH" OMP_NUM_THREADS=1'
heartbeat_period_s = 2
heartbeat_threshold_s = 10
"""
    )
    return path


class _KillBatchJob(threading.Thread):
    """Once a batch has written its checkpoint inside a SLURM job and is not done,
    ``scancel`` that job (once)."""

    def __init__(self, out: Path, *, give_up_s: float) -> None:
        super().__init__(daemon=True)
        self.out, self.give_up_s = out, give_up_s
        self.killed: tuple[str, str] | None = None  # (task key, job id)

    def run(self) -> None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < self.give_up_s and self.killed is None:
            for key, name in (("md-000", "md"), ("md-001", "md.1")):
                started = markers.read_json(markers.started_path(self.out, key))
                if (
                    started
                    and started.get("slurm_job_id")
                    and (self.out / f"{name}.ckpt.pt").exists()
                    and not markers.done_path(self.out, key).exists()
                ):
                    subprocess.run(["scancel", started["slurm_job_id"]], timeout=30)
                    self.killed = (key, started["slurm_job_id"])
                    return
            time.sleep(0.1)


def test_campaign_on_slurm_survives_a_killed_job(slurm_cluster, tmp_path):
    os.environ["OMP_NUM_THREADS"] = "1"
    ref = tmp_path / "ref_dir"
    ref.mkdir()
    assert main(["run", str(write_config(ref, "ref", duration_ps=DURATION_PS))]) == 0

    cfg = write_config(tmp_path, "run", duration_ps=DURATION_PS)
    out = (tmp_path / "run").resolve()
    exe = _executor_toml(tmp_path, slurm_cluster)
    killer = _KillBatchJob(out, give_up_s=RUN_TIMEOUT_S)
    killer.start()
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ionmd",
            "run",
            str(cfg),
            "--executor",
            "slurm",
            "--executor-config",
            str(exe),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        for job in our_jobs():
            subprocess.run(["scancel", job], timeout=30)
        pytest.fail(f"campaign did not finish in {RUN_TIMEOUT_S} s: {stderr[-2000:]}")
    elapsed = time.monotonic() - t0
    killer.join(timeout=5)

    assert proc.returncode == 0, stdout[-2000:] + stderr[-2000:]
    assert killer.killed is not None, "no batch was caught running in a SLURM job"
    key, job = killer.killed
    state = json.loads(markers.state_path(out).read_text())["tasks"]
    assert all(t["state"] == "done" for t in state.values()), state
    assert state[key]["attempts"] >= 2  # it ran again ...
    assert f"job {job})" not in state[key]["where"]  # ... in another job
    assert results(out) == results(ref / "ref")
    campaign = json.loads((out / "campaign.json").read_text())
    assert campaign["status"] == "done"
    assert [b["file"] for b in campaign["batches"]] == ["md.h5", "md.1.h5"]
    assert all("(job " in b["where"] for b in campaign["batches"])
    deadline = time.monotonic() + 30
    while our_jobs() and time.monotonic() < deadline:
        time.sleep(1)
    assert our_jobs() == []  # the runner cancelled its blocks
    print(f"slurm campaign with job {job} killed during {key}: {elapsed:.1f} s")
