"""An NPT campaign killed (SIGKILL) during its NPT stage or during its
production and run again ends with the run files and the stage record of an
uninterrupted run: a killed stage resumes from its last checkpoint (the stage
is a stage of the one MD loop), a killed production continues at the stage's
cell (no second stage)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.campaign.tiny import run_file_arrays, write_config


def _ionmd(cfg: Path, err: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ionmd", "run", str(cfg), "--no-analysis"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=err.open("w"),
    )


def _config(tmp_path: Path, name: str) -> Path:
    cfg = write_config(tmp_path, name, temps=(30,), duration_ps=3.0)
    cfg.write_text(cfg.read_text() + 'cell = "npt"\nnpt_ps = 1.5\n')
    return cfg


def _finish(cfg: Path, err: Path) -> str:
    p = _ionmd(cfg, err)
    p.wait(timeout=400)
    text = err.read_text()
    assert p.returncode == 0, text[-2000:]
    return text


def _wait_for(p: subprocess.Popen, ready, *, what: str) -> None:
    deadline = time.time() + 300
    while not ready() and time.time() < deadline and p.poll() is None:
        time.sleep(0.1)
    assert p.poll() is None, f"the run finished before {what}"
    p.send_signal(signal.SIGKILL)
    p.wait()


def _same(tmp_path: Path, name: str) -> None:
    ref = run_file_arrays(tmp_path / "ref" / "md.h5")
    got = run_file_arrays(tmp_path / name / "md.h5")
    assert ref.keys() == got.keys()
    assert any("/npt_stage/" in k for k in ref)  # the stage's series, written once
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
    cells = [
        json.loads((tmp_path / n / "campaign.json").read_text())["cells"]
        for n in ("ref", name)
    ]
    assert cells[0] == cells[1]


def _checkpoint(path: Path) -> dict | None:
    """The batch's checkpoint now (written atomically), or None."""
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except (FileNotFoundError, EOFError, RuntimeError):
        return None


def _in_stage(ckpt: Path) -> bool:
    """A checkpoint taken during the stage: it holds the stage's state, no record."""
    c = _checkpoint(ckpt)
    return c is not None and bool(c["stage"]["groups"]) and not c["stage_records"]


def _in_production(ckpt: Path) -> bool:
    c = _checkpoint(ckpt)
    return c is not None and bool(c["stage_records"]) and bool(c["msd"]["cohorts"])


@pytest.mark.timeout(1200)
def test_kill_during_the_stage_and_during_production(tmp_path):
    assert "NPT stage: 1 systems" in _finish(_config(tmp_path, "ref"), tmp_path / "ref.err")

    # killed during the stage, after a checkpoint of it: resumed from there
    cfg, err = _config(tmp_path, "stage"), tmp_path / "stage.err"
    ckpt = tmp_path / "stage" / "md.ckpt.pt"
    p = _ionmd(cfg, err)
    _wait_for(p, lambda: _in_stage(ckpt), what="a checkpoint of its stage")
    assert "NPT stage: 1 systems" in err.read_text()  # its start, not its end
    assert "NPT stage done" not in err.read_text()
    text = _finish(cfg, tmp_path / "stage2.err")
    assert "resuming" in text and "NPT stage done: 1 systems" in text
    assert "NPT stage: 1 systems" not in text  # resumed, not started again
    _same(tmp_path, "stage")

    # killed during production: resumed at the recorded cell, no second stage
    cfg, err = _config(tmp_path, "prod"), tmp_path / "prod.err"
    ckpt = tmp_path / "prod" / "md.ckpt.pt"
    p = _ionmd(cfg, err)
    _wait_for(p, lambda: _in_production(ckpt), what="a checkpoint of its production")
    text = _finish(cfg, tmp_path / "prod2.err")
    assert "resuming" in text and "NPT stage" not in text
    _same(tmp_path, "prod")
