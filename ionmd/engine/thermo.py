"""Per-system kinetic temperature and Nosé–Hoover conserved energy, computed on
the device without a host read.

torch-sim's ``state.calc_kT()`` and ``nvt_nose_hoover_invariant`` check the
degrees of freedom with a Python ``if`` on a tensor and reduce with
``segment_reduce`` over ``bincount`` lengths: a device → host sync each call. We
count the degrees of freedom once (3N − 3 per system, as torch-sim's state does:
tests/engine keep a test on it) and reduce with ``index_add_`` over a host-known
number of systems, so recording thermodynamics never stalls the step loop. Same
formulas as torch-sim 0.6 (checked to float tolerance in tests/engine).
"""

from __future__ import annotations

import torch


class Thermo:
    """Thermodynamics of a batch whose atoms→systems map is fixed.

    Args:
        system_idx: ``(n_atoms,)`` system of each atom.
        n_systems: number of systems (a host int).
        dof: ``(n_systems,)`` degrees of freedom (torch-sim's count).
    """

    def __init__(
        self, *, system_idx: torch.Tensor, n_systems: int, dof: torch.Tensor
    ) -> None:
        self.system_idx = system_idx
        self.n_systems = int(n_systems)
        self.dof = dof

    @classmethod
    def of_state(cls, state: object, *, n_systems: int) -> Thermo:
        """From a torch-sim state (one host read here, at set-up, not per step)."""
        dof = state.get_number_of_degrees_of_freedom()  # type: ignore[attr-defined]
        return cls(system_idx=state.system_idx, n_systems=n_systems, dof=dof)  # type: ignore[attr-defined]

    def kinetic_energy_eV(self, state: object) -> torch.Tensor:
        p, m = state.momenta, state.masses  # type: ignore[attr-defined]
        per_atom = (p * p).sum(-1) / m
        out = torch.zeros(self.n_systems, dtype=per_atom.dtype, device=per_atom.device)
        return 0.5 * out.index_add_(0, self.system_idx, per_atom)

    def kT_eV(self, state: object) -> torch.Tensor:
        return 2.0 * self.kinetic_energy_eV(state) / self.dof

    def temperature_K(self, state: object) -> torch.Tensor:
        from torch_sim.units import MetalUnits

        return self.kT_eV(state) / float(MetalUnits.temperature)

    def conserved_energy_eV(self, state: object, *, kT: torch.Tensor) -> torch.Tensor:
        """torch-sim's ``nvt_nose_hoover_invariant``: E_pot + E_kin + chain terms."""
        c = state.chain  # type: ignore[attr-defined]
        e = state.energy + self.kinetic_energy_eV(state)  # type: ignore[attr-defined]
        e = (
            e
            + c.momenta[:, 0] ** 2 / (2 * c.masses[:, 0])
            + self.dof * kT * c.positions[:, 0]
        )
        for i in range(1, c.positions.shape[1]):
            e = e + c.momenta[:, i] ** 2 / (2 * c.masses[:, i]) + kT * c.positions[:, i]
        return e
