"""Optional model extras (ORB, MatterSim, fairchem, NequIP): names, one-line
errors naming the extra when the package is missing, wrapping of positions."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch_sim as ts
from torch_sim.models.interface import ModelInterface

from ionmd.calculators import load_model, model_info
from ionmd.calculators.extras import EXTRAS, WrappedPositionsModel
from ionmd.errors import ModelLoadError
from ionmd.structures.builders import argon_fcc

NAMES = {
    "orb": "orb:orb-v3-conservative-inf-omat",
    "mattersim": "mattersim:mattersim-v1.0.0-1M.pth",
    "fairchem": "fairchem:uma-s-1p1",
    "nequip": "nequip:/models/allegro.nequip.pt2",
}


@pytest.fixture
def packages_missing(monkeypatch):
    """Every optional package import fails, as where it is not installed."""
    for extra in EXTRAS.values():
        monkeypatch.setitem(sys.modules, extra.module.split(".")[0], None)


@pytest.mark.parametrize("prefix", sorted(NAMES))
def test_missing_package_is_one_line_naming_the_extra(prefix, packages_missing):
    for call in (load_model, model_info):
        with pytest.raises(ModelLoadError) as err:
            call(NAMES[prefix])
        message = str(err.value)
        assert EXTRAS[prefix].distribution in message
        assert "\n" not in message
        if prefix == "orb":  # shares the base environment: an ionmd extra
            assert "pip install ionmd[orb]" in message
        else:  # cannot: says why and where the recipe is
            assert "e3nn >= 0.5" in message and "second environment" in message
            assert "pip install ionmd[" not in message


def test_prefix_without_a_name_is_refused():
    with pytest.raises(ModelLoadError, match="needs a name after 'orb:'"):
        load_model("orb:")


def test_unknown_names_still_list_the_extras():
    with pytest.raises(ModelLoadError) as err:
        load_model("orbb:xyz")
    assert "pip install ionmd[orb]" in str(err.value)
    assert "chgnet" in str(err.value)


class _Recorder(ModelInterface):
    """A package model that records the positions it is given."""

    def __init__(self):
        super().__init__()
        self._device, self._dtype = torch.device("cpu"), torch.float64
        self._compute_forces, self._compute_stress = True, True
        self.seen = None

    def forward(self, state, **_kwargs):
        self.seen = state.positions.clone()
        return {
            "energy": torch.zeros(state.n_systems, dtype=torch.float64),
            "forces": torch.zeros_like(state.positions),
            "stress": torch.zeros(state.n_systems, 3, 3, dtype=torch.float64),
        }


def test_wrapper_feeds_the_package_model_wrapped_positions_and_drops_stress():
    inner = _Recorder()
    model = WrappedPositionsModel(inner)
    assert not model.compute_stress
    atoms = argon_fcc(n_cells=2)
    state = ts.io.atoms_to_state([atoms], device="cpu", dtype=torch.float64)
    shifted = state.clone()
    rng = np.random.default_rng(0)
    n = torch.tensor(rng.integers(-3, 4, size=(state.n_atoms, 3)), dtype=torch.float64)
    shifted.positions = state.positions + n @ state.row_vector_cell[0]
    out = model(shifted)
    assert set(out) == {"energy", "forces"}
    frac = inner.seen @ torch.linalg.inv(state.row_vector_cell[0])
    assert frac.min() >= -1e-12 and frac.max() < 1 + 1e-12
    torch.testing.assert_close(inner.seen, state.positions, atol=1e-9, rtol=0)


def test_cli_run_with_a_missing_package_is_one_line_exit_2(tmp_path, capsys):
    from ionmd.cli import main

    config = tmp_path / "c.toml"
    config.write_text(
        'materials = "builtin:alpha-Li3N"\n'
        'model = "mattersim:mattersim-v1.0.0-1M.pth"\n'
        "temperatures_K = [800]\nduration_ps = 0.2\nequilibration_ps = 0.0\n"
        f'out = "{tmp_path / "out"}"\n'
    )
    if importlib.util.find_spec("mattersim") is not None:
        pytest.skip("mattersim is installed here")
    rc = main(["run", str(config)])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and "second environment" in errors[0]
    assert not (tmp_path / "out" / "md.h5").exists()


def test_names_resolve_without_importing_the_packages():
    code = (
        "import sys\n"
        "from ionmd.calculators.registry import _parse\n"
        "for n in ('chgnet', 'chgnet:r2scan', 'orb:x', 'mattersim:y', 'fairchem:z', "
        "'nequip:/m.pt2'): _parse(n)\n"
        "mods = ('chgnet', 'orb_models', 'mattersim', 'fairchem', 'nequip', 'mace')\n"
        "print(sorted(m for m in mods if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
