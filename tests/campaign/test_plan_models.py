"""``ionmd plan`` with ``models = [...]`` plans one campaign per model (as
``ionmd run`` runs them), each checked against its model's elements; a --json
path that cannot be written is refused before anything is printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ionmd.cli import main


def _config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'materials = ["builtin:toy-fast", "builtin:alpha-Li3N"]\n'
        'models = ["lj", "toy"]\ntemperatures_K = [800, 1000]\nduration_ps = 0.2\n'
        f'equilibration_ps = 0.0\nout = "{tmp_path / "out"}"\n{extra}'
    )
    return cfg


def test_plan_per_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_json = tmp_path / "plans" / "today" / "plan.json"  # folders made by --json
    assert main(["plan", str(_config(tmp_path)), "--json", str(plan_json)]) == 0
    out = capsys.readouterr().out
    assert f"model lj (into {tmp_path / 'out' / 'lj'}):" in out
    assert f"model toy (into {tmp_path / 'out' / 'toy'}):" in out
    toy_part = out.split("model toy (into")[1]
    assert "alpha-Li3N   cannot run: model toy does not cover N" in toy_part
    assert "2 models, one campaign each, then the comparison" in out
    plan = json.loads(plan_json.read_text())
    assert set(plan["models"]) == {"lj", "toy"}
    assert plan["models"]["toy"]["config"]["model"] == "toy"
    assert plan["models"]["lj"]["totals"]["n_runnable"] == 2
    assert plan["models"]["toy"]["totals"]["n_runnable"] == 1


def test_plan_checks_outputs_and_dft_runs_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _config(tmp_path)
    (tmp_path / "a-file").write_text("")
    for bad in (tmp_path / "a-file" / "plan.json", tmp_path):
        assert main(["plan", str(cfg), "--json", str(bad)]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""  # refused before the table, not after
        assert len(captured.err.strip().splitlines()) == 1 and "--json" in captured.err
    cfg = _config(tmp_path, f'dft_runs = ["{tmp_path / "no-analysis"}"]\n')
    assert main(["plan", str(cfg)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "no results.json" in captured.err


@pytest.mark.parametrize(
    "models", ['model = "nosuch"', 'model = ""', 'models = ["lj", "tyo"]']
)
def test_plan_refuses_a_name_that_is_no_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], models: str
) -> None:
    """ionmd plan planned model "nosuch" (batches unknown, "no anchor") where
    ionmd run refuses it in one line once it starts: the plan says so first."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'materials = ["builtin:toy-fast"]\n{models}\ntemperatures_K = [800]\n'
        f'duration_ps = 0.2\nequilibration_ps = 0.0\nout = "{tmp_path / "out"}"\n'
    )
    assert main(["plan", str(cfg)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1
    assert "valid names" in err or "non-empty string" in err
