"""Unwrapping against the known unwrapped path, in a strongly triclinic cell."""

import numpy as np

from ionmd.numerics.unwrap import (
    StreamingUnwrapper,
    to_cartesian,
    to_fractional,
    unwrap_fractional,
)

TRICLINIC = np.array([[8.0, 0.0, 0.0], [5.5, 7.0, 0.0], [-3.0, 2.5, 6.0]])


def _walk(seed=1, n_frames=400, n_atoms=10, step_A=0.4):
    rng = np.random.default_rng(seed)
    steps = rng.normal(scale=step_A, size=(n_frames - 1, n_atoms, 3))
    start = rng.uniform(0, 5, size=(1, n_atoms, 3))
    return np.concatenate([start, start + np.cumsum(steps, axis=0)])


def test_unwrap_recovers_true_path_in_triclinic_cell():
    true = _walk()
    frac = to_fractional(positions_A=true, cell_A=TRICLINIC)
    wrapped = frac - np.floor(frac)
    assert np.abs(frac - wrapped).max() >= 2  # the walk really crosses several images
    back = to_cartesian(frac=unwrap_fractional(frac=wrapped), cell_A=TRICLINIC)
    shift = back[0] - true[0]  # frame 0 stays in the box: a lattice translation per atom
    np.testing.assert_allclose(back - shift, true, atol=1e-9)
    lattice_shift = to_fractional(positions_A=shift, cell_A=TRICLINIC)
    np.testing.assert_allclose(lattice_shift, np.round(lattice_shift), atol=1e-9)


def test_streaming_equals_batch():
    frac = to_fractional(positions_A=_walk(seed=2), cell_A=TRICLINIC)
    wrapped = frac - np.floor(frac)
    u = StreamingUnwrapper()
    streamed = np.stack([u.push(f).copy() for f in wrapped])
    np.testing.assert_allclose(streamed, unwrap_fractional(frac=wrapped), atol=1e-12)


def test_move_across_a_face_is_the_short_one():
    """An atom leaving through the a-face re-enters at the opposite one."""
    a = np.array([[0.95, 0.5, 0.5]])
    b = np.array([[0.05, 0.5, 0.5]])  # crossed the a-face: true move is +0.1 a
    frac = np.stack([a, b])
    true_move = 0.1 * TRICLINIC[0]
    got = to_cartesian(frac=unwrap_fractional(frac=frac), cell_A=TRICLINIC)
    np.testing.assert_allclose(got[1] - got[0], true_move[None], atol=1e-12)
