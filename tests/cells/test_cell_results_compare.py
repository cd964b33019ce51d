"""Two tiny LJ campaigns that differ only in ``cell``: results.json carries, per
temperature and per material, how the cell was obtained and its volume change
(read from the run file's attributes, which the test reads independently with
h5py), and ``ionmd compare`` puts the two runs side by side, labelled by their
cell mode (the same model would otherwise collide), with the volume change."""

from __future__ import annotations

import json

import h5py
import pytest

from tests.campaign.tiny import ionmd, write_cif, write_config


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cells")
    cif = write_cif(tmp / "lj_li.cif", a=5.0)
    dirs = {}
    for cell in ("experimental", "relaxed"):
        cfg = write_config(tmp, cell, cifs=[cif], temps=(30,), duration_ps=0.3)
        text = cfg.read_text().replace("sample_every_fs = 25", "sample_every_fs = 10")
        cfg.write_text(text + f'cell = "{cell}"\n')  # 30 frames: analysed
        assert ionmd("run", str(cfg)) == 0
        dirs[cell] = tmp / cell
    return dirs


def _run_file_change(run_dir):
    with h5py.File(run_dir / "md.h5") as f:
        (key,) = [k for k in f["parameters"] if k != "ionmd"]
        return f["parameters"][key].attrs.get("volume_change_pct")


def test_results_json_records_the_cell(two_runs):
    for cell, run_dir in two_runs.items():
        doc = json.loads((run_dir / "results.json").read_text())
        m = doc["materials"]["lj_li"]
        (t,) = m["temperatures"]
        assert t["cell_source"] == m["cell_source"] == cell
        if cell == "experimental":
            assert _run_file_change(run_dir) is None  # the default file is unchanged
            assert t["volume_change_pct"] == m["volume_change_pct"] == 0.0
        else:
            change = float(_run_file_change(run_dir))
            assert change > 5  # LJ argon's minimum is near a = 5.28 Å, not 5.0
            assert t["volume_change_pct"] == m["volume_change_pct"] == change
            record = json.loads((run_dir / "campaign.json").read_text())
            assert change == pytest.approx(
                record["cells"]["lj_li"]["volume_change_pct"], rel=1e-12
            )


def test_compare_labels_runs_of_one_model_by_cell(two_runs, tmp_path):
    from ionmd.report.compare import write_comparison

    doc = write_comparison(
        run_dirs=[two_runs["experimental"], two_runs["relaxed"]],
        out_dir=tmp_path,
        figures=False,
    )
    assert list(doc["models"]) == ["lj (experimental cell)", "lj (relaxed cell)"]
    row = doc["materials"]["lj_li"]
    assert row["lj (experimental cell)"]["volume_change_pct"] == 0.0
    assert row["lj (relaxed cell)"]["volume_change_pct"] > 5
    page = (tmp_path / "comparison.md").read_text()
    assert "volume change against the experimental cell" in page
    relaxed = row["lj (relaxed cell)"]["volume_change_pct"]
    assert f"{relaxed:+.2f} (relaxed)" in page


def test_runs_of_one_model_and_one_cell_still_need_a_label(two_runs, tmp_path):
    from ionmd.errors import InputError
    from ionmd.report.compare import write_comparison

    with pytest.raises(InputError, match="use --label"):
        write_comparison(
            run_dirs=[two_runs["relaxed"], two_runs["relaxed"]],
            out_dir=tmp_path,
            figures=False,
        )
