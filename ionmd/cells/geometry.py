"""What the cell stages compare: a structure's identity (sha256 of its geometry)
and a cell's volume against the experimental one."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


def geometry_sha256(atoms: Any) -> str:
    """sha256 of a structure's atomic numbers, positions and cell."""
    h = hashlib.sha256()
    for arr in (
        np.asarray(atoms.get_atomic_numbers(), dtype=np.int64),
        np.asarray(atoms.get_positions(), dtype=np.float64),
        np.asarray(atoms.cell[:], dtype=np.float64),
    ):
        h.update(repr(arr.shape).encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def volume_change_pct(*, experimental_cell: np.ndarray, cell: np.ndarray) -> float:
    """100 (V/V_exp − 1): the simulated cell's volume against the experimental."""
    v_exp = abs(np.linalg.det(np.asarray(experimental_cell, dtype=np.float64)))
    v = abs(np.linalg.det(np.asarray(cell, dtype=np.float64)))
    return float(100.0 * (v / v_exp - 1.0))
