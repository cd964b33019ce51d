"""Command-line code lives in ``ionmd/cli/`` only: no layer parses arguments,
and every ``ionmd`` subcommand is registered by a module of ``ionmd.cli``."""

import subprocess
import sys
from pathlib import Path

from ionmd.cli import SUBCOMMANDS

PKG = Path(__file__).resolve().parents[2] / "ionmd"


def test_no_argparse_outside_cli():
    outside = [
        str(p.relative_to(PKG.parent))
        for p in PKG.rglob("*.py")
        if "cli" not in p.relative_to(PKG).parts[:1] and "argparse" in p.read_text()
    ]
    assert outside == []


def test_every_subcommand_is_registered_from_cli():
    assert all(mod.startswith("ionmd.cli.") for mod in SUBCOMMANDS.values())


def test_ionmd_scaleout_runs(tmp_path):
    """``ionmd scaleout status|smoke`` (docs/scaleout.md) is registered in the
    dispatcher (the scale-out layer has no ``__main__``: it would import the
    command line from below it)."""
    assert not (PKG / "scaleout" / "__main__.py").exists()
    proc = subprocess.run(
        [sys.executable, "-m", "ionmd", "scaleout", "status", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "no scale-out state" in proc.stderr and "Traceback" not in proc.stderr
