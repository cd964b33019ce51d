"""The blocked standard error against the known error of the mean of AR(1)
series (benchmarks/block_standard_error.py): right for a series many
correlation times long, where σ/√n is low by a factor ~4."""

import numpy as np
import pytest

from benchmarks.block_standard_error import ar1, true_standard_error
from ionmd.numerics.block_average import blocked_standard_error


@pytest.mark.parametrize(("phi", "low", "high"), [(0.0, 0.95, 1.25), (0.9, 0.85, 1.15)])
def test_blocked_error_matches_the_known_error_of_the_mean(phi, low, high):
    rng = np.random.default_rng(3)
    n = 1000
    est = [blocked_standard_error(ar1(phi=phi, n=n, rng=rng)) for _ in range(150)]
    ratio = np.mean(est) / true_standard_error(phi=phi, n=n)
    assert low < ratio < high, ratio


def test_too_short_a_series_has_no_error():
    assert np.isnan(blocked_standard_error(np.arange(5.0)))
