"""``ionmd plan`` with ``cell = "relaxed" | "npt"``: the stage's atom-steps are
not in the plan's cost line (the MD's), so its line gives its own hours at the
same rate; before, a plan with --us-per-atom-step showed the MD's hours only
(a relaxed stage's worst case can be several times the MD)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ionmd.cli import main

US = 3.0  # --us-per-atom-step


@pytest.mark.parametrize(
    ("cell", "key"), [("relaxed", "worst_case_atom_steps"), ("npt", "atom_steps")]
)
def test_stage_line_gives_its_hours(tmp_path: Path, capsys, cell: str, key: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'materials = ["builtin:toy-fast"]\nmodel = "toy"\ntemperatures_K = [800]\n'
        f'duration_ps = 2.0\nequilibration_ps = 0.5\ncell = "{cell}"\n'
        f'out = "{tmp_path / "out"}"\n' + ("npt_ps = 1.0\n" if cell == "npt" else "")
    )
    js = tmp_path / "plan.json"
    assert main(["plan", str(cfg), "--us-per-atom-step", str(US), "--json", str(js)]) == 0
    line = [s for s in capsys.readouterr().out.splitlines() if s.startswith("cell =")][0]
    plan = json.loads(js.read_text())
    hours = plan["cells"][key] * US * 1e-6 / 3600.0  # independent of the code's
    assert plan["totals"]["gpu_hours"] == pytest.approx(
        plan["totals"]["atom_steps"] * US * 1e-6 / 3600.0
    )  # the MD's alone
    assert f"that is {hours:.3g} h on " in line and "on top of the cost above" in line
