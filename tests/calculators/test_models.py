"""Models by name: wrapping invariance, batching, agreement with ASE calculators."""

import numpy as np
import pytest
import torch
import torch_sim as ts

from ionmd.calculators import load_ase_calculator, load_model
from ionmd.structures.builders import argon_fcc

from .helpers import li3n_supercell

#: Same model, same float64 arithmetic, different graph code: round-off only.
TOL_F64 = 1e-9
#: float32 arithmetic (SevenNet's ASE calculator is float32 only), eV/Å.
TOL_F32 = 2e-4


def _state(atoms_list, dtype=torch.float64):
    return ts.io.atoms_to_state(list(atoms_list), device="cpu", dtype=dtype)


def _shift_by_lattice_vectors(state, *, seed: int = 0):
    """Copy of `state` with each atom moved by a random lattice vector (-3..3 cells)."""
    rng = np.random.default_rng(seed)
    n = torch.tensor(rng.integers(-3, 4, size=(state.n_atoms, 3)), dtype=state.dtype)
    cells = state.row_vector_cell[state.system_idx]  # (n_atoms, 3, 3), rows = vectors
    shifted = state.clone()
    shifted.positions = state.positions + torch.einsum("ai,aij->aj", n, cells)
    return shifted


@pytest.fixture(scope="module")
def tiny():
    return load_model("mace-tiny")


@pytest.fixture(scope="module")
def sevennet():
    return load_model("sevennet-0", dtype=torch.float64)


@pytest.fixture(scope="module")
def sevennet32():
    return load_model("sevennet-0", dtype=torch.float32)


@pytest.fixture(scope="module")
def lj():
    return load_model("lj")


@pytest.fixture(scope="module")
def structures():
    """Two rattled Li3N cells (16 and 12 atoms; c is shorter than the cutoffs)."""
    return [li3n_supercell((2, 2, 1), seed=1), li3n_supercell((3, 1, 1), seed=2)]


def test_default_dtype_is_float64_on_cpu(tiny, lj):
    assert tiny.dtype == torch.float64
    assert lj.dtype == torch.float64
    assert not tiny.compute_stress
    assert not lj.compute_stress


@pytest.mark.parametrize("name", ["tiny", "sevennet"])
def test_forces_do_not_depend_on_wrapping(name, request, structures):
    model = request.getfixturevalue(name)
    wrapped = _state(structures)
    shifted = _shift_by_lattice_vectors(wrapped)
    moved = (shifted.positions - wrapped.positions).norm(dim=1)
    assert moved.max() > 10.0  # atoms really left the cell
    out_w, out_s = model(wrapped), model(shifted)
    scale = out_w["forces"].abs().max().item()
    assert scale > 1e-3  # a rattled cell has non-trivial forces
    torch.testing.assert_close(
        out_s["forces"], out_w["forces"], atol=TOL_F64 * max(1, scale), rtol=0
    )
    torch.testing.assert_close(out_s["energy"], out_w["energy"], atol=1e-8, rtol=0)


def test_lj_forces_do_not_depend_on_wrapping(lj):
    atoms = argon_fcc(n_cells=3)
    atoms.rattle(stdev=0.1, seed=4)
    wrapped = _state([atoms])
    shifted = _shift_by_lattice_vectors(wrapped, seed=5)
    out_w, out_s = lj(wrapped), lj(shifted)
    assert out_w["forces"].abs().max() > 1e-3
    torch.testing.assert_close(out_s["forces"], out_w["forces"], atol=TOL_F64, rtol=0)
    torch.testing.assert_close(out_s["energy"], out_w["energy"], atol=TOL_F64, rtol=0)


