"""Crashes, signals and concurrent use (issue 11): SIGTERM stops a run like
SIGINT (one line, checkpoint, exit 143, resumable to the same numbers); the
campaign is marked done only once everything is written, and a run killed
before that is completed by the next; one run per OUT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import ionmd.campaign.campaign_json as campaign_json
import ionmd.campaign.run as campaign_run
import ionmd.engine.inflight as engine_loop
from ionmd.engine import integrator

from .test_executor import strip
from .tiny import (
    ionmd,
    keep_signal_handlers,  # noqa: F401  (fixture)
    one_line,
    run_file_arrays,
    statuses,
    write_config,
)

pytestmark = pytest.mark.usefixtures("keep_signal_handlers")


def _signal_at_step(monkeypatch, step: int, signum: int = signal.SIGTERM) -> None:
    """Deliver ``signum`` to this process during MD step ``step`` (of any batch)."""
    real = integrator.nh_step
    calls = {"n": 0}

    def nh_step(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == step:
            os.kill(os.getpid(), signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(integrator, "nh_step", nh_step)


def test_sigterm_stops_with_checkpoint_and_resumes_to_the_same_numbers(
    tmp_path, monkeypatch, capsys
):
    assert ionmd("run", str(write_config(tmp_path, "ref")), "--no-analysis") == 0
    cfg = write_config(tmp_path, "run")
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        _signal_at_step(m, 23)
        capsys.readouterr()
        assert ionmd("run", str(cfg), "--no-analysis") == 143
    line = one_line(capsys.readouterr().err)
    assert "SIGTERM" in line and "step 23" in line and "re-run" in line
    ckpt = torch.load(out / "md.ckpt.pt", weights_only=False)
    assert ckpt["step"] == 23
    assert statuses(out) == {"lj_li_30K": "running"}
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))

    assert ionmd("run", str(cfg), "--no-analysis") == 0
    assert "resuming" in capsys.readouterr().err
    ref, got = run_file_arrays(tmp_path / "ref" / "md.h5"), run_file_arrays(out / "md.h5")
    assert ref.keys() == got.keys()
    for name in ref:
        np.testing.assert_array_equal(got[name], ref[name], err_msg=name)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigterm_from_outside_to_a_real_ionmd_run(tmp_path, capsys):
    """The same with a real process and a real signal (what SLURM does)."""
    assert ionmd("run", str(write_config(tmp_path, "ref", duration_ps=1.0))) == 0
    cfg = write_config(tmp_path, "run", duration_ps=1.0)
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.Popen(
        [sys.executable, "-m", "ionmd", "run", str(cfg)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 200
    while not (out / "md.ckpt.pt").exists() and time.time() < deadline:
        assert p.poll() is None, p.communicate()
        time.sleep(0.1)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 143, err
    line = one_line(err)
    assert "stopped by SIGTERM" in line
    step = torch.load(out / "md.ckpt.pt", weights_only=False)["step"]
    assert 0 < step < 200
    assert not (out / "results.json").exists()
    assert ionmd("run", str(cfg)) == 0
    ref = strip(json.loads((tmp_path / "ref" / "results.json").read_text()))
    got = strip(json.loads((out / "results.json").read_text()))
    assert got["materials"] == ref["materials"]


class _Killed(BaseException):
    """A kill at a chosen point (not an Exception: nothing may catch it)."""


def test_killed_while_writing_the_report_is_not_done_and_rerun_completes(
    tmp_path, monkeypatch
):
    cfg = write_config(tmp_path, "run")
    out = tmp_path / "run"
    with monkeypatch.context() as m:

        def killed(*args, **kwargs):
            raise _Killed

        m.setattr(campaign_run, "finish_reports", killed)
        with pytest.raises(_Killed):
            ionmd("run", str(cfg))
    assert json.loads((out / "campaign.json").read_text())["status"] != "done"
    assert ionmd("run", str(cfg)) == 0  # not refused as finished: completes
    assert json.loads((out / "campaign.json").read_text())["status"] == "done"
    report = (out / "report.md").read_text()
    assert "# Campaign" in report and "Supercells" in report
    assert ionmd("run", str(cfg)) == 0  # now it is finished: its results, nothing run


def test_killed_after_the_report_before_done_is_completed(tmp_path, monkeypatch):
    cfg = write_config(tmp_path, "run")
    out = tmp_path / "run"
    with monkeypatch.context() as m:

        def killed():
            raise _Killed

        m.setattr(campaign_json, "_before_done_hook", killed)
        with pytest.raises(_Killed):
            ionmd("run", str(cfg), "--no-analysis")
    assert json.loads((out / "campaign.json").read_text())["status"] == "running"
    assert ionmd("run", str(cfg), "--no-analysis") == 0
    assert json.loads((out / "campaign.json").read_text())["status"] == "done"


def test_killed_right_after_the_last_checkpoint_leaves_no_system_running(
    tmp_path, monkeypatch
):
    cfg = write_config(tmp_path, "run")
    out = tmp_path / "run"
    real = engine_loop.save_checkpoint
    total = 60  # 0.3 ps of 5 fs

    def save_then_die(path, *, step, **kwargs):
        real(path, step=step, **kwargs)
        if step == total:
            raise _Killed

    with monkeypatch.context() as m:
        m.setattr(engine_loop, "save_checkpoint", save_then_die)
        with pytest.raises(_Killed):
            ionmd("run", str(cfg), "--no-analysis")
    assert ionmd("run", str(cfg), "--no-analysis") == 0
    assert statuses(out) == {"lj_li_30K": "done"}


_HOLD_LOCK = """
import sys, time
from ionmd.campaign.lock import lock_out_dir
with lock_out_dir(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_second_run_on_a_locked_out_gets_one_line_and_a_dead_holder_blocks_nothing(
    tmp_path, capsys
):
    out = tmp_path / "run"
    out.mkdir()
    cfg = write_config(tmp_path, "run")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(out)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        capsys.readouterr()
        assert ionmd("run", str(cfg), "--no-analysis") == 2
        line = one_line(capsys.readouterr().err)
        assert f"is in use by another ionmd run (pid {holder.pid})" in line
        assert not (out / "campaign.json").exists()
    finally:
        holder.kill()  # SIGKILL: the lock dies with its holder
        holder.wait()
    assert ionmd("run", str(cfg), "--no-analysis") == 0


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_real_ionmd_runs_on_one_out(tmp_path):
    cfg = write_config(tmp_path, "run", duration_ps=1.0)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def start():
        return subprocess.Popen(
            [sys.executable, "-m", "ionmd", "run", str(cfg), "--no-analysis"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = start()
    deadline = time.time() + 200
    while not (tmp_path / "run" / "campaign.json").exists() and time.time() < deadline:
        time.sleep(0.1)
    second = start()
    _, err2 = second.communicate(timeout=200)
    _, err1 = first.communicate(timeout=200)
    assert first.returncode == 0, err1
    assert second.returncode == 2, err2
    assert f"in use by another ionmd run (pid {first.pid})" in one_line(err2)
    assert statuses(tmp_path / "run") == {"lj_li_30K": "done"}
