"""The bootstrap over materials behind ``ionmd compare``: the MAE of absolute
log10 errors with its 95 % percentile interval, and the paired difference of two
models' MAEs over the materials both have."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: bootstrap resamples (over materials) and their seed
N_BOOTSTRAP = 2000
BOOTSTRAP_SEED = 0
#: fewer common materials than this: the bootstrap over materials has too few
#: distinct resamples (2 materials: 3 means) to tell two models apart
MIN_MATERIALS_TO_TELL_APART = 5


def bootstrap_mae(
    errors: Sequence[float], *, n: int = N_BOOTSTRAP, seed: int = BOOTSTRAP_SEED
) -> tuple[float | None, list[float | None]]:
    """MAE of absolute errors and its 95 % percentile interval (materials resampled
    with replacement); (None, [None, None]) when there are none."""
    e = np.asarray(errors, dtype=float)
    if e.size == 0:
        return None, [None, None]
    idx = np.random.default_rng(seed).integers(0, e.size, size=(n, e.size))
    means = e[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(e.mean()), [float(lo), float(hi)]


def bootstrap_difference(
    a: Mapping[str, float],
    b: Mapping[str, float],
    *,
    n: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """MAE(a) − MAE(b) over the materials both have, paired bootstrap interval."""
    common = sorted(set(a) & set(b))
    if not common:
        return {
            "n_materials": 0,
            "difference": None,
            "ci95": [None, None],
            "distinguishable": False,
            "too_few_materials": True,
        }
    d = np.array([a[k] - b[k] for k in common])
    mean, ci = bootstrap_mae(d, n=n, seed=seed)
    few = len(common) < MIN_MATERIALS_TO_TELL_APART
    return {
        "n_materials": len(common),
        "difference": mean,
        "ci95": ci,
        "distinguishable": not few and bool(ci[0] > 0 or ci[1] < 0),
        "too_few_materials": few,
    }


__all__ = [
    "BOOTSTRAP_SEED",
    "MIN_MATERIALS_TO_TELL_APART",
    "N_BOOTSTRAP",
    "bootstrap_difference",
    "bootstrap_mae",
]