@pytest.mark.parametrize("name", ["tiny", "sevennet"])
def test_batch_equals_systems_alone(name, request, structures):
    model = request.getfixturevalue(name)
    batched = model(_state(structures))
    start = 0
    for i, atoms in enumerate(structures):
        alone = model(_state([atoms]))
        stop = start + len(atoms)
        torch.testing.assert_close(
            batched["forces"][start:stop], alone["forces"], atol=TOL_F64, rtol=0
        )
        torch.testing.assert_close(
            batched["energy"][i], alone["energy"][0], atol=1e-8, rtol=0
        )
        start = stop


def test_mace_tiny_matches_mace_ase_calculator(tiny, structures):
    calc = load_ase_calculator("mace-tiny", dtype=torch.float64)
    out = tiny(_state(structures))
    start = 0
    for i, atoms in enumerate(structures):
        atoms = atoms.copy()
        atoms.calc = calc
        stop = start + len(atoms)
        np.testing.assert_allclose(
            out["forces"][start:stop].numpy(), atoms.get_forces(), atol=TOL_F64, rtol=0
        )
        np.testing.assert_allclose(
            out["energy"][i].item(), atoms.get_potential_energy(), atol=1e-8, rtol=0
        )
        start = stop


def test_sevennet_matches_sevenn_ase_calculator(sevennet32, structures):
    model32 = sevennet32
    calc = load_ase_calculator("sevennet-0")
    out = model32(_state(structures, dtype=torch.float32))
    start = 0
    for i, atoms in enumerate(structures):
        atoms = atoms.copy()
        atoms.calc = calc
        stop = start + len(atoms)
        forces = atoms.get_forces()
        assert np.abs(forces).max() > 0.1  # SevenNet-0 on rattled Li3N: real forces
        np.testing.assert_allclose(
            out["forces"][start:stop].numpy(), forces, atol=TOL_F32, rtol=0
        )
        energy = atoms.get_potential_energy()
        assert -6.0 < energy / len(atoms) < -3.0  # Li3N ≈ -4.5 eV/atom in PBE (MP)
        np.testing.assert_allclose(
            out["energy"][i].item(), energy, atol=1e-5 * len(atoms), rtol=0
        )
        start = stop


@pytest.mark.slow
def test_sevennet_float64_close_to_float32(sevennet, sevennet32, structures):
    model32 = sevennet32
    f64 = sevennet(_state(structures))["forces"]
    f32 = model32(_state(structures, dtype=torch.float32))["forces"]
    assert f64.dtype == torch.float64
    torch.testing.assert_close(f32.double(), f64, atol=TOL_F32, rtol=0)


def test_lj_matches_ase_lennard_jones(lj):
    atoms = argon_fcc(n_cells=3)
    assert len(atoms) == 108
    atoms.rattle(stdev=0.1, seed=6)
    out = lj(_state([atoms]))
    atoms.calc = load_ase_calculator("lj")
    np.testing.assert_allclose(
        out["forces"].numpy(), atoms.get_forces(), atol=TOL_F64, rtol=0
    )


def test_lj_parameters_reach_the_model():
    atoms = argon_fcc(n_cells=3)
    atoms.rattle(stdev=0.1, seed=7)
    state = _state([atoms])
    base = load_model("lj")(state)
    doubled = load_model("lj", epsilon_eV=2 * 0.0104)(state)
    # forces scale linearly with epsilon
    torch.testing.assert_close(doubled["forces"], 2 * base["forces"], atol=TOL_F64, rtol=0)


def test_lj_perfect_fcc_has_zero_forces_and_textbook_energy(lj):
    atoms = argon_fcc(n_cells=3)
    out = lj(_state([atoms]))
    assert out["forces"].abs().max() < 1e-10
    # Independent reference: lattice sum over all pairs inside 2.5 σ, done here in numpy.
    from ase.neighborlist import neighbor_list

    sigma, eps = 3.405, 0.0104
    d = neighbor_list("d", atoms, 2.5 * sigma)
    expected = 0.5 * np.sum(4 * eps * ((sigma / d) ** 12 - (sigma / d) ** 6))
    np.testing.assert_allclose(out["energy"].item(), expected, rtol=1e-10)
