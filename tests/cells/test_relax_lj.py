"""The batched relaxation against an independent answer: fcc argon with
torch-sim's LJ as ionmd loads it (truncated at 2.5 σ, energy not shifted: the
forces and stress are the derivatives of the plain truncated sum), whose 0 K
lattice constant is the minimum of the fcc lattice sum over the neighbours
inside the cutoff, found here with scipy; and batch invariance."""

import numpy as np
import pytest
import torch
from ase.build import bulk
from scipy.optimize import minimize_scalar

from ionmd.calculators import load_model
from ionmd.calculators.lj import ARGON_CUTOFF_SIGMA, ARGON_EPSILON_EV, ARGON_SIGMA_A
from ionmd.cells.relax import relax_structures
from ionmd.cells.settings import CellSettings

TIGHT = CellSettings(
    cell="relaxed", relax_fmax_eV_A=1e-5, relax_stress_GPa=1e-5, relax_max_steps=3000
)


def fcc_energy_per_atom_eV(a_A: float) -> float:
    """Truncated LJ lattice sum of fcc with conventional lattice constant a."""
    sig, eps = ARGON_SIGMA_A, ARGON_EPSILON_EV
    rc = ARGON_CUTOFF_SIGMA * sig
    g = np.arange(-5, 6)
    basis = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cells = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 1, 3)
    r = np.linalg.norm((cells + basis).reshape(-1, 3) * a_A, axis=1)
    r = r[(r > 1e-9) & (r < rc)]
    return float(0.5 * np.sum(4 * eps * ((sig / r) ** 12 - (sig / r) ** 6)))


def analytic_fcc_a_A() -> float:
    res = minimize_scalar(
        fcc_energy_per_atom_eV,
        bounds=(5.0, 5.6),
        method="bounded",
        options={"xatol": 1e-12},
    )
    a0 = float(res.x)
    # the shells next to the cutoff (√5 and √6 × a/√2) stay on their sides
    # within 1.5 % of the minimum: the sum is smooth there, the minimum a true one
    rc = ARGON_CUTOFF_SIGMA * ARGON_SIGMA_A
    assert np.sqrt(5 / 2) * 1.015 * a0 < rc < np.sqrt(6 / 2) * 0.985 * a0
    return a0


@pytest.fixture(scope="module")
def lj():
    return load_model("lj", device="cpu", dtype=torch.float64)


def argon(a_A: float, *, rattle: float = 0.0, seed: int = 0):
    atoms = bulk("Ar", "fcc", a=a_A, cubic=True).repeat((2, 2, 2))
    if rattle:
        atoms.rattle(rattle, seed=seed)
    return atoms


def test_relaxed_lattice_constant_is_the_analytic_minimum(lj):
    a0 = analytic_fcc_a_A()
    (stretched, compressed) = relax_structures(
        [argon(5.45), argon(5.10, rattle=0.02, seed=1)], model=lj, settings=TIGHT
    )
    for r in (stretched, compressed):
        assert r.converged
        a = np.cbrt(r.atoms.get_volume() / 8)  # 2×2×2 conventional cells
        assert a == pytest.approx(a0, rel=1e-4)
    # the unrattled crystal stays cubic
    cell = stretched.atoms.cell[:]
    assert np.allclose(cell, np.diag(np.diag(cell)), atol=1e-9)


def test_relaxation_is_batch_invariant(lj):
    target = argon(5.12, rattle=0.03, seed=3)
    alone = relax_structures([target], model=lj, settings=TIGHT)[0]
    others = [argon(5.45), target, argon(5.3, rattle=0.05, seed=4)]
    inside = relax_structures(others, model=lj, settings=TIGHT)[1]
    assert inside.n_steps == alone.n_steps
    assert np.allclose(inside.atoms.positions, alone.atoms.positions, rtol=0, atol=1e-7)
    assert np.allclose(inside.atoms.cell[:], alone.atoms.cell[:], rtol=0, atol=1e-7)


def test_not_converged_is_reported(lj):
    few = CellSettings(
        cell="relaxed", relax_fmax_eV_A=1e-6, relax_stress_GPa=1e-6, relax_max_steps=3
    )
    (r,) = relax_structures([argon(5.45)], model=lj, settings=few)
    assert not r.converged and r.n_steps == 3


def test_stress_is_switched_back_off(lj):
    relax_structures([argon(5.3)], model=lj, settings=TIGHT)
    assert lj._compute_stress is False
