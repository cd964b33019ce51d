"""The reference frame of the mobile-ion MSD: the framework's centre of mass.

The Nosé–Hoover step conserves total momentum, so when the mobile ions' centre
of mass wanders the framework (all other atoms) drifts the opposite way:
``M_mobile ΔR_mobile + M_fw ΔR_fw = 0``. kinisi, pymatgen-analysis-diffusion and
the study measure the ions relative to the framework; in the total-momentum
frame the tracer MSD is low by about ``(2c + c²) / (N_mobile · H_R)`` with
``c = M_mobile / M_fw``. The engine therefore samples (for its MSD and for the
stored frames) ``r_i(t) − [R_fw(t) − R_fw(0)]``, where ``R_fw`` is the
mass-weighted centre of mass of the framework of the atom's own system and
``t = 0`` the initial structure.
"""

from __future__ import annotations

import torch


def framework_com_A(
    *,
    positions: torch.Tensor,
    masses: torch.Tensor,
    system_idx: torch.Tensor,
    framework_mask: torch.Tensor,
    n_systems: int,
) -> torch.Tensor:
    """Mass-weighted centre of mass of each system's framework, ``(n_systems, 3)``
    float64 Å (zero for a system without framework atoms).

    ``positions (n_atoms, 3)`` unwrapped Å; ``masses (n_atoms,)`` amu;
    ``system_idx (n_atoms,)``; ``framework_mask (n_atoms,)`` True off the mobile
    species.
    """
    w = masses.to(torch.float64) * framework_mask.to(torch.float64)
    num = torch.zeros((n_systems, 3), dtype=torch.float64, device=positions.device)
    num.index_add_(0, system_idx, positions.to(torch.float64) * w[:, None])
    den = torch.zeros(n_systems, dtype=torch.float64, device=positions.device)
    den.index_add_(0, system_idx, w)
    return torch.where(den[:, None] > 0, num / den.clamp_min(1e-300)[:, None], 0.0)


class FrameworkFrame:
    """Shifts positions into the frame of each system's framework centre of mass.

    Args:
        positions0: ``(n_atoms, 3)`` the initial structure (the origin of the
            displacement; rebuilt identically on resume).
        masses, system_idx, framework_mask, n_systems: as in
            :func:`framework_com_A`.
    """

    def __init__(
        self,
        *,
        positions0: torch.Tensor,
        masses: torch.Tensor,
        system_idx: torch.Tensor,
        framework_mask: torch.Tensor,
        n_systems: int,
    ) -> None:
        self._set(
            masses=masses,
            system_idx=system_idx,
            framework_mask=framework_mask,
            n_systems=n_systems,
        )
        self.com0 = self._com(positions0)

    def _set(
        self,
        *,
        masses: torch.Tensor,
        system_idx: torch.Tensor,
        framework_mask: torch.Tensor,
        n_systems: int,
    ) -> None:
        self.masses, self.system_idx = masses, system_idx
        self.framework_mask, self.n_systems = framework_mask, int(n_systems)

    def _com(self, positions: torch.Tensor) -> torch.Tensor:
        return framework_com_A(
            positions=positions,
            masses=self.masses,
            system_idx=self.system_idx,
            framework_mask=self.framework_mask,
            n_systems=self.n_systems,
        )

    def displacement_A(self, positions: torch.Tensor) -> torch.Tensor:
        """``(n_systems, 3)`` float64: R_fw(t) − R_fw(0) of each system."""
        return self._com(positions) - self.com0

    def relative(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(positions − shift[system_idx], shift)``: positions ``(n_atoms, 3)``
        (their dtype) relative to the framework, and the shift ``(n_systems, 3)``."""
        shift = self.displacement_A(positions)
        rel = positions.to(torch.float64) - shift[self.system_idx]
        return rel.to(positions.dtype), shift

    def select(
        self,
        keep: torch.Tensor,
        *,
        masses: torch.Tensor,
        system_idx: torch.Tensor,
        framework_mask: torch.Tensor,
    ) -> None:
        """Keep the systems where ``keep (n_systems,)`` is True; the other
        arguments describe the batch after the drop."""
        self.com0 = self.com0[keep]
        self._set(
            masses=masses,
            system_idx=system_idx,
            framework_mask=framework_mask,
            n_systems=int(keep.sum()),
        )
