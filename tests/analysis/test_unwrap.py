"""Unwrapping against the known unwrapped path, in a strongly triclinic cell; and
the check that the frames were close enough together to unwrap (issue 20)."""

import math

import numpy as np
import pytest

from benchmarks.unwrap_stride import CUBIC, expected_error, row
from ionmd.numerics.unwrap import (
    StreamingUnwrapper,
    to_cartesian,
    to_fractional,
    unwrap_fractional,
)
from ionmd.numerics.unwrap_check import (
    MAX_RMS_RATIO,
    MAX_TAIL_FRACTION,
    TAIL_AT,
    DisplacementStats,
    check_unwrap,
    displacement_stats,
    half_widths_A,
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


# --- frames too far apart to unwrap (issue 20) -----------------------------------


def test_half_widths_are_face_distances_over_two():
    """Against the volume over the area of the face (an independent formula)."""
    a, b, c = TRICLINIC
    vol = abs(np.linalg.det(TRICLINIC))
    faces = [np.cross(b, c), np.cross(c, a), np.cross(a, b)]
    expected = [vol / np.linalg.norm(f) / 2 for f in faces]
    np.testing.assert_allclose(half_widths_A(TRICLINIC), expected, rtol=1e-12)


@pytest.mark.parametrize("cell", [CUBIC, TRICLINIC], ids=["cubic", "triclinic"])
def test_safe_stride_passes_silently_with_D_within_tolerance(cell):
    """RMS step 0.2 half-widths: D recovered within 2 % and no flag."""
    err, check = row(cell_A=cell, ratio=0.2, n_walkers=200, n_frames=800, seed=3)
    assert abs(err) < 0.02
    assert check.reason == ""
    assert check.rms_ratio == pytest.approx(0.2, rel=0.02)  # the check sees the stride


@pytest.mark.parametrize("cell", [CUBIC, TRICLINIC], ids=["cubic", "triclinic"])
def test_aliased_stride_is_detected_in_one_line(cell):
    """RMS step 0.45 half-widths: D is off by > 5 % (measured), and the check
    says so in one line naming the file, the species and the displacements."""
    err, check = row(cell_A=cell, ratio=0.45, n_walkers=200, n_frames=800, seed=4)
    assert abs(err) > 0.05
    why = check.reason
    assert why.startswith("walkers: Li frames too far apart to unwrap")
    assert "\n" not in why
    h = half_widths_A(cell).min()
    assert f"RMS {check.rms_A:.2f} Å" in why and f"largest {check.max_A:.2f} Å" in why
    assert f"half-width of the cell {h:.2f} Å" in why
    assert check.rms_A == pytest.approx(check.rms_ratio * h)


def test_thresholds_match_the_gaussian_calibration():
    """At the RMS limit the exact D error of diffusive steps (cubic) is under
    0.1 %, at 0.37 half-widths it is past 2 %; the tail limit is what a Gaussian
    gives at the RMS limit (so both criteria agree on diffusive data)."""
    assert abs(expected_error(MAX_RMS_RATIO)) < 0.001
    assert expected_error(0.37) < -0.02
    gauss_tail = math.erfc(TAIL_AT / (MAX_RMS_RATIO * math.sqrt(2)))
    assert MAX_TAIL_FRACTION == pytest.approx(gauss_tail, rel=0.02)


def test_heavy_tail_is_caught_where_the_rms_is_not():
    """Mostly small vibrations, but 5 % of the steps spread over the whole cell
    (a tail the RMS averages away): the tail fraction flags it."""
    rng = np.random.default_rng(7)
    d = rng.normal(scale=0.01, size=(2000, 20, 3))
    wild = rng.random(d.shape) < 0.05
    d[wild] = rng.uniform(-0.5, 0.5, size=wild.sum())
    stats = DisplacementStats()
    stats.add(d)
    c = check_unwrap(stats=stats, cell_A=CUBIC, source="f", species="Li")
    assert c.rms_ratio < MAX_RMS_RATIO and c.tail_fraction > MAX_TAIL_FRACTION
    assert "frames too far apart" in c.reason


def test_streamed_stats_equal_batch_and_select_the_species():
    frac = to_fractional(positions_A=_walk(seed=5, step_A=1.5), cell_A=TRICLINIC)
    wrapped = frac - np.floor(frac)
    u = StreamingUnwrapper()
    for f in wrapped:
        u.push(f)
    delta = np.diff(wrapped, axis=0)
    delta -= np.round(delta)
    batch = DisplacementStats()
    batch.add(delta)
    assert u.stats.n_steps == batch.n_steps == wrapped.shape[0] - 1
    np.testing.assert_allclose(u.stats.sum_sq, batch.sum_sq, rtol=1e-12)
    np.testing.assert_array_equal(u.stats.n_tail, batch.n_tail)
    mask = np.zeros(10, bool)
    mask[:3] = True
    c = check_unwrap(stats=batch, cell_A=TRICLINIC, atoms=mask)
    h = half_widths_A(TRICLINIC)
    rms_axis = np.sqrt((delta[:, :3] ** 2).mean(axis=(0, 1))) / (0.5)
    assert c.rms_ratio == pytest.approx(rms_axis.max(), rel=1e-12)
    assert c.half_width_A == pytest.approx(h[np.argmax(rms_axis)])


def test_continuous_positions_only_flag_an_implausible_move():
    """Already-unwrapped positions (the engine's) cannot alias: steps close to the
    half-width pass there (they would be flagged as minimum-image steps); one
    move over the half-width is flagged as implausible."""
    rng = np.random.default_rng(6)
    d = rng.normal(scale=0.02, size=(400, 10, 3))  # fractional steps
    d[rng.random(d.shape) < 0.05] = 0.45  # 0.9 half-width: physical but far
    frac = np.cumsum(d, axis=0)
    ok = check_unwrap(
        stats=displacement_stats(frac=frac), cell_A=TRICLINIC, continuous=True
    )
    assert ok.reason == "" and ok.tail_fraction > MAX_TAIL_FRACTION
    as_min_image = check_unwrap(stats=displacement_stats(frac=frac), cell_A=TRICLINIC)
    assert "frames too far apart" in as_min_image.reason
    frac[200:, 4, 2] += 0.7  # one ion jumps 0.7 of the c-width
    bad = check_unwrap(
        stats=displacement_stats(frac=frac), cell_A=TRICLINIC, continuous=True,
        source="md.h5:sys", species="Li",
    )  # fmt: skip
    h = half_widths_A(TRICLINIC)
    assert bad.max_ratio == pytest.approx(2 * (0.7 + d[200, 4, 2]))
    assert bad.max_A == pytest.approx(bad.max_ratio * h[2])
    assert bad.reason.startswith(f"md.h5:sys: Li moves {bad.max_A:.2f} Å")
    assert "implausible" in bad.reason and "\n" not in bad.reason


def test_batch_stats_in_blocks_equal_one_block():
    """displacement_stats works in blocks of frames (bounded memory): the same sums."""
    frac = np.cumsum(np.random.default_rng(8).normal(scale=0.2, size=(1300, 7, 3)), 0)
    got = displacement_stats(frac=frac)
    d = np.diff(frac, axis=0)
    assert got.n_steps == 1299 and got.n_tail.sum() > 0
    np.testing.assert_allclose(got.sum_sq, (d**2).sum(0), rtol=1e-12)
    np.testing.assert_array_equal(got.max_abs, np.abs(d).max(0))
    np.testing.assert_array_equal(got.n_tail, (2 * np.abs(d) > TAIL_AT).sum(0))
