"""Per-system fault detection: a system that goes wrong leaves the batch, the
others carry on unchanged (their trajectories do not depend on the batch).

Checked every ``check_every`` steps and before every flush, so everything
written to the run file was checked first. One small device → host copy per
check (a flag and a number per system).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ionmd.fileformat import RunFileWriter, SystemUpdate
from ionmd.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class FaultLimits:
    """What counts as a failed system.

    - non-finite forces, positions or energy;
    - an atom moving more than ``max_step_displacement_A`` per step on average
      between two checks (thermal Li at 1200 K moves ~0.04 Å per 2 fs step);
    - the kinetic temperature above ``max_temperature_factor`` × its target.
    """

    max_step_displacement_A: float = 1.0
    max_temperature_factor: float = 3.0


class FaultDetector:
    """Compares the batch with its state at the previous check."""

    def __init__(self, *, limits: FaultLimits, positions: torch.Tensor, step: int) -> None:
        self.limits = limits
        self._last_positions = positions.detach().clone()
        self._last_step = step

    def check(
        self,
        *,
        step: int,
        positions: torch.Tensor,
        forces: torch.Tensor,
        momenta: torch.Tensor,
        energy: torch.Tensor,
        system_idx: torch.Tensor,
        n_systems: int,
        temperature_K: torch.Tensor,
        target_K: torch.Tensor,
    ) -> dict[int, str]:
        """``{system index: reason}`` for the systems that failed since the last
        check (empty when all is well)."""
        finite = (
            torch.isfinite(positions).all(1)
            & torch.isfinite(forces).all(1)
            & torch.isfinite(momenta).all(1)
        )
        bad_atoms = torch.zeros(n_systems, dtype=torch.long, device=positions.device)
        bad_atoms.index_add_(0, system_idx, (~finite).long())
        n_steps = max(1, step - self._last_step)
        disp = (positions - self._last_positions).norm(dim=1)
        disp = torch.where(torch.isfinite(disp), disp, torch.zeros_like(disp))
        max_disp = torch.zeros(n_systems, dtype=disp.dtype, device=disp.device)
        max_disp = max_disp.scatter_reduce(0, system_idx, disp, reduce="amax")
        summary = (
            torch.stack(
                [
                    bad_atoms.to(disp.dtype),
                    (~torch.isfinite(energy)).to(disp.dtype),
                    max_disp,
                    temperature_K.to(disp.dtype),
                    target_K.to(disp.dtype),
                ]
            )
            .cpu()
            .numpy()
        )
        failed: dict[int, str] = {}
        lim = self.limits
        for i in range(n_systems):
            n_bad, e_bad, d, t, t0 = summary[:, i]
            if n_bad > 0 or e_bad > 0:
                failed[i] = (
                    f"non-finite forces or positions ({int(n_bad)} atoms) by step {step}"
                )
            elif d > lim.max_step_displacement_A * n_steps:
                failed[i] = (
                    f"an atom moved {d:.2f} Å in {n_steps} steps by step {step} "
                    f"(limit {lim.max_step_displacement_A} Å per step)"
                )
            elif not (t <= lim.max_temperature_factor * t0):
                failed[i] = (
                    f"temperature ran away to {t:.0f} K (target {t0:.0f} K) by step {step}"
                )
        self._last_positions = positions.detach().clone()
        self._last_step = step
        return failed

    def check_state(
        self, state: object, *, step: int, thermo: Any, kT: torch.Tensor, n_systems: int
    ) -> dict[int, str]:
        """:meth:`check` on a batched NH state (``thermo``: its
        :class:`~ionmd.engine.thermo.Thermo`; ``kT (n_systems,)`` targets, eV)."""
        from torch_sim.units import MetalUnits

        st: Any = state
        return self.check(
            step=step,
            positions=st.positions,
            forces=st.forces,
            momenta=st.momenta,
            energy=st.energy,
            system_idx=st.system_idx,
            n_systems=n_systems,
            temperature_K=thermo.temperature_K(st),
            target_K=kT / float(MetalUnits.temperature),
        )

    def select(self, keep_atoms: torch.Tensor) -> None:
        self._last_positions = self._last_positions[keep_atoms]


def record_failures(
    writer: RunFileWriter, *, keys: Sequence[str], failed: Mapping[int, str]
) -> None:
    """Write each failed system's status and reason (``failed``: batch index ->
    reason) and say so; the caller takes them out of the batch."""
    writer.write(
        [
            SystemUpdate(key=keys[i], status="failed", failure_reason=why)
            for i, why in failed.items()
        ]
    )
    for i, why in failed.items():
        log.info(f"{keys[i]} failed: {why}; the rest of the batch carries on")
