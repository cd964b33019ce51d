"""Unwrap periodic trajectories once, correctly for triclinic cells.

Between consecutive frames each atom is moved by the periodic image of its
fractional displacement nearest to zero (rounding each fractional component).
For any cell this recovers the true displacement whenever each fractional
component of the true per-frame displacement is below 1/2, i.e. an atom moves
less than half the distance between opposite cell faces between frames (true
of any MD trajectory saved every few fs). Working in fractional coordinates is
what makes it triclinic-correct: rounding Cartesian components would not be.
Whether the frames were close enough together for this is checked from the
distribution of the steps taken (:mod:`ionmd.numerics.unwrap_check`).
"""

from __future__ import annotations

import numpy as np

from ionmd.numerics.unwrap_check import DisplacementStats


def unwrap_fractional(*, frac: np.ndarray) -> np.ndarray:
    """Unwrapped fractional coordinates.

    ``frac (F, N, 3)`` fractional coordinates, wrapped or not; returns ``(F, N, 3)``
    with frame 0 unchanged and later frames continuous.
    """
    frac = np.asarray(frac, dtype=np.float64)
    if frac.shape[0] < 2:
        return frac.copy()
    delta = np.diff(frac, axis=0)
    delta -= np.round(delta)
    out = np.empty_like(frac)
    out[0] = frac[0]
    np.cumsum(delta, axis=0, out=out[1:])
    out[1:] += frac[0]
    return out


def to_cartesian(*, frac: np.ndarray, cell_A: np.ndarray) -> np.ndarray:
    """Cartesian Å from fractional: ``frac (..., 3) @ cell_A (3, 3)`` (row vectors)."""
    return np.asarray(frac) @ np.asarray(cell_A)


def to_fractional(*, positions_A: np.ndarray, cell_A: np.ndarray) -> np.ndarray:
    """Fractional from Cartesian Å: ``positions_A (..., 3) @ inv(cell_A)``."""
    return np.asarray(positions_A) @ np.linalg.inv(np.asarray(cell_A))


class StreamingUnwrapper:
    """Unwrap frame by frame (for readers that stream): keeps the last wrapped
    fractional frame and the running unwrapped one. ``push(frac (N, 3))`` returns
    the unwrapped fractional frame ``(N, 3)``. :attr:`stats` collects the
    minimum-image steps taken, for :func:`ionmd.numerics.unwrap_check.check_unwrap`
    (were the frames close enough together to unwrap?)."""

    def __init__(self) -> None:
        self._last: np.ndarray | None = None
        self._unwrapped: np.ndarray | None = None
        self.stats = DisplacementStats()

    def push(self, frac: np.ndarray) -> np.ndarray:
        frac = np.asarray(frac, dtype=np.float64)
        if self._last is None or self._unwrapped is None:
            self._unwrapped = frac.copy()
        else:
            delta = frac - self._last
            delta -= np.round(delta)
            self.stats.add(delta)
            self._unwrapped = self._unwrapped + delta
        self._last = frac
        return self._unwrapped
