"""The framework's centre of mass: standard atomic masses and the mass-weighted
centre-of-mass displacement of a set of atoms, for the analysis (framework-relative
positions) and the VASP bridge (drift-corrected run files)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def masses_amu(symbols: Sequence[str]) -> np.ndarray | None:
    """Standard atomic masses of ``symbols`` (None if one is not an element)."""
    from ase.data import atomic_masses, atomic_numbers

    try:
        return np.array([atomic_masses[atomic_numbers[s]] for s in symbols])
    except KeyError:
        return None


def com_displacement_A(
    positions_A: np.ndarray, *, masses_amu: np.ndarray | None
) -> np.ndarray:
    """``(F, 3)`` the centre-of-mass displacement of ``positions_A (F, N, 3)`` since
    the first frame: mass-weighted when ``masses_amu (N,)`` fits, else the mean."""
    disp = positions_A - positions_A[:1]
    if masses_amu is None or len(masses_amu) != disp.shape[1]:
        return disp.mean(axis=1)
    w = np.asarray(masses_amu, dtype=np.float64)
    return np.einsum("fnd,n->fd", disp, w / w.sum())
