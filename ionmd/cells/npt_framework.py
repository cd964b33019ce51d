"""Melting in the NPT stage by the framework's motion: the rule the NVT runs are
judged by (:func:`ionmd.analysis.reliability.is_framework_mobile`: the
framework's tracer MSD reached ``FRAMEWORK_MSD_THRESHOLD_A2`` and still grows by
as much per ``FRAMEWORK_REFERENCE_PS``), applied to the stage's series.

The MSD is each framework atom's displacement from its position at the
stage's start, in the frame of its system's framework centre of mass (as the
engine's). The cell changes during the stage, and scaling the cell carries every
atom with it (an atom 10 Å from the origin moves 0.13 Å when the volume grows by
4 %) without it leaving its site: the displacement is taken in fractional
coordinates, unwrapped between samples (minimum image: no atom moves half a
cell in one sample interval; :class:`ionmd.numerics.unwrap.StreamingUnwrapper`),
and turned into Å with the current cell, so only
motion relative to the lattice counts.

The growth is the slope of the MSD against time over the stage's second half
(a crystal's MSD is flat there after its first vibrational rise; a liquid's
grows at 6D) × 100 ps, the NVT rule's ``framework_growth_A2``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from ionmd.analysis.reliability import (
    FRAMEWORK_MSD_THRESHOLD_A2,
    framework_growth_A2,
    is_framework_mobile,
)
from ionmd.numerics.unwrap import StreamingUnwrapper

#: how every melting reason of the NPT stage begins (the volume running away,
#: :mod:`ionmd.cells.npt`; the framework moving, here): :func:`is_stage_melt`
STAGE_MELT = "melting during the NPT stage"


def is_stage_melt(reason: str | None) -> bool:
    """True when a stage's ``failed`` reason is melting (not a blow-up): the
    adaptive protocol then treats it as an NVT melt (``melted``)."""
    return bool(reason) and str(reason).startswith(STAGE_MELT)


def _fractional(st: Any) -> np.ndarray:
    """Fractional coordinates ``(n_atoms, 3)``, float64: r = s h (h row vectors)."""
    h = st.row_vector_cell.detach().to(torch.float64)
    inv = torch.linalg.inv(h)[st.system_idx]
    s = torch.einsum("ai,aij->aj", st.positions.detach().to(torch.float64), inv)
    return s.cpu().numpy()


class FrameworkMsd:
    """Every system's framework MSD (Å²) from the stage's start, sample by sample."""

    def __init__(self, st: Any, *, framework: torch.Tensor) -> None:
        self._idx = st.system_idx.detach().cpu().numpy()
        self._n = int(st.n_systems)
        self._fw = framework.detach().cpu().numpy().astype(np.float64)
        self._w = st.masses.detach().to(torch.float64).cpu().numpy() * self._fw
        self._unwrap = StreamingUnwrapper()
        self._start = self._unwrap.push(_fractional(st)).copy()

    def state_dict(self) -> dict[str, Any]:
        """The start and the unwrapping's state (a checkpoint's copy)."""
        u = self._unwrap
        return {"start": self._start, "last": u._last, "unwrapped": u._unwrapped}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self._start = saved["start"]
        self._unwrap._last, self._unwrap._unwrapped = saved["last"], saved["unwrapped"]

    def select(self, *, keep: np.ndarray, atoms: np.ndarray) -> None:
        """Only the systems ``keep`` (indices, ascending) and their ``atoms``
        (boolean mask over the atoms)."""
        remap = np.full(self._n, -1)
        remap[keep] = np.arange(len(keep))
        self._idx = remap[self._idx[atoms]]
        self._n = len(keep)
        self._fw, self._w, self._start = self._fw[atoms], self._w[atoms], self._start[atoms]
        u = self._unwrap
        if u._last is not None and u._unwrapped is not None:
            u._last, u._unwrapped = u._last[atoms], u._unwrapped[atoms]
        st = u.stats  # per-atom sums (the stage reads none of them)
        for name in ("sum_sq", "max_abs", "n_tail"):
            value = getattr(st, name)
            if value is not None:
                setattr(st, name, value[atoms])

    def _per_system(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros((self._n, *x.shape[1:]))
        np.add.at(out, self._idx, x)
        return out

    def sample(self, st: Any) -> np.ndarray:
        """``(n_systems,)`` framework MSD now (NaN for a system without framework)."""
        ds = self._unwrap.push(_fractional(st)) - self._start
        h = st.row_vector_cell.detach().to(torch.float64).cpu().numpy()[self._idx]
        dr = np.einsum("ai,aij->aj", ds, h)
        mass = self._per_system(self._w)
        with np.errstate(invalid="ignore", divide="ignore"):
            com = self._per_system(self._w[:, None] * dr) / mass[:, None]
            sq = ((dr - np.nan_to_num(com)[self._idx]) ** 2).sum(-1) * self._fw
            return self._per_system(sq) / self._per_system(self._fw)


def framework_melt_reason(*, time_ps: np.ndarray, msd_A2: np.ndarray) -> str | None:
    """Why a system's stage ends as melting by its framework's motion, or None."""
    t = np.asarray(time_ps, dtype=np.float64)
    msd = np.asarray(msd_A2, dtype=np.float64)
    if t.size == 0 or not np.isfinite(msd).any():
        return None
    level = float(np.nanmax(msd))
    growth = framework_growth_A2(lag_ps=t, framework_msd_A2=msd, fit_start_ps=t[-1] / 2)
    if not is_framework_mobile(framework_msd_max_A2=level, framework_growth_A2=growth):
        return None
    grows = "" if growth is None else f" and grows {growth:.1f} Å² per 100 ps"
    return (
        f"{STAGE_MELT}: framework MSD {level:.1f} Å² ≥ "
        f"{FRAMEWORK_MSD_THRESHOLD_A2:g} Å²{grows} by {t[-1]:.3g} ps"
    )


def with_framework_verdict(results: list[Any], *, msd_A2: np.ndarray) -> list[Any]:
    """The stage's results (``NptResult``) with their framework MSD series
    (``msd_A2 (n_systems, n_samples)``, cut where a series ends), and those not
    already ended (volume running away) ended when their framework moves."""
    out = []
    for r, msd in zip(results, msd_A2, strict=True):
        msd = msd[: len(r.time_ps)]
        failed = r.failed or framework_melt_reason(time_ps=r.time_ps, msd_A2=msd)
        out.append(dataclasses.replace(r, framework_msd_A2=msd, failed=failed))
    return out
