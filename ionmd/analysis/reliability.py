"""Is a run's D worth anything? The study's criterion and one beyond it.

- Li motion (the study): the run is *reliable* when the mobile-ion tracer MSD
  reaches ``LI_MSD_THRESHOLD_A2`` = 20 Å² (a displacement of ~4.5 Å, beyond
  vibrations) at some lag of the analysis grid (whole-run lags included).
- Framework motion (beyond the study): the run is *framework-mobile* (melting
  or amorphisation) when the non-mobile atoms both
  1. reached a tracer MSD of ``FRAMEWORK_MSD_THRESHOLD_A2`` = 5 Å² (≈ 2.2 Å,
     an order of magnitude above a crystal's vibrational plateau 2⟨u²⟩ ≈
     0.1–0.5 Å² at the Lindemann ratio, and about a nearest-neighbour distance:
     only atoms that left their sites get there), and
  2. still *diffuse* at a rate that carries them that far within
     ``FRAMEWORK_REFERENCE_PS`` = 100 ps (the study's run length): the slope of
     their MSD against the lag (from the analysis's fit start to the longest
     lag) × 100 ps ≥ 5 Å², i.e. a framework D ≥ 5 / (6 · 100) Å²/ps
     ≈ 8.3e-7 cm²/s.

  Why the second condition: the MSD of a framework that creeps (a few atoms
  or a slow drift, the crystal intact) grows without bound, so the level alone
  depends on how long the run is: 5 Å² is crossed after ~1,000 ps by a framework
  whose D is 8e-8 cm²/s, and a 1,000 ps adaptive run would call it molten. The
  slope does not grow with the run (a crystal's MSD is flat, a creep's slope is
  fixed, a liquid's slope is its D, 1e-5–1e-4 cm²/s, 10–100× the bound), so
  the verdict no longer depends on the run length. For a 100 ps run the two
  conditions say what the level alone said where the framework really melts
  (its MSD is then almost all growth: plateau + 100 ps × slope).
  Measured on walkers of known motion: docs/adaptive.md ("Melting").
  Such runs are excluded from the Arrhenius fit; the adaptive protocol stops
  them as *melted* by the same function.
"""

from __future__ import annotations

import math

import numpy as np

#: The study's threshold on the Li MSD, Å².
LI_MSD_THRESHOLD_A2 = 20.0
#: ionmd's threshold on the framework MSD, Å² (the level, and the growth over
#: FRAMEWORK_REFERENCE_PS).
FRAMEWORK_MSD_THRESHOLD_A2 = 5.0
#: The time over which the framework's diffusive growth is measured, ps.
FRAMEWORK_REFERENCE_PS = 100.0


def is_reliable(*, msd_max_A2: float, threshold_A2: float = LI_MSD_THRESHOLD_A2) -> bool:
    """The study's check: the mobile-ion MSD reached ``threshold_A2``."""
    return bool(math.isfinite(msd_max_A2) and msd_max_A2 >= threshold_A2)


def framework_growth_A2(
    *, lag_ps: np.ndarray, framework_msd_A2: np.ndarray, fit_start_ps: float
) -> float | None:
    """The framework MSD's growth over ``FRAMEWORK_REFERENCE_PS``: its least-squares
    slope against the lag from ``fit_start_ps`` to the longest lag (the two
    longest lags when fewer lie there), × 100 ps, Å²; None without two lags."""
    lag = np.asarray(lag_ps, dtype=np.float64).reshape(-1)
    msd = np.asarray(framework_msd_A2, dtype=np.float64).reshape(-1)
    ok = np.isfinite(lag) & np.isfinite(msd) & (lag > 0)
    lag, msd = lag[ok], msd[ok]
    if lag.size < 2:
        return None
    sel = lag >= fit_start_ps - 1e-9
    if sel.sum() < 2:
        sel = lag >= np.sort(lag)[-2]
    x, y = lag[sel], msd[sel]
    if np.ptp(x) <= 0:
        return None
    slope = float(np.polyfit(x, y, 1)[0])
    return slope * FRAMEWORK_REFERENCE_PS


def is_framework_mobile(
    *, framework_msd_max_A2: float | None, framework_growth_A2: float | None
) -> bool:
    """The framework diffuses too (see the module doc): it reached the threshold
    and still grows by as much per 100 ps. Unknown framework MSD counts as not
    mobile; a known level with an unknown growth (a single lag) is judged on the
    level alone."""
    if framework_msd_max_A2 is None or not math.isfinite(framework_msd_max_A2):
        return False
    if framework_msd_max_A2 < FRAMEWORK_MSD_THRESHOLD_A2:
        return False
    if framework_growth_A2 is None or not math.isfinite(framework_growth_A2):
        return True
    return bool(framework_growth_A2 >= FRAMEWORK_MSD_THRESHOLD_A2)
