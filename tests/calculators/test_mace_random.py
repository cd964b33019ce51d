"""The random MACE models: architecture of MPA-0, mace-tiny stable in MD."""

import numpy as np
import pytest
import torch
import torch_sim as ts

from ionmd.calculators import load_model

from .helpers import li3n_supercell

#: Matbench Discovery, models/mace/mace-mpa-0.yml: model_params of MACE-MPA-0.
MPA0_N_PARAMS = 9_063_204


@pytest.mark.slow
def test_mpa0_arch_has_the_parameter_count_of_mace_mpa_0():
    from ionmd.calculators.mace_models import build_random_mace, mace_architecture

    model = build_random_mace("mace-mpa0-arch", dtype=torch.float32)
    assert sum(p.numel() for p in model.parameters()) == MPA0_N_PARAMS
    arch = mace_architecture(model)
    assert arch["hidden_irreps"] == "128x0e+128x1o"
    assert arch["num_elements"] == "89" and arch["r_max"] == "6.0"


def _velocity_verlet(model, state, *, temperature_K, dt_fs, n_steps, seed):
    """Plain velocity Verlet written here (independent of the engine)."""
    kb = 8.617333262e-5  # eV/K
    acc = 9.648533212e-3  # eV/(Å amu) → Å/fs²
    mass = state.masses[:, None]
    rng = np.random.default_rng(seed)
    v = torch.tensor(rng.normal(size=(state.n_atoms, 3))) * torch.sqrt(
        kb * temperature_K * acc / mass
    )
    v = v - (mass * v).sum(0) / mass.sum()
    state = state.clone()
    out = model(state)
    forces = out["forces"]

    def kinetic():
        return 0.5 * (mass * v * v).sum().item() / acc

    e0 = out["energy"].item() + kinetic()
    temps, drifts, fmax = [], [], []
    for _ in range(n_steps):
        v = v + 0.5 * dt_fs * acc * forces / mass
        state.positions = state.positions + dt_fs * v
        out = model(state)
        forces = out["forces"]
        v = v + 0.5 * dt_fs * acc * forces / mass
        temps.append(2 * kinetic() / (3 * state.n_atoms * kb))
        drifts.append((out["energy"].item() + kinetic() - e0) / state.n_atoms)
        fmax.append(forces.abs().max().item())
    return np.array(temps), np.array(drifts), np.array(fmax)


@pytest.mark.parametrize(
    ("reps", "n_steps", "temperature_K"),
    [
        ((2, 2, 1), 25, 1200.0),
        pytest.param((3, 3, 3), 150, 1200.0, marks=pytest.mark.slow),
        pytest.param((3, 3, 3), 150, 800.0, marks=pytest.mark.slow),
    ],
)
def test_mace_tiny_md_of_li3n_does_not_explode(reps, n_steps, temperature_K):
    model = load_model("mace-tiny")
    state = ts.io.atoms_to_state(
        [li3n_supercell(reps, rattle_A=0.0)], device="cpu", dtype=torch.float64
    )
    temps, drifts, fmax = _velocity_verlet(
        model, state, temperature_K=temperature_K, dt_fs=2.0, n_steps=n_steps, seed=0
    )
    assert temps.max() < 2.5 * temperature_K
    assert np.abs(drifts).max() < 2e-3  # eV/atom: forces are the energy's gradient
    assert fmax.max() < 20.0  # eV/Å
    assert fmax.max() > 0.05  # the model does push atoms
