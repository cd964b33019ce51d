"""Names, errors a user can cause, model_info, local MACE files."""

import hashlib
import subprocess
import sys
from importlib.metadata import version

import pytest
import torch
import torch_sim as ts

from ionmd.calculators import load_model, model_info
from ionmd.errors import ModelLoadError

from .helpers import li3n_supercell


def test_importing_the_package_imports_no_model_library():
    code = (
        "import sys, ionmd.calculators; "
        "print(sorted(m for m in ('mace', 'sevenn', 'e3nn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_unknown_name_lists_valid_names_and_suggests_closest():
    with pytest.raises(ModelLoadError) as err:
        load_model("sevenet-0")
    message = str(err.value)
    assert "did you mean 'sevennet-0'" in message
    for name in ("mace-tiny", "mace-mpa0-arch", "lj", "mace:/path/to/file.model"):
        assert name in message
    assert "\n" not in message


def test_unknown_foundation_name_suggests_closest():
    with pytest.raises(ModelLoadError, match="did you mean 'mace:medium-mpa-0'"):
        load_model("mace:medium-mpa0")


def test_lj_parameters_refused_for_other_models():
    with pytest.raises(ModelLoadError, match="only apply to the 'lj' model"):
        load_model("mace-tiny", sigma_A=3.0)


def test_missing_local_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="MACE model file not found"):
        load_model(f"mace:{tmp_path / 'nope.model'}")


def test_uncached_foundation_offline_says_how_to_point_at_a_file(tmp_path, monkeypatch):
    from ionmd.calculators import mace_models

    monkeypatch.setattr(mace_models, "_cache_dir", lambda: str(tmp_path))
    monkeypatch.setattr(mace_models, "_online", lambda **_: False)
    with pytest.raises(ModelLoadError) as err:
        load_model("mace:small")
    message = str(err.value)
    assert "offline" in message
    assert 'model = "mace:/path/to/' in message and "--model" in message
    assert str(tmp_path) in message  # where mace caches files


def test_offline_check_is_quick():
    import time

    from ionmd.calculators.mace_models import _online

    start = time.perf_counter()
    _online(timeout_s=0.5)
    assert time.perf_counter() - start < 5.0


def test_elements_outside_the_model_are_refused():
    with pytest.raises(ModelLoadError, match="does not cover elements Am"):
        load_model("mace-tiny", elements=["Li", "Am"])
    with pytest.raises(ModelLoadError, match="unknown element symbols: Xx"):
        load_model("mace-tiny", elements=["Xx"])


def test_mace_tiny_covers_obelix_elements():
    obelix = (
        "Li B N O F Na Mg Al Si P S Cl K Ca Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
        "Br Rb Sr Y Zr Nb Mo In Sn Sb Te I Cs Ba La Ce Nd Gd Hf Ta W Bi H C"
    ).split()
    model = load_model("mace-tiny", elements=obelix)
    assert model.r_max == pytest.approx(4.5)


def test_local_model_file_round_trip_and_info(tmp_path):
    from ionmd.calculators.mace_models import build_random_mace

    path = tmp_path / "tiny.model"
    torch.save(build_random_mace("mace-tiny", dtype=torch.float64), path)
    state = ts.io.atoms_to_state(
        [li3n_supercell((2, 2, 1))], device="cpu", dtype=torch.float64
    )
    from_file = load_model(str(path))(state)
    in_memory = load_model("mace-tiny")(state)
    torch.testing.assert_close(from_file["forces"], in_memory["forces"], atol=0, rtol=0)
    info = model_info(f"mace:{path}")
    assert info["model_name"] == f"mace:{path.resolve()}"
    assert hashlib.sha256(path.read_bytes()).hexdigest() in info["model_version"]
    assert version("mace-torch") in info["model_version"]


def test_model_info_fields():
    lj = model_info("lj", sigma_A=3.0)
    assert lj["model_name"] == "lj"
    assert "sigma_A=3" in lj["model_version"] and "cutoff_A=7.5" in lj["model_version"]
    tiny = model_info("mace-tiny")
    assert tiny["model_name"] == "mace-tiny" and "seed" in tiny["model_version"]
    seven = model_info("sevennet-0")
    from ionmd.calculators.sevennet import sevennet_checkpoint_path

    with open(sevennet_checkpoint_path(), "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    assert seven["model_version"].endswith(f"sha256:{digest}")
    assert version("sevenn") in seven["model_version"]


def test_dtype_defaults_follow_the_device():
    from ionmd.calculators._common import resolve_device_dtype

    assert resolve_device_dtype(device="cuda", dtype=None)[1] == torch.float32
    assert resolve_device_dtype(device="cpu", dtype=None)[1] == torch.float64
    assert resolve_device_dtype(device="cpu", dtype=torch.float32)[1] == torch.float32
    with pytest.raises(ModelLoadError, match="dtype must be"):
        resolve_device_dtype(device="cpu", dtype=torch.float16)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_mace_tiny_on_cuda_float32_matches_cpu_float64():
    state = ts.io.atoms_to_state(
        [li3n_supercell((2, 2, 2))], device="cpu", dtype=torch.float64
    )
    reference = load_model("mace-tiny")(state)["forces"]
    gpu_model = load_model("mace-tiny", device="cuda")
    assert gpu_model.dtype == torch.float32
    forces = gpu_model(state.to("cuda", torch.float32))["forces"].cpu().double()
    torch.testing.assert_close(forces, reference, atol=1e-3, rtol=1e-3)
