"""campaign.json's cells made into the V(T) figure's points: an NPT row named
by its material and temperature (system keys), its error from the second half
of its own series only (recorded in the row, or from the series of a row from
before it was), "error not resolved" (no number, no bar) where the stage was
too short to say, a melted system left out; a relaxed cell at 0 K."""

import numpy as np
import pytest

from ionmd.cells.volume_points import NOT_RESOLVED, volume_by_temperature, volume_points
from ionmd.numerics.correlated_mean import mean_with_error


def _npt_row(volumes, *, pct, failed=None, **recorded):
    return {
        "cell_source": "npt",
        "volume_change_pct": pct,
        "failed": failed,
        "experimental_cell_A": (np.eye(3) * 10.0).tolist(),  # V_exp = 1000 Å³
        "volume_A3": list(volumes),
        **recorded,
    }


def test_npt_and_relaxed_points(tmp_path):
    """A row from before the error was recorded (no ``volume_se_A3``): its
    error from its series' second half."""
    rng = np.random.default_rng(0)
    second = 1020.0 + rng.standard_normal(64)
    first = np.full(64, 5000.0)  # a first half this far off would show in the error
    cells = {
        "a.b_300K": _npt_row(np.concatenate([first, second]), pct=2.0),
        "a.b_600K": _npt_row(
            np.full(128, 1300.0), pct=30.0, failed="melting during the NPT stage: +18 %"
        ),
        "a.b_1200K": _npt_row(
            np.full(128, 2100.0),
            pct=110.0,
            failed="cell blew up during the NPT stage: ×2.1",
        ),
        "c": {"cell_source": "relaxed", "volume_change_pct": -1.5, "converged": True},
    }
    points = volume_points(cells, material_ids=["a.b", "c"], temperatures_K=[300, 600])
    assert [(p["material_id"], p["temperature_K"]) for p in points] == [
        ("a.b", 300.0),
        ("c", 0.0),
    ]
    npt, relaxed = points
    assert npt["volume_ratio"] == pytest.approx(1.02)
    assert npt["volume_ratio_se"] == pytest.approx(mean_with_error(second).se / 1000)
    # independent values of σ = 1: σ/√64 = 0.125 Å³, within the 6-dof scatter
    assert 0.04 / 1000 < npt["volume_ratio_se"] < 0.4 / 1000
    assert npt["volume_ratio_note"] is None
    assert relaxed["volume_ratio"] == pytest.approx(0.985)
    assert relaxed["volume_ratio_se"] is None

    header, rows = volume_by_temperature(
        cells, material_ids=["a.b"], temperatures_K=[600, 300, 900, 1200]
    )
    assert header == ["material", "300 K", "600 K", "900 K", "1200 K"]
    se = 100 * npt["volume_ratio_se"]
    # a melt says so; a blow-up is not called a melt (it said "melted" too)
    blew = "cell blew up during the NPT stage"
    assert rows == [["a.b", f"+2.00 ± {se:.2f}", "melted", "–", blew]]

    from ionmd.report.cell_figure import write_volume_figure

    path = write_volume_figure(points, out_dir=tmp_path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert write_volume_figure([], out_dir=tmp_path / "none") is None


def _recorded_cells():
    """Two NPT rows with the error recorded: 3 Å³ at 300 K, not resolved at 600 K
    (their series say otherwise: the recorded numbers are what is shown)."""
    noise = 1000.0 + np.random.default_rng(1).standard_normal(200)
    return {
        "a_300K": _npt_row(noise, pct=1.0, volume_se_A3=3.0, volume_se_note=None),
        "a_600K": _npt_row(
            noise, pct=2.5, volume_se_A3=None, volume_se_note="not resolved: too short"
        ),
    }


def test_recorded_errors_and_not_resolved_in_points_and_table():
    cells = _recorded_cells()
    points = volume_points(cells, material_ids=["a"], temperatures_K=[300, 600])
    p300, p600 = points
    assert p300["volume_ratio_se"] == pytest.approx(0.003)
    assert p600["volume_ratio_se"] is None and p600["volume_ratio_note"] == NOT_RESOLVED
    _, rows = volume_by_temperature(cells, material_ids=["a"], temperatures_K=[300, 600])
    assert rows == [["a", "+1.00 ± 0.30", f"+2.50 ({NOT_RESOLVED})"]]


def test_the_figure_draws_no_bar_where_the_error_is_not_resolved(tmp_path):
    """One bar (300 K), an open marker at 600 K, and the legend says why."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.container import ErrorbarContainer

    from ionmd.report.cell_figure import _npt_points, write_volume_figure

    points = volume_points(_recorded_cells(), material_ids=["a"], temperatures_K=[300, 600])
    fig, ax = plt.subplots()
    _npt_points(ax, points, label="a (NPT)")
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 1
    (segments,) = bars[0].lines[2]
    assert len(segments.get_segments()) == 1  # 300 K's only
    assert segments.get_segments()[0][:, 0].tolist() == [300.0, 300.0]
    open_markers = [ln for ln in ax.lines if ln.get_markerfacecolor() == "white"]
    assert [ln.get_xdata().tolist() for ln in open_markers] == [[600.0]]
    plt.close(fig)
    path = write_volume_figure(points, out_dir=tmp_path)
    assert path.read_bytes()[:4] == b"\x89PNG"
