"""``ionmd compare`` of an experimental-cell run and an NPT run of one model:
the Cells table gives the NPT run's volume change at each temperature (one NPT
cell per temperature, so the material has none of its own). Found by a hostile
test: the NPT run's column was "–" for every material."""

from __future__ import annotations

import json

import pytest

from tests.campaign.tiny import ionmd, keep_signal_handlers, write_cif, write_config

__all__ = ["keep_signal_handlers"]


@pytest.fixture
def two_runs(tmp_path, keep_signal_handlers):
    cif = write_cif(tmp_path / "lj_li.cif")
    dirs = {}
    for cell in ("experimental", "npt"):
        cfg = write_config(
            tmp_path, cell, cifs=[cif], temps=(30, 40), duration_ps=0.3, timestep_fs=10
        )
        text = cfg.read_text().replace("sample_every_fs = 25", "sample_every_fs = 10")
        text = text.replace("max_atoms_per_batch = 32", "max_atoms_per_batch = 64")
        extra = 'cell = "npt"\nnpt_ps = 1\n' if cell == "npt" else ""
        cfg.write_text(text + extra)  # 30 frames per temperature: analysed
        assert ionmd("run", str(cfg)) == 0
        dirs[cell] = tmp_path / cell
    return dirs


def test_compare_gives_the_npt_runs_volume_change_per_temperature(two_runs, tmp_path):
    from ionmd.report.compare import write_comparison

    write_comparison(
        run_dirs=[two_runs["experimental"], two_runs["npt"]],
        out_dir=tmp_path / "cmp",
        figures=False,
    )
    page = (tmp_path / "cmp" / "comparison.md").read_text()
    (line,) = [ln for ln in page.splitlines() if ln.startswith("| lj_li | +0.00")]
    cells = json.loads((two_runs["npt"] / "campaign.json").read_text())["cells"]
    want = ", ".join(
        f"{cells[f'lj_li_{t}K']['volume_change_pct']:+.2f} at {t} K" for t in (30, 40)
    )
    assert line == f"| lj_li | +0.00 (experimental) | {want} (npt) |"
