"""Coverage of the pooled 95 % interval of replicas/orderings (issue 21).

A known answer: members (orderings or replicas) of one material at one
temperature report y_i = mu + u_i + e_i with u_i ~ N(0, tau^2) (the spread
between members: the disorder, or nothing for near copies) and
e_i ~ N(0, sigma_i^2) (each run's own error), and a 95 % interval
y_i +- 1.96 sigma_i. The own errors differ between members (sigma_i =
sigma exp(0.25 z), as intervals of runs of one length do). The quantity
estimated is mu, the mean over the members' distribution. Per cell of the grid
ratio = tau / sigma x n members, ``--trials`` pooled intervals are made by
:func:`ionmd.analysis.pooling.pooled_value` (the code under test, not a copy),
and the table gives the fraction that contain mu and the median full width in
units of sigma.

    python -m benchmarks.pooling_coverage            # the pooling of this tree
    python -m benchmarks.pooling_coverage --before   # the formula before issue 21

``--before`` evaluates the previous formula (se^2 = sum sigma_i^2 / n^2 + s^2 / n,
mean +- 1.96 se), kept here only as the reference the issue measured.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np

from ionmd.analysis.pooled_types import PooledValue

RATIOS = (0.0, 0.5, 1.0, 2.0, 5.0)
MEMBERS = (2, 3, 4, 8)
MU, SIGMA = 1.0, 0.05


def before_issue_21(values: list[float], ci95: list[tuple[float, float]]) -> PooledValue:
    """The pooled interval as it was: own errors added to the spread, 1.96."""
    n = len(values)
    mean = math.fsum(values) / n
    s = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    sig = [(hi - lo) / 3.92 for lo, hi in ci95]
    se = math.sqrt(math.fsum(x * x for x in sig) / n**2 + s**2 / n)
    ci95_before = (mean - 1.96 * se, mean + 1.96 * se)
    return PooledValue(value=mean, ci95=ci95_before, spread=s, members=tuple(values))


def coverage(
    pool: Callable[..., PooledValue], *, ratio: float, n: int, trials: int, seed: int
) -> tuple[float, float]:
    """(fraction of intervals containing mu, median width / sigma) for one cell."""
    rng = np.random.default_rng([seed, int(ratio * 100), n])
    u = rng.normal(0.0, ratio * SIGMA, size=(trials, n))
    sig = SIGMA * np.exp(0.25 * rng.normal(size=(trials, n)))
    y = MU + u + sig * rng.normal(size=(trials, n))
    hits, widths = 0, []
    for yt, st in zip(y.tolist(), sig.tolist(), strict=True):
        own = [(v - 1.96 * s, v + 1.96 * s) for v, s in zip(yt, st, strict=True)]
        lo, hi = pool(yt, own).ci95
        hits += lo <= MU <= hi
        widths.append(hi - lo)
    return hits / trials, float(np.median(widths)) / SIGMA


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trials", type=int, default=4000)
    p.add_argument("--seed", type=int, default=21)
    p.add_argument("--before", action="store_true", help="the formula before issue 21")
    args = p.parse_args(argv)
    if args.before:
        pool: Callable[..., PooledValue] = before_issue_21
    else:
        from ionmd.analysis.pooling import pooled_value as pool
    t0 = time.perf_counter()
    print(
        f"pooled 95 % interval ({'before issue 21' if args.before else 'this tree'}), "
        f"{args.trials} trials per cell; coverage of mu / median width in units of sigma"
    )
    print("tau/sigma " + "".join(f"{f'n = {n}':>16}" for n in MEMBERS))
    worst = 1.0
    for ratio in RATIOS:
        cells = []
        for n in MEMBERS:
            cov, width = coverage(
                pool, ratio=ratio, n=n, trials=args.trials, seed=args.seed
            )
            worst = min(worst, cov)
            cells.append(f"{cov:.3f} / {width:5.2f}")
        print(f"{ratio:>9g} " + "".join(f"{c:>16}" for c in cells))
    print(f"lowest coverage {worst:.3f} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
