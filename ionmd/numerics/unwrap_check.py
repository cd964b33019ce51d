"""Were the frames close enough together to unwrap? (issue 20)

Unwrapping (:mod:`ionmd.numerics.unwrap`) takes, between two stored frames, the
periodic image of each fractional displacement nearest to zero. An ion that
moved more than half the perpendicular width of the cell along a face normal is
put on the wrong image, and no single frame can show it: the minimum image
hides the jump. The unwrapped MSD, and D, then come out wrong with no word (low
in a cubic cell; in a skewed one a wrong image can also make them high).

What can be seen is the *distribution* of the minimum-image frame-to-frame
displacements. Per face normal ``i`` each component is measured in units of the
half-width ``h_i = w_i / 2`` (``w_i`` the distance between the opposite faces),
so ``x = 2 |Δf_i|`` with ``Δf`` fractional. For diffusive motion with per-axis
RMS step ``s`` the fraction of steps beyond ``h`` (aliased) is
``erfc(h / (s √2))``; it is negligible while ``s / h`` stays small and grows
steeply after. Two statistics of the *observed* ``x`` are checked:

- ``rms_ratio``: the RMS of ``x`` on the worst axis (``s / h``);
- ``tail_fraction``: the fraction of components with ``x > TAIL_AT`` on the
  worst axis, which sees a heavy tail (hops) that the RMS would average away:
  the density just inside the half-width estimates the mass just beyond it.

Both thresholds were calibrated by ``python -m benchmarks.unwrap_stride``
(Gaussian walkers of known D in periodic cells, stored at strides from safe to
aliased, unwrapped by :func:`~ionmd.numerics.unwrap.unwrap_fractional`): at
``MAX_RMS_RATIO`` = 0.25 D is exact within the 0.4 % noise of the measurement in
a cubic and a strongly triclinic cell; at 0.28-0.30 the triclinic D is already
1-1.2 % high, at 0.33 4 %, at 0.45 8 % low (cubic) and 20 % high (triclinic).
``MAX_TAIL_FRACTION`` is what a Gaussian gives at that RMS, so both criteria
agree on diffusive data (docs/analysis.md has the table). Real AIMD strides sit
far below (0.004 and 0.04 for the two runs in the tests).

Positions that are already continuous (the engine's run files: it never wraps
the positions it integrates) are not at risk of aliasing; there a frame-to-frame
move over the half-width is simply implausible at an MD stride and means frames
too far apart or corrupted positions, and that alone is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest accepted RMS frame-to-frame displacement per face normal over the half-width.
MAX_RMS_RATIO = 0.25
#: Where the tail starts, in half-widths.
TAIL_AT = 0.8
#: Largest accepted fraction of displacements beyond ``TAIL_AT`` half-widths.
MAX_TAIL_FRACTION = 0.00137
_TAIL_FRAC = TAIL_AT / 2.0  # the same, in |Δf|
_CHUNK_FRAMES = 512  # frames per block of the batch statistics


class DisplacementStats:
    """Per-atom running sums of frame-to-frame fractional displacements ``Δf``,
    one pass, O(N) memory: ``sum_sq (N, 3)`` of ``Δf²``, ``max_abs (N, 3)`` of
    ``|Δf|``, ``n_tail (N, 3)`` of ``2 |Δf| > TAIL_AT``, over ``n_steps`` steps."""

    def __init__(self) -> None:
        self.n_steps = 0
        self.sum_sq: np.ndarray | None = None
        self.max_abs: np.ndarray | None = None
        self.n_tail: np.ndarray | None = None

    def add(self, delta_frac: np.ndarray) -> None:
        """Add displacements ``(N, 3)`` of one step or ``(K, N, 3)`` of K steps."""
        d = np.asarray(delta_frac, dtype=np.float64)
        if d.ndim == 3:
            if d.shape[0] == 0:
                return
            a = np.abs(d)
            sq, mx, tail = np.einsum("knj,knj->nj", d, d), a.max(0), (a > _TAIL_FRAC).sum(0)
            k = d.shape[0]
        else:  # one step (the streaming readers): no temporaries beyond |d|
            a = np.abs(d)
            sq, mx, tail, k = d * d, a, (a > _TAIL_FRAC).astype(np.int64), 1
        if self.sum_sq is None or self.max_abs is None or self.n_tail is None:
            self.sum_sq, self.max_abs, self.n_tail = sq, mx.copy(), tail
        else:
            self.sum_sq += sq
            np.maximum(self.max_abs, mx, out=self.max_abs)
            self.n_tail += tail
        self.n_steps += k


def displacement_stats(*, frac: np.ndarray) -> DisplacementStats:
    """The statistics of the raw frame-to-frame displacements of ``frac (F, N, 3)``
    (positions already unwrapped: no image is taken)."""
    frac = np.asarray(frac)
    stats = DisplacementStats()
    for start in range(0, max(frac.shape[0] - 1, 0), _CHUNK_FRAMES):  # bounded memory
        block = np.asarray(frac[start : start + _CHUNK_FRAMES + 1], dtype=np.float64)
        stats.add(np.diff(block, axis=0))
    return stats


def half_widths_A(cell_A: np.ndarray) -> np.ndarray:
    """``(3,)`` half the distance between opposite faces of the cell (row vectors),
    Å: ``1 / (2 |b_i|)`` with ``b_i`` the i-th column of ``inv(cell)``."""
    return 0.5 / np.linalg.norm(np.linalg.inv(np.asarray(cell_A, dtype=float)), axis=0)


@dataclass(frozen=True, kw_only=True)
class UnwrapCheck:
    """The verdict on one trajectory's stride; ``reason`` is "" when it passes.
    Ratios are in half-widths on the worst axis; ``*_A`` the same in Å."""

    rms_ratio: float
    max_ratio: float
    tail_fraction: float
    rms_A: float
    max_A: float
    half_width_A: float
    n_displacements: int
    continuous: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rms_over_half_width": self.rms_ratio,
            "max_over_half_width": self.max_ratio,
            "tail_fraction": self.tail_fraction,
            "rms_A": self.rms_A,
            "max_A": self.max_A,
            "half_width_A": self.half_width_A,
            "n_displacements": self.n_displacements,
            "positions": "continuous" if self.continuous else "minimum_image",
        }


def check_unwrap(
    *,
    stats: DisplacementStats,
    cell_A: np.ndarray,
    atoms: np.ndarray | None = None,
    continuous: bool = False,
    source: str = "",
    species: str = "Li",
) -> UnwrapCheck:
    """Whether the frames of ``atoms`` (bool ``(N,)`` mask, default all) were close
    enough together to unwrap (``continuous``: positions never wrapped, so only
    a move beyond the half-width, implausible, is flagged). The one-line
    ``reason`` names ``source``, ``species`` and the displacements."""
    h = half_widths_A(cell_A)
    if stats.n_steps == 0 or stats.sum_sq is None:
        nan = float("nan")
        return UnwrapCheck(
            rms_ratio=nan, max_ratio=nan, tail_fraction=nan, rms_A=nan, max_A=nan,
            half_width_A=float(h.min()), n_displacements=0, continuous=continuous,
            reason="",
        )  # fmt: skip
    sel = slice(None) if atoms is None else np.asarray(atoms, dtype=bool)
    sum_sq, max_abs, n_tail = stats.sum_sq[sel], stats.max_abs[sel], stats.n_tail[sel]
    n = stats.n_steps * sum_sq.shape[0]  # samples per axis
    rms_axis = 2.0 * np.sqrt(sum_sq.sum(0) / n)  # per axis, in half-widths
    max_axis = 2.0 * max_abs.max(0)
    tail_axis = n_tail.sum(0) / n
    worst, top = int(np.argmax(rms_axis)), int(np.argmax(max_axis))
    check = UnwrapCheck(
        rms_ratio=float(rms_axis[worst]),
        max_ratio=float(max_axis[top]),
        tail_fraction=float(tail_axis.max()),
        rms_A=float(rms_axis[worst] * h[worst]),
        max_A=float(max_axis[top] * h[top]),
        half_width_A=float(h[worst]),
        n_displacements=int(3 * n),
        continuous=continuous,
        reason="",
    )
    return _with_reason(check, source=source, species=species, max_half_width_A=h[top])


def _with_reason(
    c: UnwrapCheck, *, source: str, species: str, max_half_width_A: float
) -> UnwrapCheck:
    """``c`` with its one-line reason when it fails."""
    moved = (
        f"frame-to-frame displacement RMS {c.rms_A:.2f} Å, largest {c.max_A:.2f} Å, "
        f"half-width of the cell {c.half_width_A:.2f} Å"
    )
    where = f"{source}: {species}" if source else species
    if c.continuous:
        if c.max_ratio <= 1.0:
            return c
        why = (
            f"{where} moves {c.max_A:.2f} Å between two stored frames, more than "
            f"the half-width of the cell ({max_half_width_A:.2f} Å): implausible at "
            f"an MD stride (frames too far apart or corrupted positions; {moved})"
        )
    elif c.rms_ratio > MAX_RMS_RATIO or c.tail_fraction > MAX_TAIL_FRACTION:
        why = (
            f"{where} frames too far apart to unwrap ({moved}: RMS/half-width "
            f"{c.rms_ratio:.2f}, limit {MAX_RMS_RATIO:g}; {100 * c.tail_fraction:.2g} % "
            f"beyond {TAIL_AT:g} half-width, limit {100 * MAX_TAIL_FRACTION:.2g} %): "
            "the unwrapped MSD and D are biased"
        )
    else:
        return c
    return UnwrapCheck(**{**c.__dict__, "reason": why})
