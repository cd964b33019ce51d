"""The error of an NPT stage's means: the second half's mean volume and mean
lattice-vector lengths, each with the error of
:func:`ionmd.numerics.correlated_mean.mean_with_error` (±1 s.e. covers 68 %,
and a 95 % interval), or None and the reason where the half is too short to
say (docs/cells.md, "The error of a stage's mean volume").

campaign.json's NPT row records them (:func:`stage_error_fields`); a row from
before (without them) gets the same from its recorded volume series
(:func:`volume_error`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ionmd.numerics.correlated_mean import mean_with_error


def second_half(series: np.ndarray) -> np.ndarray:
    """The stage's second half (the part its mean cell and means are taken over)."""
    x = np.asarray(series, dtype=np.float64)
    return x[len(x) // 2 :]


def stage_error_fields(*, volume_A3: np.ndarray, lengths_A: np.ndarray) -> dict[str, Any]:
    """campaign.json's fields of a stage's means and their errors: volume (Å³)
    and the three lengths (Å) over the second half; None for a stage ended
    before its first sample."""
    if len(volume_A3) == 0:
        return {
            "mean_volume_A3": None,
            "volume_se_A3": None,
            "volume_ci95_A3": None,
            "volume_se_note": "no samples",
            "mean_lengths_A": None,
            "lengths_se_A": None,
            "lengths_se_note": None,
        }
    v = mean_with_error(second_half(volume_A3))
    axes = [mean_with_error(a) for a in second_half(lengths_A).reshape(-1, 3).T]
    return {
        "mean_volume_A3": v.mean,
        "volume_se_A3": v.se,
        "volume_ci95_A3": v.ci95,
        "volume_se_note": v.note,
        "mean_lengths_A": [a.mean for a in axes],
        "lengths_se_A": [a.se for a in axes],
        "lengths_se_note": [a.note for a in axes],
    }


def volume_error(row: dict[str, Any]) -> tuple[float | None, str | None]:
    """An NPT row's error of its mean volume (Å³) and, where None, why: recorded,
    or (a row from before it was) from its volume series."""
    if "volume_se_A3" in row:
        return row["volume_se_A3"], row.get("volume_se_note")
    if not row.get("volume_A3"):
        return None, "no samples"
    e = mean_with_error(second_half(row["volume_A3"]))
    return e.se, e.note
