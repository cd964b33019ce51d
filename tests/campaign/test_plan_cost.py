"""``ionmd plan`` projects with the configured model's own figures (issue 22):

- the cost per atom-step is that model's anchor, with its card and source, or
  "no anchor" and no cost (before: 3 µs, measured for MACE-MP-0b2 large, for
  every model); in a ``models = [...]`` campaign each model gets its own;
- elements the model does not cover are refused per material, naming them, for
  models the plan does not load too (before: "not checked" for every real model);
- without ``max_atoms_per_batch`` the batches come from the memory model for the
  model and device (before: one batch of every system, whatever its size).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ionmd.campaign.config import load_config
from ionmd.campaign.cost_projection import plan_campaign
from ionmd.cli import main


@pytest.fixture(autouse=True)
def _no_gpu_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan reads this machine's GPU when it has one: the tests assume none."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def _config(tmp_path: Path, body: str) -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        body + "temperatures_K = [800, 1000]\nduration_ps = 0.2\nequilibration_ps = 0.0\n"
        f'out = "{tmp_path / "out"}"\n'
    )
    return cfg


def _li_po_cif(path: Path) -> Path:
    """LiPo in the CsCl structure: Po (Z 84) is outside MPtrj's 89 elements."""
    from ase import Atoms

    Atoms("LiPo", scaled_positions=[[0, 0, 0], [0.5, 0.5, 0.5]], cell=[3.5] * 3,
          pbc=True).write(path)  # fmt: skip
    return path


def test_cost_is_the_configured_models_own_or_none(tmp_path, capsys):
    from ionmd.campaign.cost_anchors import COST_ANCHORS

    cfg = _config(tmp_path, 'materials = ["builtin:toy-fast"]\nmodel = "toy"\n')
    plan = plan_campaign(load_config(cfg))
    toy = COST_ANCHORS["toy"]
    assert plan["us_per_atom_step"] == toy.us_per_atom_step != 3.0
    atom_steps = 135 * 2 * round(200 / 2.0)  # 135 atoms, 2 T, 0.2 ps at 2 fs
    assert plan["totals"]["atom_steps"] == atom_steps
    assert plan["totals"]["gpu_hours"] == pytest.approx(
        atom_steps * toy.us_per_atom_step * 1e-6 / 3600
    )
    assert toy.card.name in plan["cost_source"] and toy.source in plan["cost_source"]

    # mace-tiny has no anchor: no cost at all, said plainly
    cfg = _config(tmp_path, 'materials = ["builtin:alpha-Li3N"]\nmodel = "mace-tiny"\n')
    assert main(["plan", str(cfg), "--json", str(tmp_path / "p.json")]) == 0
    out = capsys.readouterr().out
    assert "no anchor for model mace-tiny" in out and "3 us" not in out
    plan = json.loads((tmp_path / "p.json").read_text())
    assert plan["us_per_atom_step"] is None and plan["totals"]["gpu_hours"] is None
    row = next(line for line in out.splitlines() if line.startswith("alpha-Li3N"))
    assert row.split()[7] == "-"  # the hours column
    # given on the command line: that figure, said so
    assert main(["plan", str(cfg), "--us-per-atom-step", "5"]) == 0
    assert "5 us/atom-step on the device measured (given" in capsys.readouterr().out


def test_each_model_of_a_comparison_has_its_own_cost(tmp_path, capsys):
    cfg = _config(tmp_path, 'materials = ["builtin:toy-fast"]\nmodels = ["lj", "toy"]\n')
    assert main(["plan", str(cfg), "--json", str(tmp_path / "p.json")]) == 0
    out = capsys.readouterr().out
    plans = json.loads((tmp_path / "p.json").read_text())["models"]
    assert plans["lj"]["us_per_atom_step"] is None
    assert plans["toy"]["us_per_atom_step"] == 67.0
    assert "each at its own cost: lj no anchor; toy " in out
    assert "at the same cost per atom-step" not in out


