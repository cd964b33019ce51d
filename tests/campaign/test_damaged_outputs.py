"""A damaged run file and a full disk (issue 11): one line naming the file, no
traceback, nothing half-written left behind, and (for the disk) a re-run after
freeing space resumes."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import ionmd.engine.checkpoint as checkpoint
import ionmd.fileformat.writer as writer
from ionmd.engine import integrator

from .tiny import (
    ionmd,
    keep_signal_handlers,  # noqa: F401  (fixture)
    one_line,
    statuses,
    write_config,
)

pytestmark = pytest.mark.usefixtures("keep_signal_handlers")


def _interrupt_at_step(monkeypatch, step: int) -> None:
    real = integrator.nh_step
    calls = {"n": 0}

    def nh_step(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == step:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(integrator, "nh_step", nh_step)


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("damage", ["cut", "garbage"])
def test_damaged_run_file_with_intact_checkpoint_is_one_line(
    tmp_path, monkeypatch, capsys, damage
):
    cfg = write_config(tmp_path, "run")
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        _interrupt_at_step(m, 45)
        assert ionmd("run", str(cfg), "--no-analysis") == 130
    run_file = out / "md.h5"
    assert (out / "md.ckpt.pt").exists()
    data = run_file.read_bytes()
    if damage == "cut":
        run_file.write_bytes(data[: len(data) // 2])
    else:
        run_file.write_bytes(os.urandom(len(data)))
    capsys.readouterr()

    assert ionmd("run", str(cfg), "--no-analysis") == 2
    line = one_line(capsys.readouterr().err)
    assert str(run_file) in line and "--force" in line

    assert ionmd("analyze", str(run_file), "--out", str(tmp_path / "an")) == 2
    line = one_line(capsys.readouterr().err, "analyze")
    assert str(run_file) in line

    assert ionmd("run", str(cfg), "--no-analysis", "--force") == 0  # the way out
    assert statuses(out) == {"lj_li_30K": "done"}


def _no_space(path) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def test_disk_full_while_writing_the_checkpoint(tmp_path, monkeypatch, capsys):
    cfg = write_config(tmp_path, "run")
    out = tmp_path / "run"
    real = checkpoint.torch.save
    calls = {"n": 0}

    def save(obj, f, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second checkpoint: half of it, then ENOSPC
            Path(f).write_bytes(b"\0" * 1000)
            raise _no_space(f)
        return real(obj, f, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(checkpoint.torch, "save", save)
        capsys.readouterr()
        assert ionmd("run", str(cfg), "--no-analysis") == 1
    line = one_line(capsys.readouterr().err)
    assert "md.ckpt.pt" in line and "no space left on device" in line
    assert _leftovers(out) == []
    assert checkpoint.torch.load(out / "md.ckpt.pt", weights_only=False)["step"] == 20

    assert ionmd("run", str(cfg), "--no-analysis") == 0  # space freed: resumes
    assert "resuming" in capsys.readouterr().err
    assert statuses(out) == {"lj_li_30K": "done"}


def test_disk_full_while_appending_to_the_run_file(tmp_path, monkeypatch, capsys):
    cfg = write_config(tmp_path, "run")
    out = tmp_path / "run"
    real = writer._append
    calls = {"n": 0}

    def append(ds, rows):
        calls["n"] += 1
        if calls["n"] == 40:
            raise OSError(
                errno.ENOSPC,
                "Can't synchronously write data (file write failed: errno = 28, "
                "error message = 'No space left on device')",
            )
        return real(ds, rows)

    with monkeypatch.context() as m:
        m.setattr(writer, "_append", append)
        capsys.readouterr()
        assert ionmd("run", str(cfg), "--no-analysis") == 1
    line = one_line(capsys.readouterr().err)
    assert str(out / "md.h5") in line and "no space left on device" in line
    assert _leftovers(out) == []
    assert ionmd("run", str(cfg), "--no-analysis") == 0
    assert statuses(out) == {"lj_li_30K": "done"}


def test_disk_full_while_saving_a_figure(tmp_path, monkeypatch, capsys):
    from matplotlib.figure import Figure

    cfg = write_config(tmp_path, "run", duration_ps=0.4)  # enough frames to analyse
    out = tmp_path / "run"
    real = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise _no_space(fname)

    with monkeypatch.context() as m:
        m.setattr(Figure, "savefig", savefig)
        capsys.readouterr()
        assert ionmd("run", str(cfg)) == 1
    line = one_line(capsys.readouterr().err)
    assert ".png" in line and "no space left on device" in line
    assert _leftovers(out) == [] and not list(out.glob(".*.tmp"))
    assert not list(out.glob("*.png"))
    assert json.loads((out / "campaign.json").read_text())["status"] != "done"
    assert Figure.savefig is real
    assert ionmd("run", str(cfg)) == 0
    assert list(out.glob("*.png"))
    assert json.loads((out / "campaign.json").read_text())["status"] == "done"


@pytest.mark.slow
@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="needs root to mount"
)
def test_a_really_full_disk(tmp_path, capsys):
    """On a 1.2 MB tmpfs: one line, no .tmp, and the run resumes on a bigger one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(disk)]
    ).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        out = disk / "run"
        cfg = write_config(tmp_path, "run", out=out, duration_ps=2.0)
        capsys.readouterr()
        assert ionmd("run", str(cfg), "--no-analysis") == 1
        line = one_line(capsys.readouterr().err)
        assert "no space left on device" in line and str(out) in line
        assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
        subprocess.run(["mount", "-o", "remount,size=20m", str(disk)], check=True)
        assert ionmd("run", str(cfg), "--no-analysis") == 0
        assert statuses(out) == {"lj_li_30K": "done"}
    finally:
        subprocess.run(["umount", "-l", str(disk)])
