"""The files that make a campaign resumable and observable, all under
``<out_dir>/scaleout/``:

* ``state.json``: every task's state (``pending/running/done/failed``), reason,
  attempts, where it ran; written by the runner only, atomically (write + rename);
* ``started/<key>.json``: written by the worker when a task starts (host, pid,
  SLURM job id); how the runner and ``status`` know a task is running, and where;
* ``done/<key>.json``: written by the runner when a task succeeded (inputs
  fingerprint, returned value): the record that lets a re-run skip it.

Workers only need the output directory on a filesystem they share with the runner
(the usual ``$HOME``/project/scratch on a cluster).
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

SUBDIR = "scaleout"


def scaleout_dir(out_dir: Path) -> Path:
    return Path(out_dir) / SUBDIR


def state_path(out_dir: Path) -> Path:
    return scaleout_dir(out_dir) / "state.json"


def started_path(out_dir: Path, key: str) -> Path:
    return scaleout_dir(out_dir) / "started" / f"{key}.json"


def done_path(out_dir: Path, key: str) -> Path:
    return scaleout_dir(out_dir) / "done" / f"{key}.json"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any | None:
    """The JSON in ``path``, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def here() -> dict[str, Any]:
    """Where this process runs: host, pid, and the SLURM job when inside one."""
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "time": time.time(),
    }


def describe_where(info: dict[str, Any] | None) -> str | None:
    """``host`` or ``host (job 123)`` for a started/runner record."""
    if not info:
        return None
    job = info.get("slurm_job_id")
    return f"{info.get('host')} (job {job})" if job else str(info.get("host"))


def mark_started(out_dir: Path, key: str) -> None:
    """Called on the worker as a task starts."""
    write_json_atomic(started_path(out_dir, key), here())


def is_done(out_dir: Path, key: str, *, digest: str, output: Path) -> bool:
    """Finished in an earlier run with the same inputs, and its output still there."""
    record = read_json(done_path(out_dir, key))
    return bool(record) and record.get("digest") == digest and Path(output).exists()