@pytest.mark.parametrize("model", ["sevennet-0", "mace:medium-mpa-0"])
def test_uncovered_elements_refused_per_material_without_loading(tmp_path, capsys, model):
    cif = _li_po_cif(tmp_path / "LiPo.cif")
    cfg = _config(
        tmp_path,
        f'materials = ["{cif}", "builtin:alpha-Li3N"]\nmodel = "{model}"\n'
        "max_atoms_per_batch = 1000\n",
    )
    assert main(["plan", str(cfg)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"LiPo         cannot run: model {model} does not cover Po" in out
    assert any(line.startswith("alpha-Li3N   ") and "batch 1" in line for line in out)
    assert any(line.startswith("1 of 2 materials runnable") for line in out)


def test_run_and_plan_refuse_with_one_check():
    """The plan's refusal is the run's (``plan_systems``), word for word."""
    from ase.build import bulk

    from ionmd.campaign.plan import plan_systems, uncovered_elements
    from ionmd.engine.systems import SystemSpec

    atoms = bulk("Li", "bcc", a=3.5) * (1, 1, 2)
    atoms[1].symbol = "Po"
    failed: dict[str, str] = {}
    plan_systems(
        {"m": [SystemSpec(material_id="m", atoms=atoms, temperature_K=800.0)]},
        known={3},
        model_label="x",
        failed=failed,
    )
    assert failed == {"m": uncovered_elements({3, 84}, known={3}, model_label="x")}
    assert failed["m"] == "model x does not cover Po"


def test_batches_come_from_the_memory_model(tmp_path):
    from ionmd.campaign.cost_anchors import MEMORY_ANCHORS

    # α-Li3N at a 30 Å rule: 10 x 10 x 8 cells of 4 atoms, 3,200 atoms per system
    cfg = _config(
        tmp_path,
        'materials = ["builtin:alpha-Li3N"]\nmodel = "mace:medium-mpa-0"\n'
        "min_cell_length_A = 30\n",
    )
    plan = plan_campaign(load_config(cfg))
    atoms = plan["materials"][0]["atoms"]
    # its cost anchor's card, an A100 of 40 GB, 70 % of it filled
    per_batch = int(0.7 * 40e9 / MEMORY_ANCHORS["mace:medium-mpa-0"].bytes_per_atom)
    assert atoms == 3200 and 2 * atoms > per_batch >= atoms  # one system per batch
    assert plan["max_atoms_per_batch_used"] == per_batch
    assert plan["totals"]["n_batches"] == 2  # before: 1 batch of 2 x 3,200 atoms
    assert "memory model: 0.7 x 40 GB of an A100-SXM4" in plan["batch_source"]
    # a model without a cost anchor: an H100, said to be assumed
    cfg = _config(tmp_path, 'materials = ["builtin:alpha-Li3N"]\nmodel = "mace-tiny"\n')
    plan = plan_campaign(load_config(cfg))
    assert plan["max_atoms_per_batch_used"] == int(
        0.7 * 80e9 / MEMORY_ANCHORS["mace-tiny"].bytes_per_atom
    )
    assert "0.7 x 80 GB of an H100 (assumed: no GPU here)" in plan["batch_source"]
    # the CPU: one batch without a limit, as ionmd run packs it
    cpu = _config(tmp_path, 'materials = ["builtin:alpha-Li3N"]\ndevice = "cpu"\n')
    assert plan_campaign(load_config(cpu))["totals"]["n_batches"] == 1
    # no memory anchor (a MACE file): the count is unknown, not 1
    cfg = _config(
        tmp_path, 'materials = ["builtin:alpha-Li3N"]\nmodel = "mace:/no/such.model"\n'
    )
    plan = plan_campaign(load_config(cfg))
    assert plan["totals"]["n_batches"] is None
    assert "no memory anchor for model mace:/no/such.model" in plan["batch_source"]
    assert math.isfinite(plan["totals"]["atom_steps"])
    # the config's limit: said with its number (it was the bare key's name)
    cfg = _config(
        tmp_path, 'materials = ["builtin:alpha-Li3N"]\nmax_atoms_per_batch = 5000\n'
    )
    source = plan_campaign(load_config(cfg))["batch_source"]
    assert source == "max_atoms_per_batch = 5000 atoms"
