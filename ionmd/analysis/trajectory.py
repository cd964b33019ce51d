"""The one internal form every reader produces: :class:`MobileTrajectory`.

Positions are unwrapped Cartesian Å on a uniform time grid; the cell is fixed
(NVT) and given as row vectors (``cell_A[i]`` is the i-th lattice vector).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ionmd.errors import InputError
from ionmd.numerics.com import com_displacement_A


@dataclass(kw_only=True)
class MobileTrajectory:
    """Unwrapped trajectory of the mobile species of one (material, temperature).

    Shapes: ``positions_A (F, M, 3)`` unwrapped Cartesian Å of the M mobile ions;
    ``time_ps (F,)`` uniformly spaced; ``cell_A (3, 3)`` row vectors;
    ``framework_positions_A (F, N_fw, 3)`` unwrapped positions of all other atoms,
    or None when the source does not hold them (the engine file: its
    ``framework_msd_A2 (L,)`` on ``framework_lag_ps (L,)`` is given instead, and
    its positions are already relative to the framework's centre of mass);
    ``framework_masses_amu (N_fw,)`` their masses (None: unknown, equal weights).
    """

    positions_A: np.ndarray
    time_ps: np.ndarray
    cell_A: np.ndarray
    temperature_K: float
    material_id: str
    species: str = "Li"
    n_atoms: int = 0
    formula: str = ""
    source: str = ""
    framework_positions_A: np.ndarray | None = None
    framework_lag_ps: np.ndarray | None = None
    framework_msd_A2: np.ndarray | None = None
    framework_masses_amu: np.ndarray | None = None
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        pos = np.asarray(self.positions_A, dtype=np.float64)
        if pos.ndim != 3 or pos.shape[-1] != 3:
            raise InputError(
                f"{self.source or 'trajectory'}: positions must be (F, M, 3), "
                f"got {pos.shape}"
            )
        if pos.shape[1] == 0:
            raise InputError(f"{self.source or 'trajectory'}: no {self.species} atoms")
        if pos.shape[0] < 2:
            raise InputError(
                f"{self.source or 'trajectory'}: needs at least 2 frames, "
                f"got {pos.shape[0]}"
            )
        self.positions_A = pos
        self.time_ps = np.asarray(self.time_ps, dtype=np.float64)
        if self.time_ps.shape != (pos.shape[0],):
            raise InputError(
                f"{self.source}: time_ps has shape {self.time_ps.shape}, "
                f"expected ({pos.shape[0]},)"
            )
        steps = np.diff(self.time_ps)
        if np.any(steps <= 0) or not np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9):
            raise InputError(
                f"{self.source}: frames are not on a uniform increasing time grid"
            )
        self.cell_A = np.asarray(self.cell_A, dtype=np.float64).reshape(3, 3)
        if abs(np.linalg.det(self.cell_A)) < 1e-6:
            raise InputError(f"{self.source}: the cell is singular")
        if not np.isfinite(self.temperature_K) or self.temperature_K <= 0:
            raise InputError(
                f"{self.source}: temperature must be a positive number of K, "
                f"got {self.temperature_K}"
            )
        if self.framework_positions_A is not None:
            fw = np.asarray(self.framework_positions_A, dtype=np.float64)
            if fw.ndim != 3 or fw.shape[0] != pos.shape[0]:
                raise InputError(
                    f"{self.source}: framework positions have shape {fw.shape}"
                )
            self.framework_positions_A = fw if fw.shape[1] > 0 else None
        if self.n_atoms <= 0:
            n_fw = (
                0
                if self.framework_positions_A is None
                else self.framework_positions_A.shape[1]
            )
            self.n_atoms = pos.shape[1] + n_fw

    @property
    def n_frames(self) -> int:
        return int(self.positions_A.shape[0])

    @property
    def n_mobile(self) -> int:
        return int(self.positions_A.shape[1])

    @property
    def volume_A3(self) -> float:
        return float(abs(np.linalg.det(self.cell_A)))

    @property
    def frame_interval_ps(self) -> float:
        return float(self.time_ps[1] - self.time_ps[0])

    @property
    def duration_ps(self) -> float:
        return float(self.time_ps[-1] - self.time_ps[0])

    def framework_com_displacement_A(self) -> np.ndarray | None:
        """``(F, 3)`` the framework's centre-of-mass displacement since the first
        frame, mass-weighted when the masses are known; None without framework."""
        if self.framework_positions_A is None:
            return None
        return com_displacement_A(
            self.framework_positions_A, masses_amu=self.framework_masses_amu
        )

    def drift_corrected(self) -> MobileTrajectory:
        """Positions relative to the framework's centre of mass (the frame kinisi,
        pymatgen-analysis-diffusion and the study measure the ions in; total
        momentum is conserved, so the framework recoils against the ions and the
        MSD in the total-momentum frame is biased low); unchanged when no
        framework is held (engine files store framework-relative positions)."""
        drift = self.framework_com_displacement_A()
        if drift is None:
            return self
        return replace(
            self,
            positions_A=self.positions_A - drift[:, None, :],
            framework_positions_A=self.framework_positions_A - drift[:, None, :],
            meta={**self.meta, "drift_corrected": True},
        )

    def discard_start(self, *, discard_ps: float) -> MobileTrajectory:
        """Drop the frames before ``time_ps[0] + discard_ps`` (equilibration)."""
        if discard_ps <= 0:
            return self
        keep = self.time_ps >= self.time_ps[0] + discard_ps - 1e-9
        if keep.sum() < 2:
            from ionmd.analysis.skips import TooFewFramesError

            raise TooFewFramesError(
                f"{self.source}: discarding {discard_ps} ps leaves fewer than "
                f"2 frames of a {self.duration_ps:.3g} ps run"
            )
        fw = (
            None if self.framework_positions_A is None else self.framework_positions_A[keep]
        )
        return replace(
            self,
            positions_A=self.positions_A[keep],
            time_ps=self.time_ps[keep],
            framework_positions_A=fw,
        )
