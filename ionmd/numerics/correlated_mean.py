"""The mean of a correlated series with an error bar that holds its coverage,
or the verdict "not resolved" (an NPT stage's volume and cell lengths).

The variance of the mean of n correlated values is S(0)/n, S(0) the spectral
density at zero frequency (σ² times the integrated correlation time). We
estimate S(0) by the mean of the periodogram's K = 3 lowest nonzero Fourier
ordinates: for a series many correlation times long the spectrum is flat there,
the ordinates are independent and each S(0) χ²₂/2, so their mean is S(0)
χ²₂ₖ/(2K) and (x̄ − μ)/√(Ŝ(0)/n) is Student's t with 2K = 6 degrees of
freedom. Near the length limit below, the third ordinate is at 2π f τ ≈ 0.5
of the spectrum's shoulder; each ordinate is divided by an exponential decay's
shape there, 1/(1 + (2π f τ)²), τ the decay lag (a ≤ 22 % lift that an
oscillating series, whose spectrum rises towards its peak, does not need: its
error is then the larger). The recorded error is the half-width of that t interval at 68.3 %
(so ±1 s.e. covers 68 %), and the 95 % interval's half-width with it.

Too short a series has no honest error: its lowest ordinates sit on the
spectrum's slope, not its plateau, and underestimate S(0). We say "not
resolved" (no number) when the series is shorter than ``MIN_LENGTH_IN_DECAY``
times its decay lag, the first lag at which the autocorrelation falls below
1/e (≈ the correlation time of an exponential decay; a quarter of a period for
an oscillation, whose S(0) the oscillation itself does not raise). The decay
lag is read from short lags and the error from the longest periods, so the two
are nearly independent: a gate on the integrated correlation time itself
passes just the series whose error it underestimates.

Measured against AR(1) series of known mean (coverage of ±1 s.e. and of the
95 % interval, and how often "not resolved", beside the blocked standard error
of :mod:`ionmd.numerics.block_average`): ``python -m benchmarks.block_standard_error``;
against 64 independent NPT stages of LJ argon (the spread of their mean
volumes): ``python -m benchmarks.npt_lj_volume_se``. Numbers: docs/cells.md.
"""

from __future__ import annotations

import dataclasses

import numpy as np

#: the periodogram's lowest nonzero ordinates that estimate S(0) (2K degrees of freedom)
ZERO_FREQUENCY_ORDINATES = 3
#: a series shorter than this many decay lags is "not resolved"
MIN_LENGTH_IN_DECAY = 40
#: the two-sided coverages whose half-widths are recorded
COVERAGE_1SE = 0.6826894921370859
COVERAGE_95 = 0.95


@dataclasses.dataclass(frozen=True)
class MeanError:
    """A series' mean and its error: ``se`` the half-width of the 68.3 %
    interval, ``ci95`` of the 95 % one (both None when ``note`` says why the
    series cannot tell); ``decay_lag`` in samples, ``dof`` the t's."""

    mean: float
    se: float | None
    ci95: float | None
    decay_lag: int | None
    dof: int
    note: str | None


def decay_lag(values: np.ndarray) -> int | None:
    """The first lag (samples) at which the series' autocorrelation falls below
    1/e; None when it never does (or the series is constant)."""
    y = np.asarray(values, dtype=np.float64) - np.mean(values)
    n = y.size
    power = np.abs(np.fft.rfft(y, 2 * n)) ** 2
    acf = np.fft.irfft(power)[:n]
    if not acf[0] > 0:
        return None
    below = np.flatnonzero(acf / acf[0] < np.exp(-1.0))
    return int(below[0]) if below.size else None


def mean_with_error(
    values: np.ndarray,
    *,
    ordinates: int = ZERO_FREQUENCY_ORDINATES,
    min_length_in_decay: float = MIN_LENGTH_IN_DECAY,
) -> MeanError:
    """``values`` (n,)'s mean and its error (module doc), or the mean with
    ``se`` None and the reason in ``note`` when the series is too short."""
    from scipy.stats import t

    x = np.asarray(values, dtype=np.float64).ravel()
    n, dof = x.size, 2 * ordinates
    mean = float(np.mean(x)) if n else float("nan")
    if n < 2 * ordinates + 2:
        return MeanError(mean, None, None, None, dof, f"{n} values: too few")
    lag = decay_lag(x)
    if lag is None or n < min_length_in_decay * lag:
        what = (
            "never decays (or is constant)" if lag is None else f"decays in {lag} samples"
        )
        note = (
            f"not resolved: the series of {n} values {what}; an error needs "
            f"≥ {min_length_in_decay:g} decay lags"
        )
        return MeanError(mean, None, None, lag, dof, note)
    periodogram = np.abs(np.fft.rfft(x - mean)) ** 2 / n
    # each ordinate lifted off an exponential decay's shoulder, S(f) = S(0)/(1 + (2πfτ)²)
    f = np.arange(1, ordinates + 1) / n
    s0 = float(np.mean(periodogram[1 : ordinates + 1] * (1 + (2 * np.pi * f * lag) ** 2)))
    scale = np.sqrt(s0 / n)
    return MeanError(
        mean,
        float(scale * t.ppf(0.5 + COVERAGE_1SE / 2, dof)),
        float(scale * t.ppf(0.5 + COVERAGE_95 / 2, dof)),
        lag,
        dof,
        None,
    )
