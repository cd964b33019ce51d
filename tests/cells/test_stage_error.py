"""campaign.json's NPT row records the stage's second-half mean volume and
lengths with their errors (ionmd/cells/stage_error.py): the mean of the second
half only, an error of the right size for a series of known error of the mean,
None and the reason for a half too short to say, JSON-safe; a stage ended
before its first sample has None."""

import json

import numpy as np
import pytest
from ase.build import bulk

from benchmarks.block_standard_error import ar1, phi_of, true_standard_error
from ionmd.cells.npt import NptResult
from ionmd.cells.npt_stage import npt_row


def _result(volume_A3, lengths_A):
    n = len(volume_A3)
    return NptResult(
        cell_A=np.eye(3) * 10.0,
        time_ps=0.01 * np.arange(1, n + 1),
        volume_A3=np.asarray(volume_A3, dtype=np.float64),
        pressure_GPa=np.zeros(n),
        lengths_A=np.asarray(lengths_A, dtype=np.float64).reshape(n, 3),
        axis_pressure_GPa=np.zeros((n, 3)),
    )


def _row(volume_A3, lengths_A):
    atoms = bulk("Ar", "fcc", a=5.3, cubic=True)
    return npt_row(atoms, _result(volume_A3, lengths_A), sha="x")


def test_resolved_row_fields():
    """White-noise volume (σ = 2 Å³) after a first half 50 Å³ off: the mean is
    the second half's, the error near σ/√n; lengths: white axes a and b, and c
    an AR(1) of τ = 100 samples (not resolved in 1000 values)."""
    rng = np.random.default_rng(4)
    second = 1000.0 + 2.0 * rng.standard_normal(1000)
    volume = np.concatenate([np.full(1000, 1050.0), second])
    c = 10.0 + 0.01 * ar1(phi=phi_of(100.0), n=2000, rng=rng)
    lengths = np.stack([10 + 0.01 * rng.standard_normal(2000)] * 2 + [c], axis=1)
    row = _row(volume, lengths)
    json.dumps(row)  # campaign.json can hold it
    assert row["mean_volume_A3"] == pytest.approx(second.mean(), rel=1e-12)
    true = 2.0 / np.sqrt(1000)
    assert 0.4 * true < row["volume_se_A3"] < 2.0 * true
    assert row["volume_ci95_A3"] > row["volume_se_A3"]
    assert row["volume_se_note"] is None
    assert row["mean_lengths_A"] == pytest.approx(lengths[1000:].mean(axis=0).tolist())
    se_a, se_b, se_c = row["lengths_se_A"]
    assert 0.4 * 0.01 / np.sqrt(1000) < se_a < 2.0 * 0.01 / np.sqrt(1000)
    assert se_b is not None and se_c is None
    assert "not resolved" in row["lengths_se_note"][2]
    assert row["lengths_se_note"][:2] == [None, None]


def test_a_short_correlated_half_is_not_resolved():
    """A default stage's 500-value half with a correlation time of 100 samples:
    no error (None), the reason recorded; the mean still there."""
    rng = np.random.default_rng(2)
    volume = 1000.0 + 5.0 * ar1(phi=phi_of(100.0), n=1000, rng=rng)
    row = _row(volume, np.ones((1000, 3)) * 10.0)
    assert row["volume_se_A3"] is None and row["volume_ci95_A3"] is None
    assert "not resolved" in row["volume_se_note"]
    assert row["mean_volume_A3"] == pytest.approx(volume[500:].mean())
    # the old (blocked) error gave a number here, a fraction of the true one
    from ionmd.numerics.block_average import blocked_standard_error

    old = blocked_standard_error(volume[500:])
    assert old < 0.6 * 5.0 * true_standard_error(phi=phi_of(100.0), n=500)


def test_a_stage_without_samples_has_none():
    row = _row(np.zeros(0), np.zeros((0, 3)))
    assert row["mean_volume_A3"] is None and row["volume_se_A3"] is None
    assert row["lengths_se_A"] is None
    json.dumps(row)
