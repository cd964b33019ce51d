"""``ionmd compare`` of an experimental-cell run and an NPT run of one model:
the Cells table gives the NPT run's volume change at each temperature (one NPT
cell per temperature, so the material has none of its own). Found by a hostile
test: the NPT run's column was "–" for every material."""

from __future__ import annotations

import json
import signal

import pytest

from tests.campaign.tiny import ionmd, write_cif, write_config


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("npt_compare")
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
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
    for sig, handler in saved.items():  # the CLI installs its own
        signal.signal(sig, handler)
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


def test_made_with_says_the_cell(two_runs, tmp_path):
    # found by a hostile test: the two runs' "Made with" lines (the report's
    # parameters, compare's) were word for word the same
    from ionmd.analysis.campaign_record import settings_lines

    exp, npt = (
        settings_lines(json.loads((two_runs[c] / "campaign.json").read_text()))[0]
        for c in ("experimental", "npt")
    )
    assert exp.endswith("supercells >= 10 Å.")  # as before the key existed
    assert npt == exp[: -len(".")] + (
        "; each material and temperature at the mean cell of its NPT stage of 1 ps at "
        "0 GPa (isotropic) before the NVT."
    )
    relaxed = settings_lines({"config": {"cell": "relaxed"}})[0]
    assert relaxed.endswith("; each material at its cell relaxed at 0 K with this model.")


def test_the_dataframe_has_each_temperatures_cell(two_runs):
    # found by a hostile test: results.json had cell_source and volume_change_pct
    # per temperature, the Python API's DataFrame neither
    from ionmd.results import Results

    cells = json.loads((two_runs["npt"] / "campaign.json").read_text())["cells"]
    df = Results.from_dir(two_runs["npt"]).to_dataframe().sort_values("temperature_K")
    assert list(df.cell_source) == ["npt", "npt"]
    want = [cells[f"lj_li_{t}K"]["volume_change_pct"] for t in (30, 40)]
    assert list(df.volume_change_pct) == pytest.approx(want, rel=1e-12)
    exp = Results.from_dir(two_runs["experimental"]).to_dataframe()
    assert set(exp.cell_source) == {"experimental"} and set(exp.volume_change_pct) == {0}
