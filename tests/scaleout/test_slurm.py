"""The scale-out layer on a real single-node SLURM cluster (``-m slurm``).

Start it first with ``bash .ci/slurm/install.sh && bash .ci/slurm/start.sh`` (the
fixture tries start.sh itself when run as root, and skips saying why otherwise).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ionmd.scaleout import markers
from ionmd.scaleout.config import executor_config_from_table
from ionmd.scaleout.parsl_run import run_tasks
from ionmd.scaleout.smoke import smoke_campaign
from ionmd.scaleout.task_status import campaign_status
from ionmd.scaleout.vasp_segment import sbatch_segment_task, vasp_segment_task

from .conftest import our_jobs
from .reference import outputs

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(420)]

#: the campaign gives up after this long; the test's hard limit is above it
RUN_TIMEOUT_S = 300


def _slurm_config(partition: str):
    venv_bin = Path(sys.executable).parent
    return executor_config_from_table(
        {
            "kind": "slurm",
            "partition": partition,
            "walltime": "00:10:00",
            "max_blocks": 2,  # two SLURM jobs ...
            "max_workers": 1,  # ... of one worker each
            "cores_per_worker": 1,  # 1 CPU each: both fit on a 2-CPU node at once
            "worker_init": f'export PATH="{venv_bin}:$PATH"',
            "heartbeat_period_s": 2,  # a killed job's task is retried within ~10 s
            "heartbeat_threshold_s": 10,
        }
    )


class _KillOneWorker(threading.Thread):
    """Waits until a task has been running for a moment inside a SLURM job while
    others are still unfinished, then ``scancel``s that job; meanwhile records
    what ``campaign_status`` shows."""

    def __init__(self, out_dir: Path, keys: list[str], *, give_up_s: float) -> None:
        super().__init__(daemon=True)
        self.out_dir, self.keys, self.give_up_s = out_dir, keys, give_up_s
        self.killed: tuple[str, str] | None = None  # (task key, job id)
        self.seen_running: set[str] = set()

    def run(self) -> None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < self.give_up_s:
            try:
                status = campaign_status(self.out_dir)
                self.seen_running |= {r.where for r in status.rows if r.state == "running"}
            except Exception:  # state file not written yet
                pass
            done = [k for k in self.keys if markers.done_path(self.out_dir, k).exists()]
            for key in self.keys:
                started = markers.read_json(markers.started_path(self.out_dir, key))
                if (
                    started
                    and started.get("slurm_job_id")
                    and key not in done
                    and len(done) < len(self.keys) - 2
                    and time.time() - started["time"] > 0.5
                ):
                    job = started["slurm_job_id"]
                    subprocess.run(["scancel", job], check=True, timeout=30)
                    self.killed = (key, job)
                    return
            time.sleep(0.2)


def test_campaign_survives_a_killed_worker_job(slurm_cluster, tmp_path):
    # the reference: the same campaign on the local executor (default: a pool of 2)
    local_out = tmp_path / "local"
    local_tasks = smoke_campaign(local_out, sleep_s=0.0)
    local = run_tasks(
        local_tasks,
        executor_config=executor_config_from_table({"kind": "local", "max_workers": 2}),
        out_dir=local_out,
        timeout_s=120,
    )
    assert all(r.ok for r in local.values())

    out = tmp_path / "slurm"
    tasks = smoke_campaign(out, sleep_s=3.0)
    killer = _KillOneWorker(out, [t.key for t in tasks], give_up_s=RUN_TIMEOUT_S)
    killer.start()
    t0 = time.monotonic()
    results = run_tasks(
        tasks,
        executor_config=_slurm_config(slurm_cluster),
        out_dir=out,
        timeout_s=RUN_TIMEOUT_S,
    )
    elapsed = time.monotonic() - t0
    killer.join(timeout=5)

    assert killer.killed is not None, "no task was seen running inside a SLURM job"
    killed_key, killed_job = killer.killed
    failures = {k: r.reason for k, r in results.items() if not r.ok}
    assert not failures, (
        f"campaign did not complete after killing job {killed_job}: {failures}"
    )
    # the task whose job was killed ran again, elsewhere
    assert results[killed_key].attempts >= 2
    assert f"job {killed_job})" not in (results[killed_key].where or "")
    # the results are the local run's, bit for bit
    assert outputs(tasks) == outputs(local_tasks)
    assert {k: r.value for k, r in results.items()} == {
        k: r.value for k, r in local.items()
    }
    # status showed tasks running inside SLURM jobs while the campaign ran
    assert any(w and "(job " in w for w in killer.seen_running)
    final = campaign_status(out)
    assert final.counts == {"pending": 0, "running": 0, "done": 9, "failed": 0}
    # the runner cancelled its blocks on the way out
    deadline = time.monotonic() + 30
    while our_jobs() and time.monotonic() < deadline:
        time.sleep(1)
    assert our_jobs() == []
    print(f"slurm campaign with one job killed: {elapsed:.1f} s")

    # re-running resumes: nothing is submitted to SLURM again
    again = run_tasks(
        smoke_campaign(out, sleep_s=3.0),
        executor_config=_slurm_config(slurm_cluster),
        out_dir=out,
        timeout_s=60,
    )
    assert all(r.resumed for r in again.values())


def test_vasp_segments_through_srun(slurm_cluster, tmp_path):
    """Two chained stand-in VASP segments, each a real ``srun -N 1`` job step run
    from the login-node side (threads executor): SLURM sets the node count."""
    program = "sh -c 'echo $SLURM_NNODES $SLURM_NTASKS $SLURM_JOB_ID > vasprun.xml'"
    segs = []
    for i in (1, 2):
        (tmp_path / f"s{i}").mkdir()
        segs.append(
            vasp_segment_task(
                key=f"seg-{i}",
                directory=tmp_path / f"s{i}",
                n_atoms=100,  # -> 1 node
                program=program,
                after=None if i == 1 else "seg-1",
                extra_srun_args=f"--partition={slurm_cluster} --time=00:02:00",
            )
        )
    config = executor_config_from_table({"kind": "threads", "max_workers": 2})
    results = run_tasks(segs, executor_config=config, out_dir=tmp_path, timeout_s=120)
    assert all(r.ok for r in results.values()), {k: r.reason for k, r in results.items()}
    lines = [(tmp_path / f"s{i}" / "vasprun.xml").read_text().split() for i in (1, 2)]
    assert [line[:2] for line in lines] == [["1", "1"], ["1", "1"]]
    assert lines[0][2] != lines[1][2]  # two separate SLURM jobs
    first_done = (tmp_path / "s1" / "vasprun.xml").stat().st_mtime
    second_start = markers.read_json(markers.started_path(tmp_path, "seg-2"))["time"]
    assert second_start >= first_done - 1e-3


def test_sbatch_segment_chain_resumes(slurm_cluster, tmp_path):
    """Job scripts chained with ``sbatch --wait``: the second starts after the
    first job ends; a failing job fails its task and the one after it; re-running
    after fixing it runs only what is left."""
    scripts = []
    for i, body in enumerate(
        ["echo one > vasprun.xml", "exit 4", "cat ../s1/vasprun.xml > vasprun.xml"]
    ):
        seg = tmp_path / f"s{i}"
        seg.mkdir()
        script = seg / "job.sh"
        script.write_text(
            f"#!/bin/bash\n#SBATCH --partition={slurm_cluster}\n#SBATCH --time=00:02:00\n"
            f"#SBATCH --ntasks=1\n{body}\n"
        )
        scripts.append(script)

    def tasks():
        return [
            sbatch_segment_task(
                key=f"seg-{i}", script=s, after=None if i == 0 else f"seg-{i - 1}"
            )
            for i, s in enumerate(scripts)
        ]

    config = executor_config_from_table({"kind": "threads", "max_workers": 1})
    first = run_tasks(
        tasks(), executor_config=config, out_dir=tmp_path, retries=0, timeout_s=120
    )
    assert first["seg-0"].state == "done"
    assert first["seg-1"].state == "failed" and "BashExitFailure" in first["seg-1"].reason
    assert first["seg-2"].reason == "not run: dependency seg-1 failed"
    scripts[1].write_text(
        scripts[1].read_text().replace("exit 4", "cp ../s0/vasprun.xml .")
    )
    second = run_tasks(
        tasks(), executor_config=config, out_dir=tmp_path, retries=0, timeout_s=120
    )
    assert [second[f"seg-{i}"].resumed for i in range(3)] == [True, False, False]
    assert all(r.ok for r in second.values())
    assert (tmp_path / "s2" / "vasprun.xml").read_text() == "one\n"


def test_vasp_segment_as_a_step_inside_a_block(slurm_cluster, tmp_path):
    """With the slurm executor, the segment's ``srun`` is a job step inside the
    worker's block (no second allocation): SLURM_JOB_ID is the block's."""
    (tmp_path / "s1").mkdir()
    seg = vasp_segment_task(
        key="seg-1",
        directory=tmp_path / "s1",
        n_atoms=64,
        program="sh -c 'echo $SLURM_NNODES $SLURM_STEP_ID $SLURM_JOB_ID > vasprun.xml'",
    )
    results = run_tasks(
        [seg],
        executor_config=_slurm_config(slurm_cluster),
        out_dir=tmp_path,
        timeout_s=RUN_TIMEOUT_S,
    )
    assert results["seg-1"].ok, results["seg-1"].reason
    nodes, step, job = (tmp_path / "s1" / "vasprun.xml").read_text().split()
    assert nodes == "1" and step == "0"
    assert results["seg-1"].where.endswith(f"(job {job})")  # the worker's own job
