"""Loading a model prints nothing of the libraries' own (torch.jit's deprecation
warnings, e3nn's TorchScript notes, Warp's native CUDA warning, mace's
cuEquivariance notice on stdout): they are DEBUG lines of ionmd's log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging, sys
import ionmd.log
if sys.argv[1] == "debug":
    ionmd.log.configure(level=logging.DEBUG)
from ionmd.calculators import load_model
load_model("mace-tiny")
print("loaded")
"""


def _load(level: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, level],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=REPO,
    )


def test_model_loading_is_quiet_and_its_chatter_is_in_the_debug_log():
    quiet = _load("none")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert quiet.stdout == "loaded\n"  # before: "cuequivariance ... not available"
    assert quiet.stderr == "", quiet.stderr[-2000:]  # before: ~40 warning lines
    debug = _load("debug")
    assert debug.returncode == 0
    assert "ionmd: stdout: cuequivariance" in debug.stderr
    assert "torch.jit.script` is deprecated" in debug.stderr
    assert debug.stdout == "loaded\n"
