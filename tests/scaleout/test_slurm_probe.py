"""The SLURM fixture's probe says why SLURM cannot be used (default suite)."""

from __future__ import annotations

import shutil
import subprocess

from .conftest import _node_ready


def test_probe_without_client(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    ready, why = _node_ready()
    assert not ready
    assert why == "sinfo not found (SLURM client not installed)"


def test_probe_with_unreachable_controller(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")

    def fake_run(cmd, **kwargs):
        return subprocess.CompletedProcess(
            cmd, 1, stdout="", stderr="sinfo: error: Unable to contact slurm controller\n"
        )

    monkeypatch.setattr(subprocess, "run", fake_run)
    ready, why = _node_ready()
    assert not ready
    assert why == "sinfo failed: sinfo: error: Unable to contact slurm controller"


def test_probe_with_a_down_node(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    down = subprocess.CompletedProcess(["sinfo"], 0, "down*\n", "")
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: down)
    ready, why = _node_ready()
    assert not ready and "down*" in why
