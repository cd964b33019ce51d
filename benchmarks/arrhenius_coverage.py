"""Coverage of the σ(300 K) 95 % interval of the Arrhenius extrapolation, by
simulation with a known answer (issue 20).

    python -m benchmarks.arrhenius_coverage [--fits 4000] [--seed 0]

Each fit: Ea ~ U(0.2, 0.5) eV, D0 ~ log-uniform(1e-4, 1e-2) cm²/s, n distinct
temperatures drawn from 600, 700, ..., 1500 K, a true ln D scatter per point
~ U(0.1, 0.5); the per-point 95 % interval given to the fit is ± 1.96 × the true
scatter divided by ``understate`` (none for an unweighted scenario). The truth is
ln D(300 K); σ(300 K) ∝ D at a fixed T, so its interval covers exactly when D's
does. "after": the current :func:`ionmd.analysis.extrapolation.extrapolate_D`
(coverage counted over the fits it calls a prediction; the share of those is
shown); "before": the rule until issue 20, restated in :func:`_before` (weighted:
covariance scaled by χ²_red with t(n−2) only when χ²_red > 1, else 1.96;
unweighted: residual variance with t(n−2); every fit a prediction). Widths are
full 95 % widths in decades, medians over the counted fits.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np

from ionmd.analysis.arrhenius import Z95, t_quantile_95
from ionmd.analysis.extrapolation import ArrheniusPoint, extrapolate_D
from ionmd.units import KB_EV_PER_K

GRID_K = np.arange(600.0, 1501.0, 100.0)
T_EXTRAP_K = 300.0


@dataclass(frozen=True)
class Scenario:
    name: str
    n_temperatures: int
    #: the stated per-point errors are the true ones divided by this
    understate: float = 1.0
    weighted: bool = True
    #: "random", or "cold_worst": the largest scatter at the coldest point
    order: str = "random"


SCENARIOS = (  # the first, third, fifth and sixth are issue 20's
    Scenario("5 T, errors right", 5),
    Scenario("5 T, errors 2x low", 5, understate=2.0),
    Scenario("4 T, errors 2x low", 4, understate=2.0),
    Scenario("3 T, errors right", 3),
    Scenario("3 T, errors 2x low", 3, understate=2.0),
    Scenario("2 T, errors 2x low", 2, understate=2.0),
    Scenario("2 T, errors right", 2),
    Scenario("5 T, unweighted, unequal", 5, weighted=False, order="cold_worst"),
    Scenario("5 T, unweighted, unequal (random)", 5, weighted=False),
    Scenario("4 T, unweighted, unequal", 4, weighted=False, order="cold_worst"),
)


@dataclass
class Coverage:
    n_fits: int
    n_predictions: int
    covered: int
    widths_decades: list[float]

    @property
    def coverage(self) -> float:
        return self.covered / self.n_predictions if self.n_predictions else math.nan

    @property
    def median_width_decades(self) -> float:
        w = [x for x in self.widths_decades if math.isfinite(x)]
        return float(np.median(w)) if w else math.nan


def _draw(sc: Scenario, rng: np.random.Generator):
    """(T, true ln D, per-point true scatter, ln D(300 K) truth)."""
    Ea = rng.uniform(0.2, 0.5)
    ln_D0 = math.log(10 ** rng.uniform(-4, -2))
    T = np.sort(rng.choice(GRID_K, size=sc.n_temperatures, replace=False))
    sd = rng.uniform(0.1, 0.5, size=T.size)
    if sc.order == "cold_worst":
        sd = np.sort(sd)[::-1]  # T ascending: the coldest gets the largest
    lnD = ln_D0 - Ea / (KB_EV_PER_K * T) + rng.normal(0.0, sd)
    return T, lnD, sd, ln_D0 - Ea / (KB_EV_PER_K * T_EXTRAP_K)


def _before(T: np.ndarray, lnD: np.ndarray, s: np.ndarray | None) -> tuple[float, float]:
    """(ln D(300 K), 95 % half-width) by the rule until issue 20."""
    X = np.column_stack([np.ones_like(T), -1.0 / (KB_EV_PER_K * T)])
    w = np.ones_like(T) if s is None else 1.0 / s**2
    cov = np.linalg.inv((X.T * w) @ X)
    beta = cov @ ((X.T * w) @ lnD)
    dof = T.size - 2
    chi2 = float((w * (lnD - X @ beta) ** 2).sum() / dof) if dof > 0 else math.nan
    q = Z95
    if dof > 0 and (s is None or chi2 > 1.0):
        cov, q = cov * chi2, t_quantile_95(dof=dof)
    elif s is None:
        return float("nan"), float("nan")
    x = np.array([1.0, -1.0 / (KB_EV_PER_K * T_EXTRAP_K)])
    return float(x @ beta), q * math.sqrt(float(x @ cov @ x))


def run(
    sc: Scenario, *, n_fits: int, seed: int, before_too: bool = True
) -> tuple[Coverage, Coverage]:
    """(before, after) coverage of one scenario over ``n_fits`` simulated fits
    (``before_too=False``: the before one left empty)."""
    rng = np.random.default_rng(seed)
    before = Coverage(n_fits, 0, 0, [])
    after = Coverage(n_fits, 0, 0, [])
    for _ in range(n_fits):
        T, lnD, sd, truth = _draw(sc, rng)
        stated = sd / sc.understate if sc.weighted else None
        if before_too:
            mean, hw = _before(T, lnD, stated)
            before.n_predictions += 1
            before.covered += abs(mean - truth) <= hw
            before.widths_decades.append(2 * hw / math.log(10))
        pts = [
            ArrheniusPoint(
                temperature_K=float(t),
                D_cm2_s=float(np.exp(y)),
                D_ci95_cm2_s=(
                    (float(np.exp(y - Z95 * e)), float(np.exp(y + Z95 * e)))
                    if stated is not None
                    else (math.nan, math.nan)
                ),
            )
            for t, y, e in zip(T, lnD, sd if stated is None else stated, strict=True)
        ]
        ex = extrapolate_D(points=pts, temperature_K=T_EXTRAP_K)
        if not ex.prediction:
            continue
        lo, hi = ex.D_ci95_cm2_s
        after.n_predictions += 1
        after.covered += math.log(lo) <= truth <= math.log(hi)
        after.widths_decades.append(ex.log10_ci or math.nan)
    return before, after


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fits", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(
        "| scenario | coverage before | coverage after | called a prediction after "
        "| median width before (decades) | after |"
    )
    print("|---|---|---|---|---|---|")
    for i, sc in enumerate(SCENARIOS):
        b, a = run(sc, n_fits=args.fits, seed=args.seed + i)
        share = a.n_predictions / a.n_fits
        cov_a = "–" if not a.n_predictions else f"{a.coverage:.3f}"
        print(
            f"| {sc.name} | {b.coverage:.3f} | {cov_a} | {share:.0%} | "
            f"{b.median_width_decades:.2f} | {a.median_width_decades:.2f} |"
        )
    print(f"({args.fits} fits per scenario, seeds {args.seed}..{args.seed + i})")


if __name__ == "__main__":
    main()
