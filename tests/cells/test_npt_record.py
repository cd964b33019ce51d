"""A tiny LJ campaign at ``cell = "npt"`` (two temperatures, one batch): the
run file holds each system's NPT stage series, equal to campaign.json's (read
back independently with h5py, and through the analysis's reader); the report
has the V(T) figure and the material × temperature volume table with
campaign.json's numbers, and its σ(300 K) table says the cell; a default run's
file has no stage group and its report no such figure or column."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from tests.campaign.tiny import ionmd, write_cif, write_config

TEMPS = (20, 40)


def _campaign(tmp, name, *, extra, temps, analyse=True):
    cif = tmp / "lj_li.cif"
    if not cif.exists():
        write_cif(cif, a=5.26)
    cfg = write_config(tmp, name, cifs=[cif], temps=temps, duration_ps=0.3)
    text = cfg.read_text().replace("sample_every_fs = 25", "sample_every_fs = 10")
    text = text.replace("max_atoms_per_batch = 32", "max_atoms_per_batch = 64")
    cfg.write_text(text + extra)
    args = ["run", str(cfg)] + ([] if analyse else ["--no-analysis"])
    assert ionmd(*args) == 0
    return tmp / name


@pytest.fixture(scope="module")
def npt_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("npt_record")
    return _campaign(tmp, "npt", extra='cell = "npt"\nnpt_ps = 1.0\n', temps=TEMPS)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("default_record")
    return _campaign(tmp, "default", extra="", temps=(20,), analyse=True)


def _cells(run_dir):
    return json.loads((run_dir / "campaign.json").read_text())["cells"]


def test_the_run_file_holds_the_stage_series(npt_run):
    cells = _cells(npt_run)
    assert sorted(cells) == ["lj_li_20K", "lj_li_40K"]
    with h5py.File(npt_run / "md.h5", "r") as f:
        for key, row in cells.items():
            g = f[f"parameters/{key}/npt_stage"]
            for name in ("time_ps", "volume_A3", "pressure_GPa"):
                assert len(row[name]) > 10
                np.testing.assert_array_equal(g[name][()], row[name], err_msg=name)
            assert g.attrs["mean_pressure_GPa"] == row["mean_pressure_GPa"]
            assert g["volume_A3"].attrs["unit"] == "Angstrom^3"


def test_the_analysis_reads_the_series_from_the_run_file_alone(npt_run):
    from ionmd.analysis.readers.h5 import read_npt_stages

    cells = _cells(npt_run)
    stages = read_npt_stages(npt_run / "md.h5")
    assert sorted(stages) == sorted(cells)
    for key, s in stages.items():
        np.testing.assert_array_equal(s.volume_A3, cells[key]["volume_A3"])
        np.testing.assert_array_equal(s.pressure_GPa, cells[key]["pressure_GPa"])
        np.testing.assert_array_equal(s.time_ps, cells[key]["time_ps"])
        assert s.mean_pressure_GPa == cells[key]["mean_pressure_GPa"]


def test_the_report_has_the_volume_figure_and_table(npt_run):
    cells = _cells(npt_run)
    png = npt_run / "cell_volume.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    md = (npt_run / "report.md").read_text()
    assert "![cell_volume.png](cell_volume.png)" in md
    assert "alt='cell_volume.png'" in (npt_run / "report.html").read_text()
    head = "## Volume of the NPT cell against the experimental cell"
    table = md.split(head)[1].split("\n## ")[0]
    assert "| material | 20 K | 40 K |" in table
    (row,) = [ln for ln in table.splitlines() if ln.startswith("| lj_li |")]
    values = [c.strip() for c in row.strip("|").split("|")[1:]]
    for t, value in zip(TEMPS, values, strict=True):
        row = cells[f"lj_li_{t}K"]
        pct, se = row["volume_change_pct"], row["volume_se_A3"]
        # a 1-ps stage's half (50 values) is too short for an error: said, not a ±
        want = f"{pct:+.2f} ± " if se is not None else f"{pct:+.2f} (error not resolved)"
        assert value.startswith(want), (value, pct, se)
        assert se is not None or "not resolved" in row["volume_se_note"]


def test_sigma_300k_says_its_cell(npt_run):
    cells = _cells(npt_run)
    m = json.loads((npt_run / "results.json").read_text())["materials"]["lj_li"]
    assert m["cell_source"] == "npt"
    for t in m["temperatures"]:
        want = cells[f"lj_li_{t['temperature_K']:g}K"]["volume_change_pct"]
        assert t["volume_change_pct"] == pytest.approx(want, rel=1e-12)
    md = (npt_run / "report.md").read_text()
    materials = md.split("## Materials")[1].split("\n## ")[0]
    assert "| σ300 (mS/cm) | 95 % | cell |" in materials
    pcts = [cells[f"lj_li_{t}K"]["volume_change_pct"] for t in TEMPS]
    assert f"npt (ΔV/V_exp {pcts[0]:+.2f} % at 20 K, {pcts[1]:+.2f} % at 40 K)" in md


def test_a_default_run_records_no_stage(default_run):
    with h5py.File(default_run / "md.h5", "r") as f:
        names: list[str] = []
        f.visit(names.append)
    assert names and not [n for n in names if "npt" in n]
    assert not (default_run / "cell_volume.png").exists()
    md = (default_run / "report.md").read_text()
    assert "cell_volume" not in md and "| 95 % | cell |" not in md
    assert "Volume of the NPT cell" not in md
