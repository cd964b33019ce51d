"""ionmd.analysis: from trajectories (engine run files, VASP, ASE) to D, the
Arrhenius fit, sigma(300 K), reliability and the comparison with experiment.

Layers (one file each): ``readers/`` → :class:`MobileTrajectory` → MSD
(:mod:`ionmd.numerics.host_msd`, shared with the VASP bridge) →
``diffusion`` (kinisi via ``kinisi_fit``) → ``arrhenius`` → ``conductivity`` →
``experiment`` → ``summarise`` (per material, typed); ``pipeline.analyse_inputs``
runs them all and returns an ``Analysis``. It writes nothing: results.json,
tables, pages and figures are :mod:`ionmd.report`'s (which imports this package,
never the reverse). kinisi and scipp are imported only where used, so the
readers and the MSD import without them. See docs/analysis.md.
"""

from ionmd.analysis.readers import read_trajectories
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.numerics.host_msd import linear_lag_grid, log_lag_grid, msd_on_lag_grid
from ionmd.numerics.unwrap import unwrap_fractional

__all__ = [
    "MobileTrajectory",
    "linear_lag_grid",
    "log_lag_grid",
    "msd_on_lag_grid",
    "read_trajectories",
    "unwrap_fractional",
]
