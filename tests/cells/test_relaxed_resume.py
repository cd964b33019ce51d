"""A relaxed campaign killed (SIGKILL) during its MD and run again continues
from the relaxed structures recorded in campaign.json (no second relaxation)
and ends with the run files of an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.campaign.tiny import run_file_arrays, write_cif, write_config


def _ionmd(*args: str) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ionmd", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _config(tmp_path: Path, name: str) -> Path:
    cif = write_cif(tmp_path / "lj_li.cif", a=5.0)  # compressed: FIRE has work
    cfg = write_config(tmp_path, name, cifs=[cif], temps=(30,), duration_ps=2.0)
    cfg.write_text(cfg.read_text() + 'cell = "relaxed"\n')
    return cfg


@pytest.mark.timeout(600)
def test_kill_during_md_resumes_from_the_recorded_cell(tmp_path):
    p = _ionmd("run", str(_config(tmp_path, "ref")), "--no-analysis")
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-2000:]
    assert "relaxed 1 structures" in err

    cfg = _config(tmp_path, "run")
    ckpt = tmp_path / "run" / "md.ckpt.pt"
    p = _ionmd("run", str(cfg), "--no-analysis")
    deadline = time.time() + 200
    while not ckpt.exists() and time.time() < deadline and p.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)
    assert p.poll() is None, "the run finished before it could be killed"
    p.send_signal(signal.SIGKILL)
    p.wait()

    p = _ionmd("run", str(cfg), "--no-analysis")
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-2000:]
    assert "resuming" in err and "relaxed 1 structures" not in err
    ref = run_file_arrays(tmp_path / "ref" / "md.h5")
    got = run_file_arrays(tmp_path / "run" / "md.h5")
    assert ref.keys() == got.keys()
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
