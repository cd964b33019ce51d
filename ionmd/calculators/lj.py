"""Lennard-Jones 12-6 pair potential (argon by default): for engine physics tests.

torch-sim's `LennardJonesModel` (energy not shifted at the cutoff) with positions
wrapped into the cell before the neighbour list; ASE's `LennardJones` as the
one-system reference (it shifts pair energies to zero at the cutoff, so energies
differ from torch-sim's by a constant per pair; forces agree).
"""

import torch
import torch_sim as ts
from ase.calculators.lj import LennardJones
from torch_sim.models.lennard_jones import LennardJonesModel

from ionmd.calculators._common import wrapped_positions

#: Argon (Rahman 1964 / common textbook values).
ARGON_SIGMA_A = 3.405
ARGON_EPSILON_EV = 0.0104
#: Cutoff in units of sigma.
ARGON_CUTOFF_SIGMA = 2.5


class WrappingLennardJones(LennardJonesModel):
    """torch-sim's LJ, its neighbour list fed positions wrapped into the cell."""

    def forward(self, state: ts.SimState, **kwargs: object) -> dict[str, torch.Tensor]:
        """Energy (n_systems,) and forces (n_atoms, 3); positions may be unwrapped."""
        wrapped = state.clone()
        wrapped.positions = wrapped_positions(state)
        return super().forward(wrapped, **kwargs)


def load_lj(
    *,
    device: torch.device,
    dtype: torch.dtype,
    sigma_A: float = ARGON_SIGMA_A,
    epsilon_eV: float = ARGON_EPSILON_EV,
    cutoff_A: float | None = None,
) -> WrappingLennardJones:
    """Torch-sim LJ model, stress off; cutoff None → 2.5 σ."""
    return WrappingLennardJones(
        sigma=sigma_A,
        epsilon=epsilon_eV,
        cutoff=cutoff_A if cutoff_A is not None else ARGON_CUTOFF_SIGMA * sigma_A,
        device=device,
        dtype=dtype,
        compute_forces=True,
        compute_stress=False,
    )


def lj_ase_calculator(
    *,
    sigma_A: float = ARGON_SIGMA_A,
    epsilon_eV: float = ARGON_EPSILON_EV,
    cutoff_A: float | None = None,
) -> LennardJones:
    """ASE's LJ with the same parameters (not smoothed; energy shifted at rc)."""
    rc = cutoff_A if cutoff_A is not None else ARGON_CUTOFF_SIGMA * sigma_A
    return LennardJones(sigma=sigma_A, epsilon=epsilon_eV, rc=rc, smooth=False)
