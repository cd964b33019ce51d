"""The standard error of the mean of a correlated series by blocking
(Flyvbjerg & Petersen, J. Chem. Phys. 91, 461 (1989)).

Neighbouring values of an MD series (an NPT stage's volume every 10 fs under a
barostat of 1 ps) are correlated, so σ/√n understates the error of their mean.
Averaging neighbours in pairs, again and again, leaves the variance of the mean
unchanged while the blocks decorrelate; the naive estimate σ_k/√(n_k − 1) of
the k-th level rises to the true error and stays there once the blocks are
longer than the correlation time. We take the largest estimate over the levels
that still have ``min_blocks`` blocks: it is reached on the plateau when the
series is several correlation times long, and otherwise it is the best
available (still an underestimate: a series shorter than a few correlation
times cannot say how wrong its mean is; and on an oscillating series, such
as an NPT stage's volume, the largest level sits on the oscillation's hump,
2× too large). Measured on AR(1) series of known error and on LJ replicas:
``python -m benchmarks.block_standard_error``, ``python -m
benchmarks.npt_lj_volume_se``. The NPT stage's error is now
:mod:`ionmd.numerics.correlated_mean`'s, which says "not resolved" instead.
"""

from __future__ import annotations

import numpy as np

#: the fewest blocks a level may have to count (fewer: its variance is too noisy)
MIN_BLOCKS = 8


def blocked_standard_error(values: np.ndarray, *, min_blocks: int = MIN_BLOCKS) -> float:
    """The standard error of ``values``' mean, ``(n,)`` -> float, by blocking;
    NaN for fewer than ``min_blocks`` values."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size < max(2, min_blocks):
        return float("nan")
    best = 0.0
    while x.size >= min_blocks:
        best = max(best, float(np.std(x, ddof=1) / np.sqrt(x.size)))
        x = 0.5 * (x[: x.size // 2 * 2 : 2] + x[1 : x.size // 2 * 2 : 2])
    return best
