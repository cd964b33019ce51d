"""Is a tracer MSD still growing like diffusion, or levelling off (a cage)?

A run that did not reach the target MSD in its time is either *slow but
diffusive* (its MSD grows linearly in the lag, only slowly: it would get there
in a longer run, and a hotter one gets there sooner) or *caged* (its MSD levels
off at a plateau: the ions rattle in their sites or hop back and forth, and no
run length gets them further). The two are told apart by the log-log slope
d ln MSD / d ln lag over the upper lags of the grid (:func:`upper_loglog_slope`):
1 for diffusion (a little less with the vibrational plateau on top), 0 for a
plateau. The upper lags are from a tenth to half of the run: late enough that
a cage's plateau is reached (cages relax in ps), early enough that each lag is
still averaged over many origins (the longest lags have one or two).

The threshold :data:`CAGED_SLOPE` = 0.5 is measured on walkers of known motion
through the MSD accumulator (``python -m benchmarks.adaptive_outcomes``,
docs/adaptive.md "Slow or caged"): hopping walkers whose MSD at the end of the
run is 3–19 Å² (on a 0.5 Å² vibrational plateau) against caged ones
(Ornstein–Uhlenbeck in a cage of 1–15 Å², relaxing in 1–5 ps).
"""

from __future__ import annotations

import numpy as np

#: below this log-log slope over the upper lags an MSD is levelling off: caged
CAGED_SLOPE = 0.3
#: the upper lags, as fractions of the run
UPPER_LAGS = (0.1, 0.5)


def upper_loglog_slope(
    *, lag_ps: np.ndarray, msd_A2: np.ndarray, run_ps: float, fit_start_ps: float = 0.0
) -> float | None:
    """The least-squares slope of ln MSD against ln lag over the lags in
    [max(``fit_start_ps``, run/10), run/2] (all lags from ``fit_start_ps`` when
    fewer than two lie there); None without two positive MSDs."""
    lag = np.asarray(lag_ps, dtype=np.float64).reshape(-1)
    msd = np.asarray(msd_A2, dtype=np.float64).reshape(-1)
    ok = np.isfinite(lag) & np.isfinite(msd) & (lag > 0) & (msd > 0)
    lo = max(fit_start_ps, UPPER_LAGS[0] * run_ps) - 1e-9
    sel = ok & (lag >= lo) & (lag <= UPPER_LAGS[1] * run_ps + 1e-9)
    if sel.sum() < 2:
        sel = ok & (lag >= fit_start_ps - 1e-9)
    if sel.sum() < 2 or np.ptp(lag[sel]) <= 0:
        return None
    return float(np.polyfit(np.log(lag[sel]), np.log(msd[sel]), 1)[0])
