"""The NPT stage on fcc LJ argon (float64): a system's stage is the same alone
and in a batch (per-system seeds, a deterministic integrator), a stage run
again from its start ends the same (a kill during the stage re-runs it), a
resumed campaign takes the recorded cell (no second stage), and a volume
running away ends the system with its reason."""

import numpy as np
import pytest
import torch
from ase.build import bulk

from ionmd.calculators import load_model
from ionmd.cells.geometry import geometry_sha256
from ionmd.cells.npt import MELT_VOLUME_GROWTH, _results, npt_systems
from ionmd.cells.npt_stage import at_npt_cell, npt_row
from ionmd.cells.settings import CellSettings
from ionmd.engine.systems import SystemSpec

SHORT = CellSettings(cell="npt", npt_ps=0.3)


@pytest.fixture(scope="module")
def lj():
    return load_model("lj", device="cpu", dtype=torch.float64)


def _argon(a_A: float, temperature_K: float, mid: str = "Ar") -> SystemSpec:
    atoms = bulk("Ar", "fcc", a=a_A, cubic=True).repeat((2, 2, 2))
    return SystemSpec(material_id=mid, atoms=atoms, temperature_K=temperature_K, run_seed=3)


def _run(systems, model):
    return npt_systems(
        systems, model=model, settings=SHORT, timestep_fs=10.0, thermostat_tau_fs=100.0
    )


def test_alone_equals_in_a_batch(lj):
    (alone,) = _run([_argon(5.30, 30.0)], lj)
    other, batched = _run([_argon(5.20, 60.0, "Ar2"), _argon(5.30, 30.0)], lj)
    np.testing.assert_allclose(batched.volume_A3, alone.volume_A3, rtol=1e-12)
    np.testing.assert_allclose(batched.pressure_GPa, alone.pressure_GPa, atol=1e-9)
    np.testing.assert_allclose(batched.cell_A, alone.cell_A, rtol=1e-12)
    # and the other system did move its cell differently (the test can tell)
    assert not np.allclose(other.volume_A3, alone.volume_A3)
    assert alone.volume_A3.std() > 0


def test_rerun_gives_the_same_row_and_the_production_spec_keeps_fractions(lj):
    """A stage run twice gives the same campaign.json row; the production's
    system is at the row's cell with the fractional coordinates kept (a
    resumed production rebuilds it from the row: tests/cells/test_npt_in_loop.py)."""
    systems = [_argon(5.30, 30.0), _argon(5.30, 60.0)]
    rows = [
        [
            npt_row(s.atoms, r, sha=geometry_sha256(s.atoms))
            for s, r in zip(systems, _run(systems, lj), strict=True)
        ]
        for _ in range(2)
    ]
    assert rows[0] == rows[1]
    row = rows[0][0]
    assert row["cell_source"] == "npt" and len(row["volume_A3"]) == len(row["pressure_GPa"])
    v = abs(np.linalg.det(np.asarray(row["cell_A"])))
    assert row["volume_change_pct"] == pytest.approx(100 * (v / (5.30**3 * 8) - 1))
    prod = at_npt_cell(systems[0], row)
    np.testing.assert_array_equal(prod.atoms.cell[:], np.asarray(row["cell_A"]))
    np.testing.assert_allclose(
        prod.atoms.get_scaled_positions(), systems[0].atoms.get_scaled_positions()
    )
    assert prod.cell_source == "npt"


def test_runaway_volume_ends_the_system():
    n = 10
    cells = np.stack([np.eye(3)[None] * 10.0] * n)
    grow = np.linspace(1.0, 1.0 + 2 * MELT_VOLUME_GROWTH, n)
    cells = cells * grow[:, None, None, None] ** (1 / 3)
    vols = np.abs(np.linalg.det(cells))
    rows = [
        (0.1 * (k + 1), cells[k], vols[k], np.zeros(1), np.zeros((1, 3))) for k in range(n)
    ]
    (r,) = _results(rows, v_start=[1000.0])
    assert r.failed is not None and "melting during the NPT stage" in r.failed
    steady = [
        (0.1 * (k + 1), cells[0], vols[0], np.zeros(1), np.zeros((1, 3))) for k in range(n)
    ]
    (ok,) = _results(steady, v_start=[1000.0])
    assert ok.failed is None


def test_cold_argon_finds_the_lattice_sum_volume(lj):
    """From a cell compressed by ~5 % in volume, at 5 K and 0 GPa the stage's
    cell is the analytic 0 K volume V0 plus the thermal expansion, to first
    order 5/30 of the +3.6 % measured at 30 K (benchmarks/npt_lj.py):
    +0.6 %; tolerance 1 % (a 32-atom cell's volume fluctuates by ~0.5 % at 5 K).
    A wrong pressure sign or unit sends the cell away by far more."""
    from tests.cells.test_relax_lj import analytic_fcc_a_A

    v0 = analytic_fcc_a_A() ** 3 * 8
    start = _argon(analytic_fcc_a_A() * 0.983, 5.0)
    (r,) = npt_systems(
        [start],
        model=lj,
        settings=CellSettings(cell="npt", npt_ps=5.0),
        timestep_fs=10.0,
        thermostat_tau_fs=100.0,
    )
    assert r.failed is None
    dv = abs(np.linalg.det(r.cell_A)) / v0 - 1
    assert dv == pytest.approx(0.006, abs=0.01)
    assert abs(np.mean(r.pressure_GPa[len(r.pressure_GPa) // 2 :])) < 0.05
