"""A system whose cell blows up in the NPT stage (an absurd start, an unstable
model, a pressure the material cannot take) is ended with its reason, and the
other systems of its batch end exactly as without it; a model that fails with
no cell out of bounds stops the stage with one line, not a traceback."""

import json

import numpy as np
import pytest
import torch
from ase.build import bulk

from ionmd.calculators import load_model
from ionmd.cells.npt import npt_systems
from ionmd.cells.npt_guard import MAX_VOLUME_FACTOR
from ionmd.cells.npt_stage import npt_row
from ionmd.cells.settings import CellSettings
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError
from tests.campaign.tiny import ionmd, keep_signal_handlers, write_cif, write_config

SHORT = CellSettings(cell="npt", npt_ps=0.3)
__all__ = ["keep_signal_handlers"]


@pytest.fixture(scope="module")
def lj():
    return load_model("lj", device="cpu", dtype=torch.float64)


def _argon(a_A: float, mid: str) -> SystemSpec:
    atoms = bulk("Ar", "fcc", a=a_A, cubic=True).repeat((2, 2, 2))
    return SystemSpec(material_id=mid, atoms=atoms, temperature_K=30.0, run_seed=3)


def _run(systems, model, settings=SHORT):
    return npt_systems(
        systems, model=model, settings=settings, timestep_fs=10.0, thermostat_tau_fs=100.0
    )


@pytest.mark.parametrize("npt_cell", ["isotropic", "anisotropic"])
def test_a_blown_up_cell_ends_its_system_and_not_the_others(lj, npt_cell):
    """The blown-up system is taken out of the NPT state (both integrators'
    per-system tensors and chains); the other goes on as it would alone."""
    settings = CellSettings(cell="npt", npt_ps=0.3, npt_cell=npt_cell)
    # a = 4.0 Å: argon squeezed to 0.43 of its volume springs out past ×2
    (alone,) = _run([_argon(5.30, "ok")], lj, settings)
    bad, ok = _run([_argon(4.0, "bad"), _argon(5.30, "ok")], lj, settings)
    assert bad.failed.startswith("cell blew up during the NPT stage: volume ×")
    # its series up to the blow-up, every volume within the bounds
    v0 = 4.0**3 * 8
    assert 0 < len(bad.time_ps) < len(ok.time_ps)
    assert np.all(bad.volume_A3 <= MAX_VOLUME_FACTOR * v0)
    assert ok.failed is None and alone.failed is None
    np.testing.assert_allclose(ok.volume_A3, alone.volume_A3, rtol=1e-12)
    np.testing.assert_allclose(ok.pressure_GPa, alone.pressure_GPa, atol=1e-9)
    np.testing.assert_allclose(ok.cell_A, alone.cell_A, rtol=1e-12)


def test_a_cell_out_of_bounds_before_the_first_sample(lj):
    bad, ok = _run([_argon(3.6, "bad"), _argon(5.30, "ok")], lj)
    assert "cell blew up" in bad.failed and len(bad.time_ps) == 0
    np.testing.assert_array_equal(bad.cell_A, _argon(3.6, "bad").atoms.cell[:])
    assert ok.failed is None
    row = npt_row(_argon(3.6, "bad").atoms, bad, sha="x")  # campaign.json's record
    assert row["failed"] == bad.failed and row["mean_pressure_GPa"] is None
    json.dumps(row, allow_nan=False)


def test_a_model_failing_in_bounds_is_one_input_error(lj, monkeypatch):
    # a neighbour list overflowing on the 5th call with every cell in bounds
    calls, forward = [], lj.forward

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise ValueError("Per-system shift count (922) exceeds int32 max\nmore")
        return forward(*args, **kwargs)

    monkeypatch.setattr(lj, "forward", failing)
    with pytest.raises(InputError, match="model failed during the NPT stage") as e:
        _run([_argon(5.30, "a"), _argon(5.20, "b")], lj)
    assert "ValueError: Per-system shift count (922) exceeds int32 max" in str(e.value)
    assert "\n" not in str(e.value)


def test_a_campaign_with_a_blown_up_material_ends_cleanly(
    tmp_path, capsys, keep_signal_handlers
):
    good = write_cif(tmp_path / "good.cif")
    bad = write_cif(tmp_path / "squeezed.cif", a=3.8)
    cfg = write_config(tmp_path, "run", cifs=[good, bad], duration_ps=0.2)
    cfg.write_text(cfg.read_text() + 'cell = "npt"\nnpt_ps = 1\n')
    assert ionmd("run", str(cfg)) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    record = json.loads((tmp_path / "run" / "campaign.json").read_text())
    # ended in its stage inside the MD loop: a failed system of its batch, as
    # melting in the NVT production is
    assert record["failed_materials"] == {}
    failed = {k: v for b in record["batches"] for k, v in b["failed_systems"].items()}
    assert list(failed) == ["squeezed_30K"], failed
    assert failed["squeezed_30K"].startswith("cell blew up during the NPT stage")
    assert record["cells"]["squeezed_30K"]["failed"] == failed["squeezed_30K"]
    assert record["cells"]["good_30K"]["failed"] is None


@pytest.mark.parametrize("npt_cell", ["isotropic", "anisotropic"])
def test_a_model_failing_at_a_blown_up_cell_ends_that_system(lj, monkeypatch, npt_cell):
    # the neighbour list overflows at the first system's exploded cell (over
    # twice its start) before the step ends
    forward = lj.forward

    def overflowing(state, *args, **kwargs):
        volume = torch.linalg.det(state.row_vector_cell).abs()
        if state.n_systems == 2 and volume[0] > 2 * 4.0**3 * 8:
            raise ValueError("Per-system shift count exceeds int32 max")
        return forward(state, *args, **kwargs)

    monkeypatch.setattr(lj, "forward", overflowing)
    settings = CellSettings(cell="npt", npt_ps=0.3, npt_cell=npt_cell)
    bad, ok = npt_systems(
        [_argon(4.0, "bad"), _argon(5.30, "ok")],
        model=lj,
        settings=settings,
        timestep_fs=10.0,
        thermostat_tau_fs=100.0,
    )
    assert bad.failed.startswith("cell blew up during the NPT stage: volume ×")
    assert ok.failed is None and len(ok.time_ps) == 30
