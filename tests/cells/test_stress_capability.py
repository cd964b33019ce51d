"""``gives_stress`` says before loading what the loaded model then does: the
models it names give a stress inside ``stress_on`` (and none after)."""

import pytest
import torch
from ase.build import bulk

from ionmd.calculators import gives_stress, load_model
from ionmd.cells.stress import stress_on
from ionmd.errors import InputError


@pytest.mark.parametrize("name", ["lj", "toy", "mace-tiny"])
def test_models_said_to_give_stress_do(name):
    import torch_sim as ts

    assert gives_stress(name) is True
    model = load_model(name, device="cpu", dtype=torch.float64)
    atoms = bulk("Li", "bcc", a=3.45, cubic=True).repeat((2, 2, 2))
    if name == "lj":
        atoms.set_chemical_symbols(["Ar"] * len(atoms))
    state = ts.io.atoms_to_state([atoms], device=torch.device("cpu"), dtype=torch.float64)
    with stress_on(model):
        out = model(state)
        assert out["stress"].shape == (1, 3, 3)
        assert torch.isfinite(out["stress"]).all()
    assert "stress" not in model(state)


def test_refused_models_and_labels():
    assert gives_stress("orb:orb-v3-conservative-inf-omat") is False
    assert gives_stress("object:MyModel") is None


def test_a_model_without_switch_is_refused():
    with pytest.raises(InputError, match="no stress switch"), stress_on(object()):
        pass


def test_a_model_object_without_stress_is_refused_for_npt_in_one_line():
    # found by a hostile test (ionmd.run(model=<object>, cell="npt")): the
    # refusal named "the relaxed cell", and a switch without a stress failed
    # as "the model failed during the NPT stage …: KeyError: 'stress'"
    from ionmd.cells.npt import npt_systems
    from ionmd.cells.settings import CellSettings
    from ionmd.engine.systems import SystemSpec

    with pytest.raises(InputError, match='cell = "relaxed" or "npt"'), stress_on(object()):
        pass

    lj = load_model("lj", device="cpu", dtype=torch.float64)

    class SwitchWithoutStress:
        _compute_stress = False
        device, dtype = lj.device, lj.dtype

        def __call__(self, state, **kw):
            return {k: v for k, v in lj(state, **kw).items() if k != "stress"}

    atoms = bulk("Ar", "fcc", a=5.3, cubic=True)
    spec = SystemSpec(material_id="ar", atoms=atoms, temperature_K=30.0, run_seed=1)
    with pytest.raises(InputError) as e:
        npt_systems(
            [spec],
            model=SwitchWithoutStress(),
            settings=CellSettings(cell="npt", npt_ps=0.1),
            timestep_fs=10.0,
            thermostat_tau_fs=100.0,
        )
    assert str(e.value) == "the model gives no stress: the NPT stage needs one"
