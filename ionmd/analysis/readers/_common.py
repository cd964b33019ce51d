"""Pieces shared by the readers: bounded frame collection and the final split
into mobile ions and framework."""

from __future__ import annotations

import numpy as np

from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.errors import InputError
from ionmd.numerics.com import masses_amu
from ionmd.numerics.unwrap import StreamingUnwrapper, to_cartesian
from ionmd.numerics.unwrap_check import DisplacementStats, check_unwrap

#: Frames kept in memory at most (after decimation) unless the caller asks otherwise.
DEFAULT_MAX_FRAMES = 5000


class FrameCollector:
    """Unwrap every frame as it streams in, keep every ``stride``-th one.

    When more than ``2 * max_frames`` frames are held, every other one is dropped
    and the stride doubles, so memory stays bounded for any trajectory length and
    the kept frames stay evenly spaced. ``frames()`` returns ``(K, N, 3)``
    unwrapped fractional coordinates and the stride (in input frames).
    """

    def __init__(self, *, max_frames: int = DEFAULT_MAX_FRAMES) -> None:
        if max_frames < 2:
            raise InputError("max_frames must be at least 2")
        self.max_frames = max_frames
        self.stride = 1
        self.n_seen = 0
        self.cell: np.ndarray | None = None
        self._unwrap = StreamingUnwrapper()
        self._kept: list[np.ndarray] = []

    def push(
        self,
        frac: np.ndarray,
        *,
        cell: np.ndarray | None = None,
        source: object = "",
        unit: str = "frames",
    ) -> None:
        """Add the next frame ``frac (N, 3)``; with ``cell (3, 3)``, refuse a cell
        that differs from the first frame's (NpT): :attr:`cell` keeps that one."""
        if cell is not None:
            if self.cell is None:
                self.cell = np.asarray(cell, dtype=float)
            elif not np.allclose(cell, self.cell, atol=1e-4):
                raise InputError(
                    f"{source}: the cell changes between {unit} (NpT); only "
                    "fixed-cell (NVT) trajectories are supported"
                )
        unwrapped = self._unwrap.push(frac)
        if self.n_seen % self.stride == 0:
            self._kept.append(unwrapped.copy())
            if len(self._kept) > 2 * self.max_frames:
                self._kept = self._kept[::2]
                self.stride *= 2
        self.n_seen += 1

    @property
    def displacements(self) -> DisplacementStats:
        """The minimum-image steps taken between consecutive *input* frames
        (before any decimation: that is the stride that was unwrapped)."""
        return self._unwrap.stats

    def frames(self) -> tuple[np.ndarray, int]:
        if not self._kept:
            return np.empty((0, 0, 3)), self.stride
        return np.stack(self._kept), self.stride


def build_trajectory(
    *,
    frac: np.ndarray,
    symbols: list[str],
    cell_A: np.ndarray,
    frame_interval_ps: float,
    temperature_K: float | None,
    material_id: str,
    source: str,
    mobile_species: str = "Li",
    meta: dict[str, object] | None = None,
    displacements: DisplacementStats | None = None,
) -> MobileTrajectory:
    """Split unwrapped fractional frames ``frac (F, N, 3)`` of all atoms into the
    mobile species and the framework, in Cartesian Å. ``displacements``: the
    steps the unwrapping took (:attr:`FrameCollector.displacements`), checked
    for frames too far apart (:func:`unwrap_meta`)."""
    symbols = list(symbols)
    if frac.ndim != 3 or frac.shape[1] != len(symbols):
        raise InputError(
            f"{source}: {len(symbols)} atoms declared but frames hold "
            f"{frac.shape[1] if frac.ndim == 3 else '?'}"
        )
    if temperature_K is None:
        raise InputError(
            f"{source}: the file does not state the temperature; pass --temperature-K"
        )
    cell_A = np.asarray(cell_A, dtype=float)
    if cell_A.shape != (3, 3) or not np.all(np.isfinite(cell_A)):
        raise InputError(f"{source}: the cell is missing or not finite")
    if not np.all(np.isfinite(frac)):
        raise InputError(f"{source}: non-finite atomic coordinates (NaN or inf)")
    is_mobile = np.array([s == mobile_species for s in symbols])
    if not is_mobile.any():
        raise InputError(
            f"{source}: no {mobile_species} atoms in the trajectory "
            f"(elements: {' '.join(sorted(set(symbols)))})"
        )
    with np.errstate(all="ignore"):
        cart = to_cartesian(frac=frac, cell_A=cell_A)
    if not np.all(np.isfinite(cart)):
        raise InputError(f"{source}: coordinates overflow (absurd values in the file)")
    time_ps = np.arange(frac.shape[0]) * frame_interval_ps
    formula = reduced_formula(symbols)
    if displacements is not None:
        meta = {
            **(meta or {}),
            **unwrap_meta(
                stats=displacements, cell_A=cell_A, atoms=is_mobile,
                source=source, species=mobile_species,
            ),
        }  # fmt: skip
    return MobileTrajectory(
        positions_A=cart[:, is_mobile],
        time_ps=time_ps,
        cell_A=cell_A,
        temperature_K=float(temperature_K),
        material_id=material_id,
        species=mobile_species,
        n_atoms=len(symbols),
        formula=formula,
        source=source,
        framework_positions_A=cart[:, ~is_mobile] if (~is_mobile).any() else None,
        framework_masses_amu=masses_amu([s for s in symbols if s != mobile_species]),
        meta=dict(meta or {}),
    )


def unwrap_meta(
    *,
    stats: DisplacementStats,
    cell_A: np.ndarray,
    atoms: np.ndarray | None,
    source: str,
    species: str,
    continuous: bool = False,
) -> dict[str, object]:
    """The trajectory's ``meta`` entries of the stride check
    (:func:`ionmd.numerics.unwrap_check.check_unwrap`): ``unwrap_check`` (what
    was measured) always, ``unwrap_unreliable`` (the one-line reason) when the
    frames were too far apart to unwrap: the analysis then keeps that
    temperature out of the Arrhenius fit and says why."""
    c = check_unwrap(
        stats=stats, cell_A=cell_A, atoms=atoms, continuous=continuous,
        source=source, species=species,
    )  # fmt: skip
    return {
        "unwrap_check": c.as_dict(),
        **({"unwrap_unreliable": c.reason} if c.reason else {}),
    }


def reduced_formula(symbols: list[str]) -> str:
    """Reduced formula, elements in order of first appearance (``Li10GeP2S12``)."""
    from ase.formula import Formula

    if not symbols:
        return ""
    return str(Formula.from_list(list(symbols)).reduce()[0])
