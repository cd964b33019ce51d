"""``cell = "npt"`` with ``protocol = "adaptive"`` is refused in one line by
``ionmd plan`` and ``ionmd run`` before the model loads: the adaptive loop
makes a temperature it adds from the material's initial system
(``AdaptiveLoop.base``), which under NPT sits at *its own* temperature's NPT
cell, so the added temperature ran at another temperature's cell with no stage
and no record (it was accepted, and planned with a stage cost computed from the
unused duration_ps). ``cell = "relaxed"`` (one cell per material) still plans."""

from __future__ import annotations

from pathlib import Path

import pytest

from ionmd.cli import main


def _config(tmp_path: Path, cell: str) -> Path:
    cfg = tmp_path / f"{cell}.toml"
    cfg.write_text(
        'materials = ["builtin:toy-fast"]\nmodel = "toy"\ntemperatures_K = [800, 900]\n'
        'protocol = "adaptive"\nchunk_ps = 0.2\nmax_duration_ps = 1.0\n'
        "equilibration_ps = 0.1\n"
        f'cell = "{cell}"\nout = "{tmp_path / cell}"\n'
        + ("npt_ps = 1.0\n" if cell == "npt" else "")
    )
    return cfg


@pytest.mark.parametrize("command", ["plan", "run"])
def test_npt_with_adaptive_is_refused(tmp_path: Path, capsys, command: str) -> None:
    assert main([command, str(_config(tmp_path, "npt"))]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert 'cell = "npt" does not run with protocol = "adaptive"' in err
    assert "loading model" not in err and not (tmp_path / "npt").exists()


def test_relaxed_with_adaptive_still_plans(tmp_path: Path, capsys) -> None:
    assert main(["plan", str(_config(tmp_path, "relaxed"))]) == 0
    assert 'cell = "relaxed"' in capsys.readouterr().out
