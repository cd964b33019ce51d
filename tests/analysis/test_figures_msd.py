"""msd_<id>.png, read from its matplotlib objects: the fit window is shaded, the
fitted line is the least-squares line of the window, its band the lines of slope
6 D_lo and 6 D_hi; the framework's curve is drawn on the Li lags."""

from dataclasses import replace

import numpy as np
import pytest
from analysis_helpers import random_walk
from matplotlib.collections import PolyCollection
from matplotlib.patches import Polygon, Rectangle

from ionmd.analysis.diffusion import DiffusionSettings, analyse_trajectory
from ionmd.analysis.summarise import summarise_material
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.report import figures

CELL = np.diag([22.0, 22.0, 22.0])
NO_KINISI = DiffusionSettings(use_kinisi=False, fit_start_ps=4.0)


@pytest.fixture
def drawn(monkeypatch):
    """The figures plot_msd makes, kept open instead of saved."""
    import matplotlib.pyplot as plt

    kept = []
    monkeypatch.setattr(figures, "_save", lambda fig, path: kept.append(fig))
    yield kept
    for fig in kept:
        plt.close(fig)


def _result(*, fw_lag=None, fw_msd=None, T=900.0, seed=4):
    li = random_walk(n_frames=201, n_walkers=16, D_A2_ps=0.2, dt_ps=0.1, seed=seed)
    t = MobileTrajectory(
        positions_A=li,
        time_ps=np.arange(201) * 0.1,
        cell_A=CELL,
        temperature_K=T,
        material_id="x",
        source="engine",
        framework_lag_ps=fw_lag,
        framework_msd_A2=fw_msd,
    )
    r = analyse_trajectory(traj=t, settings=NO_KINISI)
    # an interval as kinisi gives one (kinisi itself is slow for a unit test)
    return replace(r, D_ci95_cm2_s=(0.8 * r.D_cm2_s, 1.25 * r.D_cm2_s))


def _one_axes(drawn, results, tmp_path):
    m = summarise_material(results=results)
    figures.plot_msd(material=m, out_dir=tmp_path)
    (fig,) = drawn
    return fig.axes[0]


def _same(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-9)


def test_fit_window_is_shaded_with_the_fitted_line_and_its_band(drawn, tmp_path):
    r = _result()
    ax = _one_axes(drawn, [r], tmp_path)
    sel = r.lag_ps >= 4.0 - 1e-12
    t, y = r.lag_ps[sel], r.msd_A2[sel]
    # the window: a patch spanning exactly the fitted lags
    spans = [
        p.get_extents().transformed(ax.transData.inverted())
        for p in ax.patches
        if isinstance(p, Rectangle | Polygon)
    ]
    assert any(np.allclose([b.x0, b.x1], [t[0], t[-1]]) for b in spans), spans
    # the fitted line: numpy's least-squares line of the window (independent of D)
    slope, icpt = np.polyfit(t, y, 1)
    lines = [ln for ln in ax.get_lines() if _same(ln.get_xdata(), t)]
    assert any(_same(ln.get_ydata(), slope * t + icpt) for ln in lines)
    # the band: slopes 6 D_lo and 6 D_hi (Å²/ps) through the window's centroid
    for D in r.D_ci95_cm2_s:
        band = y.mean() + 6 * D * 1e4 * (t - t.mean())
        assert any(_same(ln.get_ydata(), band) for ln in lines), D
    fills = [c for c in ax.collections if isinstance(c, PolyCollection)]
    x_fill = np.concatenate([c.get_paths()[0].vertices[:, 0] for c in fills])
    assert fills and np.isclose(x_fill.min(), t[0]) and np.isclose(x_fill.max(), t[-1])


def test_no_band_without_an_interval(drawn, tmp_path):
    r = replace(_result(), D_ci95_cm2_s=(float("nan"), float("nan")))
    ax = _one_axes(drawn, [r], tmp_path)
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_framework_curve_is_drawn_on_the_li_lags(drawn, tmp_path):
    """An engine file's framework curve is on its own (log) grid: it is drawn over
    the Li lags, equal to the stored value where a stored lag is a Li lag."""
    fw_lag = np.geomspace(0.1, 20.0, 12)
    fw_lag[5] = 2.0  # a Li lag (frames every 0.1 ps)
    r = _result(fw_lag=fw_lag, fw_msd=0.3 + 0.01 * fw_lag)
    ax = _one_axes(drawn, [r], tmp_path)
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert dashed and all(_same(ln.get_xdata(), r.lag_ps) for ln in dashed)
    y = np.asarray(dashed[0].get_ydata(), float)
    at = int(np.argmin(np.abs(r.lag_ps - 2.0)))
    assert np.isclose(y[at], 0.32)
    assert np.all(np.isnan(y[r.lag_ps > 20.0 + 1e-9]))  # beyond the stored lags


def test_two_temperatures_each_have_their_window_and_line(drawn, tmp_path):
    rs = [_result(T=800.0, seed=1), _result(T=1000.0, seed=2)]
    ax = _one_axes(drawn, rs, tmp_path)
    fills = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(fills) == 2
    labels = ax.get_legend().get_texts()
    assert {"800 K", "1000 K"} <= {t.get_text() for t in labels}


def test_curves_far_under_the_threshold_keep_their_scale(drawn, tmp_path):
    """A slow material (MSD ~1 Å²) was squeezed into the bottom of a 0-20 Å² plot;
    the axes now keep the curves' scale and the legend says the line is above."""
    r = _result()
    slow = replace(
        r,
        msd_A2=r.msd_A2 / 40.0,
        D_cm2_s=r.D_cm2_s / 40.0,
        D_ci95_cm2_s=(r.D_cm2_s / 50, r.D_cm2_s / 30),
    )
    ax = _one_axes(drawn, [slow], tmp_path)
    assert ax.get_ylim()[1] < 0.25 * 20.0
    assert slow.msd_A2.max() <= ax.get_ylim()[1]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "20 Å² threshold (above the axes)" in labels


def test_the_threshold_is_drawn_when_the_curves_reach_it(drawn, tmp_path):
    r = _result()  # MSD up to ~25 Å²
    ax = _one_axes(drawn, [r], tmp_path)
    assert ax.get_ylim()[1] > 20.0
    assert "20 Å² threshold" in [t.get_text() for t in ax.get_legend().get_texts()]
