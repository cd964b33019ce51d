"""The error of the mean of a correlated series against AR(1) series of known
mean 0, x_t = φ x_{t−1} + ε_t, φ = exp(−1/τ) (τ the correlation time in
samples): the blocked standard error (:mod:`ionmd.numerics.block_average`, the
report's error until December) beside :func:`ionmd.numerics.correlated_mean.
mean_with_error` (the periodogram's zero frequency, Student t, "not resolved"
for a series shorter than 40 decay lags).

For each τ and length n, over 400 seeds: how often ±1 s.e. covers the true
mean (target 0.683) and how often the 95 % interval does (target 0.95; the
blocked error's is ±1.96 s.e., the new one's its t interval), the new one's
counted over the series it gives a number for, and the fraction it calls "not
resolved". Also the blocked error's mean over the true error of the mean,
σ²/n · [(1 + φ)/(1 − φ) − 2φ(1 − φⁿ)/(n(1 − φ)²)], σ² = 1/(1 − φ²).
``python -m benchmarks.block_standard_error`` (~10 s).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from ionmd.numerics.block_average import blocked_standard_error
from ionmd.numerics.correlated_mean import mean_with_error

TAUS = (0.0, 10.0, 30.0, 100.0)
LENGTHS = (150, 500, 1000)


def ar1(*, phi: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """An AR(1) series started in its stationary distribution."""
    eps = rng.standard_normal(n)
    eps[0] /= np.sqrt(1.0 - phi**2)
    return lfilter([1.0], [1.0, -phi], eps)


def phi_of(tau: float) -> float:
    """AR(1)'s φ for a correlation time of ``tau`` samples (0: white noise)."""
    return float(np.exp(-1.0 / tau)) if tau > 0 else 0.0


def true_standard_error(*, phi: float, n: int) -> float:
    var = 1.0 / (1.0 - phi**2)
    k = (1 + phi) / (1 - phi) - 2 * phi * (1 - phi**n) / (n * (1 - phi) ** 2)
    return float(np.sqrt(var / n * k))


def measure(*, tau: float, n: int, seeds: int = 400, seed: int = 12345) -> dict[str, float]:
    """Coverages of both estimators and the new one's "not resolved" fraction."""
    rng = np.random.default_rng(seed)
    phi = phi_of(tau)
    old1 = old95 = new1 = new95 = resolved = 0
    ratio = []
    for _ in range(seeds):
        x = ar1(phi=phi, n=n, rng=rng)
        miss = abs(x.mean())
        se = blocked_standard_error(x)
        ratio.append(se)
        old1 += miss <= se
        old95 += miss <= 1.96 * se
        e = mean_with_error(x)
        if e.se is not None:
            resolved += 1
            new1 += miss <= e.se
            new95 += miss <= e.ci95
    return {
        "blocked_over_true": float(np.mean(ratio) / true_standard_error(phi=phi, n=n)),
        "old_cover_1se": old1 / seeds,
        "old_cover_95": old95 / seeds,
        "new_cover_1se": new1 / resolved if resolved else float("nan"),
        "new_cover_95": new95 / resolved if resolved else float("nan"),
        "not_resolved": 1.0 - resolved / seeds,
    }


def main() -> None:
    print(
        "| τ (samples) | n | blocked/true | blocked: ±1 s.e. covers | ±1.96 s.e. covers "
        "| new: ±1 s.e. covers | 95 % interval covers | not resolved (of 400) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for tau in TAUS:
        for n in LENGTHS:
            r = measure(tau=tau, n=n)
            print(
                f"| {tau:g} | {n} | {r['blocked_over_true']:.2f} "
                f"| {r['old_cover_1se']:.2f} | {r['old_cover_95']:.2f} "
                f"| {r['new_cover_1se']:.2f} "
                f"| {r['new_cover_95']:.2f} | {r['not_resolved']:.2f} "
                f"({round(400 * r['not_resolved'])}) |"
            )


if __name__ == "__main__":
    main()
