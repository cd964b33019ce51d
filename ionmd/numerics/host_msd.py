"""Host (numpy) mean-squared displacements with multiple time origins on a given
lag grid, and the bounded lag grids used throughout the analysis.

The analysis and the VASP bridge (the run file's MSD datasets for AIMD) both use
these: keep the signatures stable.
"""

from __future__ import annotations

import numpy as np

from ionmd.errors import InputError

#: Elements (origins × ions × 3) processed per chunk: bounds temporary memory (~64 MB).
_CHUNK_ELEMENTS = 8_000_000


def msd_on_lag_grid(
    *, positions_A: np.ndarray, lag_frames: np.ndarray, max_origins: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tracer and collective MSD averaged over time origins.

    ``positions_A (F, M, 3)`` unwrapped positions (or ``(F, M, d)``: only those
    axes); ``lag_frames (L,)`` positive lags in frames (< F). Every frame is an
    origin, or ``max_origins`` evenly spaced ones per lag. Returns
    ``tracer_A2 (L,)`` = <|r_i(t0+lag) - r_i(t0)|²> over ions and origins,
    ``collective_A2 (L,)`` = <|Σ_i Δr_i|²> over origins (not divided by M),
    ``n_origins (L,)``.
    """
    pos = np.asarray(positions_A, dtype=np.float64)
    if pos.ndim != 3:
        raise InputError(f"positions must be (F, M, 3), got {pos.shape}")
    lags = np.asarray(lag_frames, dtype=np.int64).reshape(-1)
    n_frames, n_ions = pos.shape[0], pos.shape[1]
    if lags.size and (lags.min() < 1 or lags.max() >= n_frames):
        raise InputError(
            f"lags must lie in [1, {n_frames - 1}] frames, got [{lags.min()}, {lags.max()}]"
        )
    tracer = np.empty(lags.size)
    collective = np.empty(lags.size)
    n_orig = np.empty(lags.size, dtype=np.int64)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, pos.shape[2] * n_ions))
    for k, lag in enumerate(lags):
        n_avail = n_frames - lag
        if max_origins is not None and n_avail > max_origins:
            origins = np.unique(
                np.linspace(0, n_avail - 1, max_origins).round().astype(int)
            )
        else:
            origins = np.arange(n_avail)
        sq_sum = 0.0
        coll_sum = 0.0
        for start in range(0, origins.size, chunk):
            o = origins[start : start + chunk]
            d = pos[o + lag] - pos[o]
            sq_sum += float(np.einsum("oij,oij->", d, d))
            s = d.sum(axis=1)
            coll_sum += float(np.einsum("oj,oj->", s, s))
        tracer[k] = sq_sum / (origins.size * n_ions)
        collective[k] = coll_sum / origins.size
        n_orig[k] = origins.size
    return tracer, collective, n_orig


def linear_lag_grid(*, n_frames: int, max_lags: int = 200) -> np.ndarray:
    """Evenly spaced lags ``(L,)`` in frames, from one stride to ``n_frames - 1``,
    with ``L <= max_lags`` (every lag when the run is short enough)."""
    if n_frames < 2:
        raise InputError("a lag grid needs at least 2 frames")
    stride = max(1, int(np.ceil((n_frames - 1) / max_lags)))
    return np.arange(stride, n_frames, stride, dtype=np.int64)


def log_lag_grid(*, n_frames: int, n_lags: int = 100, min_lag: int = 1) -> np.ndarray:
    """Log-spaced unique integer lags ``(L,)`` in ``[min_lag, n_frames - 1]``,
    ``L <= n_lags``."""
    if n_frames < 2:
        raise InputError("a lag grid needs at least 2 frames")
    hi = n_frames - 1
    lo = min(max(1, min_lag), hi)
    grid = np.geomspace(lo, hi, num=max(1, n_lags)).round().astype(np.int64)
    return np.unique(grid)
