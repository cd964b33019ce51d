"""CHGNet through ionmd's batched torch-sim model: batching, wrapping, agreement
with chgnet's own ASE calculator, names, versions, element coverage."""

import sys

import numpy as np
import pytest
import torch
import torch_sim as ts

from ionmd.calculators import load_ase_calculator, load_model, model_info
from ionmd.errors import ModelLoadError

from .helpers import li3n_supercell

pytest.importorskip("chgnet")


def _state(atoms_list, dtype=torch.float64):
    return ts.io.atoms_to_state(list(atoms_list), device="cpu", dtype=dtype)


@pytest.fixture(scope="module")
def chgnet64():
    return load_model("chgnet", dtype=torch.float64)


@pytest.fixture(scope="module")
def structures():
    """Two different rattled Li3N cells (32 and 12 atoms)."""
    return [li3n_supercell((2, 2, 2), seed=1), li3n_supercell((3, 1, 1), seed=2)]


def test_batch_of_different_systems_equals_each_alone(chgnet64, structures):
    batched = chgnet64(_state(structures))
    assert batched["energy"].shape == (2,)
    assert batched["forces"].shape == (44, 3)
    start = 0
    for i, atoms in enumerate(structures):
        alone = chgnet64(_state([atoms]))
        stop = start + len(atoms)
        torch.testing.assert_close(
            batched["forces"][start:stop], alone["forces"], atol=1e-10, rtol=0
        )
        torch.testing.assert_close(
            batched["energy"][i], alone["energy"][0], atol=1e-9, rtol=0
        )
        start = stop


def test_forces_do_not_depend_on_wrapping(chgnet64, structures):
    state = _state(structures)
    shifted = state.clone()
    rng = np.random.default_rng(3)
    n = torch.tensor(rng.integers(-2, 3, size=(state.n_atoms, 3)), dtype=torch.float64)
    cells = state.row_vector_cell[state.system_idx]
    shifted.positions = state.positions + torch.einsum("ai,aij->aj", n, cells)
    assert (shifted.positions - state.positions).norm(dim=1).max() > 5.0
    out, out_s = chgnet64(state), chgnet64(shifted)
    assert out["forces"].abs().max() > 1e-2
    torch.testing.assert_close(out_s["forces"], out["forces"], atol=1e-9, rtol=0)
    torch.testing.assert_close(out_s["energy"], out["energy"], atol=1e-9, rtol=0)


@pytest.fixture
def chgnet_in_float64(monkeypatch):
    """chgnet's own ASE calculator with its graph tensors in float64 (chgnet
    hard-codes float32 in module constants) and its composition features cast."""
    import chgnet.graph.converter
    import chgnet.graph.crystalgraph
    import chgnet.model.model

    from ionmd.calculators.chgnet import composition_in_dtype

    for module in (chgnet.graph.converter, chgnet.graph.crystalgraph, chgnet.model.model):
        monkeypatch.setattr(module, "TORCH_DTYPE", torch.float64)
    calc = load_ase_calculator("chgnet")
    calc.model = calc.model.to(torch.float64)
    composition_in_dtype(calc.model, torch.float64)
    return calc


def test_matches_chgnet_ase_calculator_in_float64(chgnet64, structures, chgnet_in_float64):
    # unwrapped positions on the batched side, wrapped on the calculator's
    out = chgnet64(_state(structures))
    start = 0
    for i, atoms in enumerate(structures):
        atoms = atoms.copy()
        atoms.calc = chgnet_in_float64
        n = len(atoms)
        e_ref = atoms.get_potential_energy()
        assert abs(out["energy"][i].item() - e_ref) / n < 1e-8  # eV/atom (issue: 1e-5)
        np.testing.assert_allclose(
            out["forces"][start : start + n].numpy(), atoms.get_forces(), atol=1e-7, rtol=0
        )  # eV/Å (issue: 1e-4)
        start += n


def test_float32_matches_the_stock_float32_calculator(structures):
    model = load_model("chgnet", dtype=torch.float32)
    calc = load_ase_calculator("chgnet")
    out = model(_state(structures, dtype=torch.float32))
    start = 0
    for i, atoms in enumerate(structures):
        atoms = atoms.copy()
        atoms.calc = calc
        n = len(atoms)
        assert abs(out["energy"][i].item() - atoms.get_potential_energy()) / n < 1e-5
        np.testing.assert_allclose(
            out["forces"][start : start + n].numpy(), atoms.get_forces(), atol=1e-3, rtol=0
        )
        start += n


def test_names_info_and_coverage(chgnet64):
    from ionmd.campaign.model_loader import supported_numbers

    info = model_info("chgnet")
    assert info["model_name"] == "chgnet"
    assert info["model_version"].startswith("chgnet 0.")
    assert "CHGNet 0.3.0" in info["model_version"] and "sha256:" in info["model_version"]
    assert model_info("chgnet:r2scan")["model_name"] == "chgnet:r2scan"
    with pytest.raises(ModelLoadError, match="valid: chgnet:0.3.0"):
        model_info("chgnet:0.4")
    assert supported_numbers(chgnet64) == set(range(1, 95))
    assert not chgnet64.compute_stress
    with pytest.raises(ModelLoadError, match="does not cover elements Am"):
        load_model("chgnet", elements=["Li", "Am"])


def test_missing_chgnet_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "chgnet", None)
    with pytest.raises(ModelLoadError) as err:
        load_model("chgnet")
    assert "pip install ionmd[chgnet]" in str(err.value)
    assert "\n" not in str(err.value)
