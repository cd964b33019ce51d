"""Is a run's D worth anything? The study's criterion and one beyond it.

- Li motion (the study): the run is *reliable* when the mobile-ion tracer MSD
  reaches ``LI_MSD_THRESHOLD_A2`` = 20 Å² (a displacement of ~4.5 Å, beyond
  vibrations) at some lag of the analysis grid (whole-run lags included).
- Framework motion (beyond the study): the run is *framework-mobile* (melting
  or amorphisation) when the tracer MSD of the non-mobile atoms reaches
  ``FRAMEWORK_MSD_THRESHOLD_A2`` = 5 Å² (≈ 2.2 Å, several times the thermal
  vibration of a crystalline framework and about the nearest-neighbour distance
  that a hop would cover). Such runs are excluded from the Arrhenius fit.
"""

from __future__ import annotations

import math

#: The study's threshold on the Li MSD, Å².
LI_MSD_THRESHOLD_A2 = 20.0
#: ionmd's threshold on the framework MSD, Å².
FRAMEWORK_MSD_THRESHOLD_A2 = 5.0


def is_reliable(*, msd_max_A2: float, threshold_A2: float = LI_MSD_THRESHOLD_A2) -> bool:
    """The study's check: the mobile-ion MSD reached ``threshold_A2``."""
    return bool(math.isfinite(msd_max_A2) and msd_max_A2 >= threshold_A2)


def is_framework_mobile(
    *, framework_msd_max_A2: float | None, threshold_A2: float = FRAMEWORK_MSD_THRESHOLD_A2
) -> bool:
    """The framework diffuses too (unknown framework MSD counts as not mobile)."""
    if framework_msd_max_A2 is None or not math.isfinite(framework_msd_max_A2):
        return False
    return bool(framework_msd_max_A2 >= threshold_A2)
