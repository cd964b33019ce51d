"""Fast paths (issue 16) against the plain path, where they can run on the CPU.

- neighbour skin: the same forces to float tolerance, the same trajectory
  statistics, fewer list builds, a rebuild when an atom crosses the cell;
- CUDA-only paths (cuEquivariance, CUDA-graph compile modes) and fast paths asked
  of a model without them are refused in one line;
- torch.compile (mace's padded budgets) on the CPU: slow (inductor needs minutes
  for MACE on 2 cores), run with -m slow.
"""

import numpy as np
import pytest
import torch

from ionmd.calculators import load_model
from ionmd.campaign.config import RunConfig, config_from_mapping
from ionmd.engine.systems import SystemSpec, build_state
from ionmd.errors import InputError, ModelLoadError

from .helpers import li3n_supercell


def _systems(n=2):
    return [
        SystemSpec(
            material_id=f"li3n{i}",
            atoms=li3n_supercell((2, 2, 2), seed=i),
            temperature_K=1000.0,
            run_seed=0,
            supercell=np.eye(3, dtype=np.int64),
        )
        for i in range(n)
    ]


def test_skin_gives_the_plain_forces():
    systems = _systems()
    plain = load_model("mace-tiny")
    skin = load_model("mace-tiny", neighbor_skin_A=1.0)
    state, _, _ = build_state(systems, device=torch.device("cpu"), dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    for _ in range(4):  # moves below half the skin: the list is kept
        f0 = plain(state)["forces"]
        f1 = skin(state)["forces"]
        torch.testing.assert_close(f1, f0, rtol=0, atol=1e-10)
        step = torch.randn(state.positions.shape, generator=gen, dtype=torch.float64)
        state.positions = state.positions + 0.03 * step
    nl = skin.neighbor_list_fn
    assert nl.calls == 4 and nl.builds < 4


def test_skin_keeps_the_list_when_atoms_are_wrapped_across_the_cell():
    """Atoms on the cell faces (as in α-Li3N) cross the boundary nearly every
    step: the kept list's shifts follow each atom's jump, forces stay exact."""
    systems = _systems()
    plain = load_model("mace-tiny")
    skin = load_model("mace-tiny", neighbor_skin_A=1.0)
    state, _, _ = build_state(systems, device=torch.device("cpu"), dtype=torch.float64)
    skin(state)
    cell = state.row_vector_cell
    # shift some atoms by whole lattice vectors (what wrapping does) and move all
    # a little: the same physics, a list build would not be needed
    jump = torch.zeros_like(state.positions)
    jump[::3] = cell[state.system_idx[::3], 0] - cell[state.system_idx[::3], 2]
    state.positions = state.positions + jump + 0.03
    torch.testing.assert_close(
        skin(state)["forces"], plain(state)["forces"], rtol=0, atol=1e-10
    )
    assert skin.neighbor_list_fn.builds == 1


def test_skin_trajectory_matches_plain(tmp_path):
    from ionmd.engine.runner import run_batch
    from ionmd.fileformat import read_system

    systems = _systems()
    cfg = RunConfig(
        materials=("x",),
        temperatures_K=(1000.0,),
        timestep_fs=2.0,
        duration_ps=0.06,
        equilibration_ps=0.0,
        sample_every_fs=10.0,
        msd_every_fs=2.0,
        thermo_every_fs=2.0,
        progress=False,
    )
    out = {}
    for name, skin in (("plain", 0.0), ("skin", 1.0)):
        model = load_model("mace-tiny", neighbor_skin_A=skin)
        run_batch(
            systems,
            model,
            md=cfg.md,
            out_path=tmp_path / f"{name}.h5",
            model_name="t",
        )
        out[name] = [read_system(tmp_path / f"{name}.h5", s.key) for s in systems]
        if skin:
            nl = model.neighbor_list_fn
            assert nl.builds < nl.calls / 2, (nl.builds, nl.calls)
    for a, b in zip(out["plain"], out["skin"], strict=True):
        # float64, exact zeros beyond the cutoff: the same trajectory over 30 steps
        np.testing.assert_allclose(b.positions, a.positions, atol=1e-6)
        ta, tb = a.thermo["temperature_K"][2], b.thermo["temperature_K"][2]
        assert abs(np.mean(tb) - np.mean(ta)) < 1e-3 * np.mean(ta)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"cueq": "on"}, "needs a CUDA device"),
        ({"compile_mode": "reduce-overhead"}, "needs a CUDA device"),
        ({"compile_mode": "fast"}, "compile_mode must be"),
    ],
)
def test_cuda_only_paths_are_refused_on_the_cpu(kwargs, words):
    with pytest.raises(ModelLoadError, match=words) as exc:
        load_model("mace-tiny", **kwargs)
    assert "\n" not in str(exc.value)


def test_fast_paths_of_a_model_without_them_are_refused():
    with pytest.raises(ModelLoadError, match="MACE fast paths"):
        load_model("lj", neighbor_skin_A=0.5)
    load_model("lj", cueq="auto")  # the default passes for every model


def test_fast_path_keys_in_the_config():
    cfg = config_from_mapping(
        {"compile_mode": "reduce-overhead", "cueq": "off", "neighbor_skin_A": 0.5}
    )
    assert cfg.fast_paths() == {
        "cueq": "off",
        "compile_mode": "reduce-overhead",
        "neighbor_skin_A": 0.5,
    }
    assert RunConfig().fast_paths() == {
        "cueq": "auto",
        "compile_mode": "off",
        "neighbor_skin_A": 0.0,
    }
    for bad in ({"cueq": "yes"}, {"compile_mode": "on"}, {"neighbor_skin_A": -1.0}):
        with pytest.raises(InputError):
            config_from_mapping(bad)


@pytest.mark.slow
def test_compile_gives_the_plain_forces():
    """torch.compile (inductor, mace's padded budgets) on the CPU: minutes."""
    systems = _systems()
    plain = load_model("mace-tiny")
    comp = load_model("mace-tiny", compile_mode="default")
    state, _, _ = build_state(systems, device=torch.device("cpu"), dtype=torch.float64)
    for _ in range(3):
        torch.testing.assert_close(
            comp(state)["forces"], plain(state)["forces"], rtol=0, atol=1e-8
        )
        state.positions = state.positions + 0.02 * torch.randn_like(state.positions)
