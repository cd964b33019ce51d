"""D error against the stride-to-cell ratio, and what the unwrap check says (issue 20).

Gaussian random walkers of known D in a periodic cell (cubic 10 Å, and a
strongly triclinic one), stored every Δt, wrapped into the cell, unwrapped by
ionmd's own :func:`~ionmd.numerics.unwrap.unwrap_fractional`, and D taken from
the slope of the multi-origin MSD (lags 1-10 frames). The stride is given as
``s / h``: the true per-axis RMS step ``s = sqrt(2 D Δt)`` over the smallest
half-width ``h`` of the cell. For the cubic cell the exact expected error is
also printed: the steps are independent, so D_unwrapped / D is the variance of
the minimum-image step over the true one, ``E[(x - w round(x / w))²] / s²``.

Columns: s/h, D error (%) measured, D error expected (cubic), what the check
measured (RMS of the minimum-image step over the half-width, the fraction beyond
``TAIL_AT`` half-widths) and its verdict. Fixed seeds; ~10 s.

    python -m benchmarks.unwrap_stride
"""

from __future__ import annotations

import argparse

import numpy as np

from ionmd.numerics.host_msd import msd_on_lag_grid
from ionmd.numerics.unwrap import to_cartesian, to_fractional, unwrap_fractional
from ionmd.numerics.unwrap_check import (
    DisplacementStats,
    check_unwrap,
    half_widths_A,
)

CUBIC = np.diag([10.0, 10.0, 10.0])
TRICLINIC = np.array([[8.0, 0.0, 0.0], [5.5, 7.0, 0.0], [-3.0, 2.5, 6.0]])
RATIOS = (0.05, 0.1, 0.15, 0.2, 0.22, 0.25, 0.28, 0.3, 0.33, 0.37, 0.4, 0.45, 0.5, 0.6)
D_A2_PS = 0.1  # 1e-5 cm²/s
LAGS = np.arange(1, 11)


def walk(
    *, cell_A: np.ndarray, ratio: float, n_walkers: int, n_frames: int, seed: int
) -> tuple[np.ndarray, float]:
    """Wrapped fractional frames ``(F, M, 3)`` of walkers whose per-axis RMS step
    is ``ratio`` smallest half-widths, and the frame interval in ps."""
    step_A = ratio * half_widths_A(cell_A).min()
    dt_ps = step_A**2 / (2 * D_A2_PS)
    rng = np.random.default_rng(seed)
    steps = rng.normal(scale=step_A, size=(n_frames - 1, n_walkers, 3))
    start = rng.uniform(0, 1, size=(1, n_walkers, 3)) @ cell_A
    true = np.concatenate([start, start + np.cumsum(steps, axis=0)])
    frac = to_fractional(positions_A=true, cell_A=cell_A)
    return frac - np.floor(frac), dt_ps


def measured_D_A2_ps(*, positions_A: np.ndarray, dt_ps: float) -> float:
    """Least-squares slope of the MSD over lags 1-10 frames, over 6."""
    msd, _, _ = msd_on_lag_grid(positions_A=positions_A, lag_frames=LAGS)
    return float(np.polyfit(LAGS * dt_ps, msd, 1)[0] / 6.0)


def expected_error(ratio: float) -> float:
    """Exact relative D error of independent Gaussian steps of RMS ``ratio``
    half-widths unwrapped by the minimum image (one axis; the width is 2)."""
    x = np.linspace(-12 * ratio, 12 * ratio, 400_001)
    pdf = np.exp(-0.5 * (x / ratio) ** 2) / (ratio * np.sqrt(2 * np.pi))
    wrapped = x - 2.0 * np.round(x / 2.0)
    return float(np.trapezoid(wrapped**2 * pdf, x) / ratio**2 - 1.0)


def row(*, cell_A: np.ndarray, ratio: float, n_walkers: int, n_frames: int, seed: int):
    """(D error, the check) for one cell and stride."""
    wrapped, dt_ps = walk(
        cell_A=cell_A, ratio=ratio, n_walkers=n_walkers, n_frames=n_frames, seed=seed
    )
    delta = np.diff(wrapped, axis=0)
    delta -= np.round(delta)  # the step the unwrapping takes
    stats = DisplacementStats()
    stats.add(delta)
    check = check_unwrap(stats=stats, cell_A=cell_A, source="walkers", species="Li")
    pos = to_cartesian(frac=unwrap_fractional(frac=wrapped), cell_A=cell_A)
    D = measured_D_A2_ps(positions_A=pos, dt_ps=dt_ps)
    return D / D_A2_PS - 1.0, check


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--walkers", type=int, default=400)
    ap.add_argument("--frames", type=int, default=1500)
    args = ap.parse_args(argv)
    print(
        f"{'cell':10s} {'s/h':>5s} {'D err %':>8s} {'expect %':>8s} "
        f"{'rms/h':>6s} {'tail %':>7s}  verdict"
    )
    for name, cell in (("cubic", CUBIC), ("triclinic", TRICLINIC)):
        for i, ratio in enumerate(RATIOS):
            err, c = row(
                cell_A=cell, ratio=ratio, n_walkers=args.walkers,
                n_frames=args.frames, seed=100 + i,
            )  # fmt: skip
            exp = f"{100 * expected_error(ratio):8.2f}" if name == "cubic" else " " * 8
            print(
                f"{name:10s} {ratio:5.2f} {100 * err:8.2f} {exp} {c.rms_ratio:6.3f} "
                f"{100 * c.tail_fraction:7.3f}  {'FLAGGED' if c.reason else 'pass'}"
            )


if __name__ == "__main__":
    main()
