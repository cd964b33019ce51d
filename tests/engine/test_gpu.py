"""GPU checks (marker ``gpu``; run on a CUDA machine with ``pytest -m gpu``)."""

import numpy as np
import pytest
import torch

from ionmd.engine.runner import run_batch
from ionmd.fileformat import read_system

from .helpers import quick_config

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
]


def _li3n_specs(temps):
    from benchmarks.engine import li3n_systems

    return li3n_systems(temperatures_K=temps, min_cell_length_A=6.0)


def test_gpu_float32_single_equals_batched(tmp_path):
    from ionmd.calculators import load_model

    model = load_model("mace-tiny", device="cuda")
    assert model.dtype == torch.float32
    cfg = quick_config(
        temperatures_K=(800.0, 1000.0, 1200.0),
        timestep_fs=2.0,
        duration_ps=0.1,
        equilibration_ps=0.02,
        sample_every_fs=10.0,
        msd_every_fs=10.0,
        thermo_every_fs=10.0,
    )
    specs = _li3n_specs((800.0, 1000.0, 1200.0))
    run_batch(specs, model, md=cfg.md, out_path=tmp_path / "b.h5", model_name="t")
    run_batch([specs[1]], model, md=cfg.md, out_path=tmp_path / "a.h5", model_name="t")
    a = read_system(tmp_path / "a.h5", specs[1].key)
    b = read_system(tmp_path / "b.h5", specs[1].key)
    # float32 on a GPU: reductions may differ in order; agree to float32 noise
    np.testing.assert_allclose(b.positions, a.positions, atol=1e-3)
    assert b.attrs["status"] == "done"
