"""A tiny relaxed campaign (LJ, 32 atoms, compressed cell): the run file says
per system which cell it simulated and how it was obtained, campaign.json keeps
the relaxed structures and a resumed campaign takes them from there."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from ionmd.cells.settings import CellSettings
from ionmd.cells.stage import relax_batches
from ionmd.engine.systems import SystemSpec
from tests.campaign.tiny import ionmd, write_cif, write_config


def _run(tmp_path, extra: str, name: str):
    cif = write_cif(tmp_path / "lj_li.cif", a=5.0)
    cfg = write_config(tmp_path, name, cifs=[cif], temps=(30,), duration_ps=0.2)
    cfg.write_text(cfg.read_text() + extra)
    assert ionmd("run", str(cfg), "--no-analysis") == 0
    return tmp_path / name


def _params(path):
    with h5py.File(path) as f:
        (key,) = [k for k in f["parameters"] if k != "ionmd"]
        return dict(f["parameters"][key].attrs)


def test_relaxed_run_file_and_record(tmp_path):
    out = _run(tmp_path, 'cell = "relaxed"\n', "relaxed")
    a = _params(out / "md.h5")
    assert a["cell_source"] == "relaxed"
    exp = np.diag([10.0, 10.0, 10.0])  # 2×2×2 of a = 5.0
    assert np.allclose(a["experimental_cell"], exp, atol=1e-9)
    v = abs(np.linalg.det(a["cell"]))
    assert a["volume_change_pct"] == pytest.approx(100 * (v / 1000.0 - 1), rel=1e-12)
    assert a["volume_change_pct"] > 5  # LJ argon's minimum is near a = 5.28 Å
    record = json.loads((out / "campaign.json").read_text())
    row = record["cells"]["lj_li"]
    assert row["converged"] and np.allclose(row["cell_A"], a["cell"], rtol=0, atol=0)
    assert "Cells" in (out / "report.md").read_text()


def test_default_run_file_has_no_cell_source(tmp_path):
    out = _run(tmp_path, "", "default")
    a = _params(out / "md.h5")
    assert "cell_source" not in a and "volume_change_pct" not in a
    assert "cells" not in json.loads((out / "campaign.json").read_text())


def test_a_resumed_stage_reuses_the_recorded_structures(tmp_path):
    from ase.build import bulk

    atoms = bulk("Ar", "fcc", a=5.0, cubic=True)
    s = SystemSpec(material_id="ar", atoms=atoms, temperature_K=30.0)
    settings = CellSettings(cell="relaxed")
    first, note = relax_batches(
        [[s]], model=_lj(), settings=settings, failed={}, previous=None
    )
    # model=None: the stage must not relax again, only reuse
    again, note2 = relax_batches(
        [[s]], model=None, settings=settings, failed={}, previous=note
    )
    assert again[0][0].content_sha256() == first[0][0].content_sha256()
    assert note2 == note
    assert first[0][0].cell_source == "relaxed"


def test_a_material_that_does_not_converge_fails_with_its_reason():
    from ase.build import bulk

    atoms = bulk("Ar", "fcc", a=5.0, cubic=True)
    s = SystemSpec(material_id="ar", atoms=atoms, temperature_K=30.0)
    failed: dict[str, str] = {}
    settings = CellSettings(cell="relaxed", relax_max_steps=2)
    batches, _ = relax_batches(
        [[s]], model=_lj(), settings=settings, failed=failed, previous=None
    )
    assert batches == [] and "not converged in 2 FIRE steps" in failed["ar"]


def test_a_relaxed_cell_far_from_the_experimental_one_is_not_simulated():
    """A model whose minimum is another material (here LJ argon at a = 4.2 Å
    relaxing to 5.28 Å, +100 % in volume; the hostile case was α-Li3N under LJ
    at +470 %) must not run the MD at that cell and call the result converged."""
    from ase.build import bulk

    atoms = bulk("Ar", "fcc", a=4.2, cubic=True)
    s = SystemSpec(material_id="ar", atoms=atoms, temperature_K=30.0)
    failed: dict[str, str] = {}
    batches, record = relax_batches(
        [[s]],
        model=_lj(),
        settings=CellSettings(cell="relaxed"),
        failed=failed,
        previous=None,
    )
    assert record["cells"]["ar"]["converged"]
    assert record["cells"]["ar"]["volume_change_pct"] > 90
    assert batches == [] and "does not describe this material" in failed["ar"]


def _lj():
    import torch

    from ionmd.calculators import load_model

    return load_model("lj", device="cpu", dtype=torch.float64)


def test_a_campaign_whose_materials_all_fail_to_relax_is_refused():
    from types import SimpleNamespace

    from ase.build import bulk

    from ionmd.cells.stage import relax_stage
    from ionmd.errors import InputError

    s = SystemSpec(
        material_id="ar", atoms=bulk("Ar", "fcc", a=5.0, cubic=True), temperature_K=30.0
    )
    plan = SimpleNamespace(batches=[[s]], failed_materials={})
    config = SimpleNamespace(cell_settings=CellSettings(cell="relaxed", relax_max_steps=2))
    with pytest.raises(InputError, match="no material could be relaxed"):
        relax_stage(plan, model=_lj(), config=config, previous=None)
