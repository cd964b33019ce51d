"""The blocked standard error (:mod:`ionmd.numerics.block_average`) against
the known error of the mean of AR(1) series, x_t = φ x_{t−1} + ε_t: its variance
σ² = 1/(1 − φ²), and for n values the variance of the mean
σ²/n · [(1 + φ)/(1 − φ) − 2φ(1 − φⁿ)/(n(1 − φ)²)].

For each φ (correlation time −1/ln φ steps) and length n, over many seeds: the
mean estimate over the true error, and how often ±1 estimated error covers the
true mean 0 (68 % for a right error). ``python -m benchmarks.block_standard_error``
"""

from __future__ import annotations

import numpy as np

from ionmd.numerics.block_average import blocked_standard_error


def ar1(*, phi: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """An AR(1) series started in its stationary distribution."""
    eps = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = eps[0] / np.sqrt(1.0 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + eps[t]
    return x


def true_standard_error(*, phi: float, n: int) -> float:
    var = 1.0 / (1.0 - phi**2)
    k = (1 + phi) / (1 - phi) - 2 * phi * (1 - phi**n) / (n * (1 - phi) ** 2)
    return float(np.sqrt(var / n * k))


def measure(*, phi: float, n: int, seeds: int = 400) -> dict[str, float]:
    rng = np.random.default_rng(12345)
    true = true_standard_error(phi=phi, n=n)
    est, covered, naive = [], 0, []
    for _ in range(seeds):
        x = ar1(phi=phi, n=n, rng=rng)
        se = blocked_standard_error(x)
        est.append(se)
        naive.append(np.std(x, ddof=1) / np.sqrt(n))
        covered += abs(x.mean()) <= se
    return {
        "ratio": float(np.mean(est) / true),
        "naive_ratio": float(np.mean(naive) / true),
        "coverage": covered / seeds,
    }


def main() -> None:
    print("phi     tau(steps)  n      blocked/true  naive/true  coverage(±1 SE)")
    for phi in (0.0, 0.9, 0.99):
        for n in (150, 1000):
            r = measure(phi=phi, n=n)
            tau = -1 / np.log(phi) if phi else 0.0
            print(
                f"{phi:<7g} {tau:<11.3g} {n:<6d} {r['ratio']:<13.3f} "
                f"{r['naive_ratio']:<11.3f} {r['coverage']:.3f}"
            )


if __name__ == "__main__":
    main()
