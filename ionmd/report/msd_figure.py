"""What ``msd_<id>.png`` draws for one temperature: the Li MSD, the framework's
MSD on the same lags, the fit window shaded, and the fitted line with its 95 % band.

The fit (:mod:`ionmd.analysis.diffusion`) is MSD(t) = 2 d D t + c over the window
:func:`~ionmd.analysis.diffusion.fit_window` (from ``fit_start_ps`` to the longest
lag) with a free intercept c (least squares, and kinisi with ``fit_intercept``).
Neither estimator stores c, so the line is drawn through the window's centroid
(t̄, mean MSD), which the least-squares line passes through exactly; there the
line is best known, and a slope that moves within its interval pivots about it
(slope and intercept of a straight-line fit are uncorrelated only about t̄). The
band is the two lines of slope 2 d D_lo and 2 d D_hi through the same point, with
(D_lo, D_hi) the 95 % interval of D (none when D has no interval: ``--no-kinisi``).

The figure plots the 3-axis MSD; a fit on fewer axes (``dimension`` other than
``xyz``) has no line here, since 2 d D t is then not the plotted curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ionmd.analysis.diffusion import DiffusionResult, fit_window

#: cm²/s → Å²/ps
_CM2_S_TO_A2_PS = 1e4


@dataclass(frozen=True, kw_only=True)
class FitLines:
    """The fitted line and its band over the fit window, all ``(W,)``; ``lo_A2`` and
    ``hi_A2`` are None when D has no interval."""

    lag_ps: np.ndarray
    line_A2: np.ndarray
    lo_A2: np.ndarray | None
    hi_A2: np.ndarray | None


def fit_lines(*, result: DiffusionResult) -> FitLines | None:
    """The fitted line 6 D t + c and its 95 % band over the fit window (module
    doc); None for a fit on fewer than three axes or a window under two lags."""
    lag = np.asarray(result.lag_ps, dtype=np.float64)
    msd = np.asarray(result.msd_A2, dtype=np.float64)
    sel = fit_window(lag_ps=lag, start_ps=result.fit_start_ps)
    if result.dimension != "xyz" or sel.sum() < 2 or not math.isfinite(result.D_cm2_s):
        return None
    t, y = lag[sel], msd[sel]
    t_mid, y_mid = float(t.mean()), float(y.mean())

    def line(D_cm2_s: float) -> np.ndarray:
        return y_mid + 6.0 * D_cm2_s * _CM2_S_TO_A2_PS * (t - t_mid)

    lo, hi = result.D_ci95_cm2_s
    banded = math.isfinite(lo) and math.isfinite(hi)
    return FitLines(
        lag_ps=t,
        line_A2=line(result.D_cm2_s),
        lo_A2=line(lo) if banded else None,
        hi_A2=line(hi) if banded else None,
    )


def framework_on_li_lags(*, result: DiffusionResult) -> np.ndarray | None:
    """The framework MSD ``(L,)`` on the Li lags ``result.lag_ps``, or None.

    From framework positions it is measured on those very lags. An engine run file
    holds only the engine's own curve, on its logarithmic multiple-window grid
    (:mod:`ionmd.engine.msd`), not the framework's positions: that curve is
    interpolated linearly onto the Li lags it spans, NaN (not drawn) outside.
    """
    fw_lag, fw = result.framework_lag_ps, result.framework_msd_A2
    if fw_lag is None or fw is None:
        return None
    lag = np.asarray(result.lag_ps, dtype=np.float64)
    fw_lag = np.asarray(fw_lag, dtype=np.float64)
    fw = np.asarray(fw, dtype=np.float64)
    if fw_lag.shape == lag.shape and np.allclose(fw_lag, lag):
        return fw
    ok = np.isfinite(fw_lag) & np.isfinite(fw)
    if ok.sum() < 2:
        return None
    order = np.argsort(fw_lag[ok])
    return np.interp(
        lag, fw_lag[ok][order], fw[ok][order], left=float("nan"), right=float("nan")
    )


def window_ps(*, result: DiffusionResult) -> tuple[float, float] | None:
    """(first, last) lag of the fit window, ps; None when it holds no lag."""
    lag = np.asarray(result.lag_ps, dtype=np.float64)
    sel = fit_window(lag_ps=lag, start_ps=result.fit_start_ps)
    return (float(lag[sel][0]), float(lag[sel][-1])) if sel.any() else None


def shade_windows(ax: Any, *, results: list[DiffusionResult]) -> None:
    """Each distinct fit window once, grey (temperatures analysed alike share one)."""
    windows = {w for r in results if (w := window_ps(result=r)) is not None}
    for lo, hi in sorted(windows):
        ax.axvspan(lo, hi, color="0.5", alpha=0.12, lw=0, zorder=0)


def draw_temperature(ax: Any, *, result: DiffusionResult, colour: Any) -> None:
    """One temperature on the MSD axes: band, fitted line, Li and framework curves."""
    fit = fit_lines(result=result)
    if fit is not None:
        if fit.lo_A2 is not None and fit.hi_A2 is not None:
            ax.fill_between(fit.lag_ps, fit.lo_A2, fit.hi_A2, color=colour, alpha=0.3, lw=0)
            for band in (fit.lo_A2, fit.hi_A2):
                ax.plot(fit.lag_ps, band, color=colour, lw=0.5, alpha=0.8)
        ax.plot(fit.lag_ps, fit.line_A2, color="k", lw=0.7, ls=":")
    label = f"{result.temperature_K:g} K"
    ax.plot(result.lag_ps, result.msd_A2, color=colour, lw=1.3, label=label)
    fw = framework_on_li_lags(result=result)
    if fw is not None:
        ax.plot(result.lag_ps, fw, color=colour, ls="--", lw=0.8)


def draw_threshold(ax: Any, *, threshold_A2: float) -> None:
    """The reliability threshold as a horizontal line; when the curves stay under
    half of it, the axes keep the curves' scale (otherwise squeezed into the
    bottom of the plot) and the legend says the line is above."""
    lo, hi = ax.get_ylim()
    off_scale = ax.has_data() and threshold_A2 > 2 * hi
    label = f"{threshold_A2:g} Å² threshold" + (" (above the axes)" if off_scale else "")
    ax.axhline(threshold_A2, color="k", lw=0.8, ls="-.", label=label)
    if off_scale:
        ax.set_ylim(lo, hi)


def key_handles() -> list[Any]:
    """Legend entries for what every temperature draws alike."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [
        Line2D([], [], color="0.3", ls="--", lw=0.8, label="framework"),
        Patch(facecolor="0.5", alpha=0.12, label="fit window"),
        Line2D([], [], color="k", lw=0.7, ls=":", label="fitted 6Dt + c"),
        Patch(facecolor="0.3", alpha=0.35, label="95 % band of D"),
    ]


__all__ = [
    "FitLines",
    "draw_temperature",
    "draw_threshold",
    "shade_windows",
    "window_ps",
    "fit_lines",
    "framework_on_li_lags",
    "key_handles",
]
