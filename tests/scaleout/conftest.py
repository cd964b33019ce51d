"""Fixtures for the scale-out tests: a toy campaign and a single-node SLURM cluster.

The ``slurm_cluster`` fixture uses a SLURM that answers already (CI starts it with
``.ci/slurm/start.sh``); otherwise it tries to start one with that script (root and
the Debian packages needed) and stops it afterwards. It skips, saying why, when
SLURM cannot be reached or started.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CI_SLURM = REPO / ".ci" / "slurm"


def _node_ready() -> tuple[bool, str]:
    if shutil.which("sinfo") is None:
        return False, "sinfo not found (SLURM client not installed)"
    try:
        proc = subprocess.run(
            ["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        return False, "sinfo did not answer within 10 s"
    states = proc.stdout.split()
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"sinfo failed: {last}"
    if not any(s.rstrip("*~#") in ("idle", "mix", "alloc") for s in states):
        return False, f"no usable node (sinfo states: {' '.join(states) or 'none'})"
    return True, "ok"


@pytest.fixture(scope="session")
def slurm_cluster():
    """A reachable SLURM with an idle node; yields the partition name."""
    ready, why = _node_ready()
    started = False
    if not ready:
        hint = "run: bash .ci/slurm/install.sh && bash .ci/slurm/start.sh"
        if shutil.which("slurmctld") is None or shutil.which("munged") is None:
            pytest.skip(f"SLURM cannot be started here: packages missing ({why}); {hint}")
        if os.geteuid() != 0:
            pytest.skip(f"SLURM not running ({why}) and starting it needs root; {hint}")
        proc = subprocess.run(
            ["bash", str(CI_SLURM / "start.sh")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        started = True
        ready, why = _node_ready()
        if proc.returncode != 0 or not ready:
            subprocess.run(
                ["bash", str(CI_SLURM / "stop.sh")], capture_output=True, timeout=60
            )
            tail = (proc.stderr.strip().splitlines() or [why])[-1]
            pytest.skip(f"SLURM could not be started: {tail}")
    partition = subprocess.run(
        ["sinfo", "-h", "-o", "%P"], capture_output=True, text=True, timeout=10
    ).stdout.split()[0]
    yield partition.rstrip("*")
    if started:
        subprocess.run(["bash", str(CI_SLURM / "stop.sh")], capture_output=True, timeout=60)


def our_jobs(name_prefix: str = "parsl") -> list[str]:
    """Ids of this user's queued/running jobs whose name starts with ``name_prefix``."""
    proc = subprocess.run(
        ["squeue", "-h", "-u", os.environ.get("USER", "root"), "-o", "%i %j"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    jobs = []
    for line in proc.stdout.splitlines():
        job_id, _, name = line.partition(" ")
        if name.startswith(name_prefix):
            jobs.append(job_id)
    return jobs
