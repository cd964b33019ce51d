"""SevenNet-0's and CHGNet's torch-sim wrappers give, inside ``stress_on``, the
stress the models' own ASE calculators give (sevenn's ``SevenNetCalculator``,
chgnet's ``CHGNetCalculator``: an independent code path, float32), in
torch-sim's convention (eV/Å³, ASE's sign), per system of a batch; and none
after the stage."""

import numpy as np
import pytest
import torch
from ase.build import bulk

from ionmd.calculators import gives_stress, load_ase_calculator, load_model
from ionmd.cells.stress import stress_on

#: the ASE calculators compute in float32: ~1e-7 of stresses of ~3e-3 eV/Å³
TOL_EV_A3 = 1e-6


def _strained_li(seed: int, strain: float):
    """bcc Li, 16 atoms, rattled, under a strain with shear (every component
    of the stress distinct, so a swapped Voigt order or sign would show)."""
    atoms = bulk("Li", "bcc", a=3.45, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=seed)
    deform = np.eye(3) + strain * np.array([[1.0, 0.5, 0], [0, -1.0, 0.75], [0.25, 0, 0.5]])
    atoms.set_cell(atoms.cell[:] @ deform, scale_atoms=True)
    return atoms


@pytest.mark.parametrize("name", ["sevennet-0", "chgnet"])
def test_stress_matches_the_models_ase_calculator(name):
    import torch_sim as ts

    assert gives_stress(name) is True
    structures = [_strained_li(1, 0.02), _strained_li(2, -0.015)]
    calc = load_ase_calculator(name, device="cpu")
    expected = []
    for atoms in structures:
        a = atoms.copy()
        a.calc = calc
        expected.append(a.get_stress(voigt=False))
    model = load_model(name, device="cpu", dtype=torch.float64)
    state = ts.io.atoms_to_state(
        structures, device=torch.device("cpu"), dtype=torch.float64
    )
    with stress_on(model):
        stress = model(state)["stress"].numpy()
    assert stress.shape == (2, 3, 3)
    assert np.abs(np.asarray(expected)).max() > 1e-3  # a stress to compare
    np.testing.assert_allclose(stress, np.asarray(expected), rtol=0, atol=TOL_EV_A3)
    assert "stress" not in model(state)
