"""Process handling for the DFT runs: MPI command line, a clean environment for
Debian's interpreter, bounded runs that kill their whole process group."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

#: Debian's interpreter, the one its ``gpaw`` package is built for.
SYSTEM_PYTHON = "/usr/bin/python3"


def mpi_command(*, n_cores: int) -> list[str]:
    if n_cores <= 1:
        return []
    cmd = ["mpiexec", "-n", str(n_cores)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return [*cmd, "--oversubscribe", "--bind-to", "none"]


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    # one thread per MPI rank; no venv leaking into Debian's python
    env.update(
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OMPI_ALLOW_RUN_AS_ROOT="1",
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
        OMPI_MCA_btl_vader_single_copy_mechanism="none",
        # yield instead of busy-polling while a rank waits: on a shared, oversubscribed
        # machine, spinning ranks steal the core their partner needs (measured: 5-20x)
        OMPI_MCA_mpi_yield_when_idle="1",
    )
    for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(key, None)
    return env


def run_bounded(
    cmd: list[str], *, cwd: Path, timeout_s: float, log_path: Path
) -> subprocess.CompletedProcess[bytes]:
    """Run ``cmd`` in its own process group; kill the whole group on timeout."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=subprocess_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise TimeoutError(
                f"{cmd[0]} ... did not finish within timeout_s={timeout_s:g}; "
                f"log: {log_path}"
            ) from None
        except BaseException:  # Ctrl-C, SIGTERM (see main): never leave ranks behind
            kill_group(proc)
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def tail(path: Path, n_lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n_lines:])
    except OSError:
        return "(no log)"


def load_avg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None
