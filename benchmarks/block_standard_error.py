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
Then the alternative not kept (:func:`sokal_gated`) as its gate tightens.
``python -m benchmarks.block_standard_error`` (~15 s).
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


def sokal_gated(x: np.ndarray, *, min_length_in_tau: float) -> tuple[float, float] | None:
    """The alternative not kept: the integrated correlation time τ_int by
    Sokal's automatic window (the first M ≥ 5 τ_int(M)), corrected for the
    mean's subtraction (× (1 + (2M + 1)/n)), the error √(σ² τ_int/n) with a t
    of n/(2M + 1) degrees of freedom, "not resolved" (None) below
    ``min_length_in_tau`` τ_int: ±1 s.e. and the 95 % half-width."""
    from scipy.stats import t

    n = x.size
    y = x - x.mean()
    acf = np.fft.irfft(np.abs(np.fft.rfft(y, 2 * n)) ** 2)[:n]
    tau = 2 * np.cumsum(acf / acf[0]) - 1
    window = np.flatnonzero(np.arange(n) >= 5 * tau)
    if not window.size:
        return None
    m = int(window[0])
    tau_int = max(1.0, float(tau[m])) * (1 + (2 * m + 1) / n)
    if n < min_length_in_tau * tau_int:
        return None
    se, dof = np.sqrt(np.var(x) * tau_int / n), n / (2 * m + 1)
    return float(se * t.ppf(0.8413, dof)), float(se * t.ppf(0.975, dof))


def sokal_table(*, seeds: int = 400) -> None:
    """Coverage of :func:`sokal_gated` as its gate tightens: a loose gate gives
    numbers for a third of the hopeless series (τ = 100, n = 500) and they miss;
    a gate tight enough to refuse them passes, among the others, those whose
    τ_int (and so error) came out low, and coverage falls."""
    print("\n| gate (n/τ_int ≥) | τ | n | ±1 s.e. covers | 95 % covers | not resolved |")
    print("|---|---|---|---|---|---|")
    for gate in (10.0, 20.0, 30.0):
        for tau, n in ((10.0, 150), (10.0, 500), (30.0, 500), (30.0, 1000), (100.0, 500)):
            rng = np.random.default_rng(12345)
            got = []
            for _ in range(seeds):
                x = ar1(phi=phi_of(tau), n=n, rng=rng)
                e = sokal_gated(x, min_length_in_tau=gate)
                if e is not None:
                    got.append((abs(x.mean()) <= e[0], abs(x.mean()) <= e[1]))
            c = np.mean(got, axis=0) if got else (float("nan"),) * 2
            print(
                f"| {gate:g} | {tau:g} | {n} | {c[0]:.2f} | {c[1]:.2f} "
                f"| {1 - len(got) / seeds:.2f} |"
            )


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
    sokal_table()
