"""Fault injection: SIGKILL a running campaign at several random moments; after
each kill the run file opens and holds only complete blocks; the resumed run
file equals the uninterrupted one, bit for bit."""

import os
import random
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from ionmd.fileformat import list_systems, read_system

from .test_campaign_resume import _write_config


def _start(cfg):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ionmd", "run", str(cfg), "--no-analysis"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_readable(path):
    """Every block the file claims is complete; counters match the data."""
    for key in list_systems(path):
        rec = read_system(path, key)
        n = rec.attrs["n_frames_valid"]
        assert rec.positions.shape[0] == n and np.isfinite(rec.positions).all()
        if n:
            assert rec.position_steps[-1] <= rec.attrs["steps_done"]
        with h5py.File(path, "r") as f:
            assert f[f"particles/{key}/position/value"].shape[0] >= n


@pytest.mark.timeout(900)
def test_random_kills_then_resume_equal_uninterrupted(tmp_path):
    ref_cfg = _write_config(tmp_path, "ref", duration_ps=8.0)
    p = _start(ref_cfg)
    assert p.wait(timeout=300) == 0, p.stderr.read()[-2000:]

    cfg = _write_config(tmp_path, "run", duration_ps=8.0)
    out = tmp_path / "run"
    rng = random.Random(20261125)
    kills = 0
    for _ in range(3):
        p = _start(cfg)
        started = time.time()
        wait_s = rng.uniform(3.0, 12.0)  # interpreter start-up is ~5 s
        while time.time() - started < wait_s and p.poll() is None:
            time.sleep(0.1)
        if p.poll() is not None:
            break  # finished before this kill
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
        if (out / "md.h5").exists():
            _check_readable(out / "md.h5")
    if p.poll() is None or p.returncode != 0:  # killed last: finish the campaign
        p = _start(cfg)
        assert p.wait(timeout=300) == 0, p.stderr.read()[-2000:]
    assert kills >= 2
    for key in list_systems(tmp_path / "ref" / "md.h5"):
        a = read_system(tmp_path / "ref" / "md.h5", key)
        b = read_system(out / "md.h5", key)
        np.testing.assert_array_equal(a.positions, b.positions)
        for name in a.msd:
            np.testing.assert_array_equal(a.msd[name], b.msd[name])
        assert b.attrs["status"] == "done"
