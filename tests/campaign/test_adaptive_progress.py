"""The adaptive protocol's one progress display: atom-steps against the budget
(or the worst case), running and queued systems, and where it ended."""

from __future__ import annotations

from pathlib import Path

from ionmd.campaign.adaptive.progress import worst_case_atom_steps
from ionmd.campaign.config import RunConfig
from ionmd.campaign.run import run_campaign
from tests.campaign.test_adaptive_campaign import FLAT


def test_worst_case_counts_what_every_system_could_still_run():
    state = {
        "systems": {
            "a": {"outcome": "running", "n_atoms": 10, "entered_step": 100},
            "b": {"outcome": "queued", "n_atoms": 20, "entered_step": None},
            "c": {"outcome": "reliable", "n_atoms": 30, "entered_step": 0},
        }
    }
    # at step 300 with 5000 atom-steps done, max 1000 steps per system:
    # a ran 200 (800 left x 10 atoms), b 1000 x 20, c stopped
    got = worst_case_atom_steps(state, step=300, atom_steps=5000, max_steps=1000)
    assert got == 5000 + 8000 + 20000


def test_adaptive_run_shows_one_display_against_its_budget(tmp_path: Path, capsys):
    flat = {**FLAT, "progress": True, "max_atom_steps": 270 * 100.0}
    run_campaign(RunConfig(**flat, out=str(tmp_path / "o")), analyze=False)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("adaptive: ")]
    assert lines, err  # before: no progress at all in the adaptive protocol
    last = lines[-1]
    assert "27,000/27,000 atom-steps (100 %)" in last and "done" in last, last
    assert "running" in last and "queued" in last and "(total: budget)" in last
