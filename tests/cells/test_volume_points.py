"""campaign.json's cells made into the V(T) figure's points: an NPT row named
by its material and temperature (system keys), its error from the second half
of its own series only, a melted system left out; a relaxed cell at 0 K."""

import numpy as np
import pytest

from ionmd.cells.volume_points import volume_by_temperature, volume_points
from ionmd.numerics.block_average import blocked_standard_error


def _npt_row(volumes, *, pct, failed=None):
    return {
        "cell_source": "npt",
        "volume_change_pct": pct,
        "failed": failed,
        "experimental_cell_A": (np.eye(3) * 10.0).tolist(),  # V_exp = 1000 Å³
        "volume_A3": list(volumes),
    }


def test_npt_and_relaxed_points(tmp_path):
    rng = np.random.default_rng(0)
    second = 1020.0 + rng.standard_normal(64)
    first = np.full(64, 5000.0)  # a first half this far off would show in the error
    cells = {
        "a.b_300K": _npt_row(np.concatenate([first, second]), pct=2.0),
        "a.b_600K": _npt_row(np.full(128, 1300.0), pct=30.0, failed="melting"),
        "c": {"cell_source": "relaxed", "volume_change_pct": -1.5, "converged": True},
    }
    points = volume_points(cells, material_ids=["a.b", "c"], temperatures_K=[300, 600])
    assert [(p["material_id"], p["temperature_K"]) for p in points] == [
        ("a.b", 300.0),
        ("c", 0.0),
    ]
    npt, relaxed = points
    assert npt["volume_ratio"] == pytest.approx(1.02)
    assert npt["volume_ratio_se"] == pytest.approx(blocked_standard_error(second) / 1000)
    assert 0 < npt["volume_ratio_se"] < 0.001
    assert relaxed["volume_ratio"] == pytest.approx(0.985)
    assert relaxed["volume_ratio_se"] is None

    header, rows = volume_by_temperature(
        cells, material_ids=["a.b"], temperatures_K=[600, 300, 900]
    )
    assert header == ["material", "300 K", "600 K", "900 K"]
    se = 100 * npt["volume_ratio_se"]
    assert rows == [["a.b", f"+2.00 ± {se:.2f}", "melted", "–"]]

    from ionmd.report.cell_figure import write_volume_figure

    path = write_volume_figure(points, out_dir=tmp_path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert write_volume_figure([], out_dir=tmp_path / "none") is None
