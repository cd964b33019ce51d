"""Per-system seeds and Maxwell–Boltzmann momenta.

torch-sim's ``nvt_nose_hoover_init`` draws the momenta of the whole batch from
one generator, so a system's start depends on which systems share its batch
(measured: ~1 in momentum at step 0; see NOTES.md). ionmd seeds every system on
its own, from the run seed, the material and the temperature, and draws its
momenta on the CPU in float64: the start is then the same alone or batched, on
any device, and after a resume.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch


def system_seed(*, run_seed: int, material_id: str, temperature_K: float) -> int:
    """A 63-bit seed that depends only on (run seed, material, temperature)."""
    text = f"{int(run_seed)}|{material_id}|{float(temperature_K):.6f}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def maxwell_boltzmann_momenta(
    *, masses_amu: np.ndarray, temperature_K: float, seed: int
) -> np.ndarray:
    """Momenta (n_atoms, 3) in amu·Å/ps... in torch-sim's internal units.

    Drawn from the Maxwell–Boltzmann distribution at ``temperature_K``, total
    momentum removed, then scaled so the kinetic temperature with 3N − 3 degrees
    of freedom equals ``temperature_K`` exactly.

    Args:
        masses_amu: ``(n_atoms,)`` masses.
        temperature_K: target temperature.
        seed: the system's own seed (:func:`system_seed`).
    """
    from torch_sim.units import MetalUnits

    masses = np.asarray(masses_amu, dtype=np.float64)
    n = masses.shape[0]
    kT = float(temperature_K) * float(MetalUnits.temperature)  # eV
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    z = torch.randn((n, 3), generator=gen, dtype=torch.float64).numpy()
    p = z * np.sqrt(masses * kT)[:, None]
    if n > 1:
        p -= masses[:, None] * (p.sum(axis=0) / masses.sum())[None, :]
        dof = 3 * n - 3
        ke = 0.5 * float((p * p / masses[:, None]).sum())
        if ke > 0:
            p *= np.sqrt(0.5 * dof * kT / ke)
    return p
