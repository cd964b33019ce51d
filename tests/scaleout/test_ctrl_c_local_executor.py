"""Ctrl-C of ``ionmd run`` on the local executor: the terminal's SIGINT reaches
the whole process group (the driver, parsl's interchange, the workers); the
driver stops in one line with 130 instead of waiting forever in parsl's
cleanup for the dead interchange's reply. Found by a hostile NPT test (SIGINT
to the group during a worker's NPT stage hung until a second signal)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.campaign.tiny import write_cif, write_config


@pytest.mark.timeout(400)
def test_ctrl_c_of_the_group_stops_the_driver(tmp_path):
    cifs = [write_cif(tmp_path / "a.cif"), write_cif(tmp_path / "b.cif", a=5.4)]
    cfg = write_config(tmp_path, "run", cifs=cifs, duration_ps=3.0)
    cfg.write_text(cfg.read_text() + '[executor]\nkind = "local"\nmax_workers = 1\n')
    err = tmp_path / "err"
    p = subprocess.Popen(
        [sys.executable, "-m", "ionmd", "run", str(cfg), "--no-analysis"],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=err.open("w"),
        start_new_session=True,  # its own group, as a terminal's job
    )
    try:
        deadline = time.time() + 300
        ckpt = tmp_path / "run" / "md.ckpt.pt"  # the first task is in its MD
        while not ckpt.exists() and p.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        assert p.poll() is None, err.read_text()[-2000:]
        os.killpg(p.pid, signal.SIGINT)
        p.wait(timeout=60)  # before: still waiting after minutes
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert p.returncode == 130, err.read_text()[-2000:]
    lines = [ln for ln in err.read_text().splitlines() if ln.startswith("ionmd run:")]
    assert lines == ["ionmd run: stopped by SIGINT; re-run the same command to resume"]
    # and the worker pool's block (its own session) is cancelled, not left to
    # its heartbeat's ~2 min
    deadline = time.time() + 15
    while _processes_under(tmp_path) and time.time() < deadline:
        time.sleep(0.5)
    assert not _processes_under(tmp_path)


def _processes_under(path) -> list[int]:
    """Processes whose command line names ``path`` (the block's scripts)."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmd and int(pid) != os.getpid():
            out.append(int(pid))
    return out
