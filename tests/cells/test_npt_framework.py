"""Melting in the NPT stage by the framework's motion (issue 24): the NVT rule
(ionmd.analysis.reliability.is_framework_mobile) on the stage's framework MSD,
measured relative to the changing cell.

The MSD against motions of known size: a cell scaled with its atoms (no atom
leaves its site), an atom crossing the cell's face (wrapped positions), a
drift of the whole framework; and the stage on LJ argon: a crystal at 30 K is
kept, a superheated one at 150 K and 0.1 GPa (LJ argon melts near 120 K there;
the pressure keeps the liquid dense, so the volume rule does not fire) ends
with the framework's reason."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from ase.build import bulk

from ionmd.calculators import load_model
from ionmd.cells.npt import npt_systems
from ionmd.cells.npt_framework import FrameworkMsd, framework_melt_reason
from ionmd.cells.npt_stage import npt_row
from ionmd.cells.settings import CellSettings
from ionmd.engine.systems import SystemSpec


def _state(positions, cells, system_idx, masses=None):
    pos = torch.as_tensor(np.asarray(positions, dtype=np.float64))
    idx = torch.as_tensor(system_idx)
    return SimpleNamespace(
        positions=pos,
        row_vector_cell=torch.as_tensor(np.asarray(cells, dtype=np.float64)),
        system_idx=idx,
        n_systems=int(idx.max()) + 1,
        masses=torch.ones(len(pos), dtype=torch.float64)
        if masses is None
        else torch.as_tensor(masses, dtype=torch.float64),
    )


def test_a_scaled_cell_moves_no_atom_off_its_site():
    rng = np.random.default_rng(0)
    frac = rng.random((6, 3))
    h0 = np.diag([10.0, 11.0, 12.0])
    idx = [0, 0, 0, 1, 1, 1]
    fw = torch.tensor([True, True, False, True, True, True])  # atom 2: mobile
    msd = FrameworkMsd(_state(frac @ h0, [h0, h0], idx), framework=fw)
    h1 = h0 * 1.05  # +16 % in volume, the atoms carried along
    out = msd.sample(_state(frac @ h1, [h1, h1 * 0.97], idx))
    # system 1's cell is not the one its atoms were scaled with: they moved
    assert out[0] == pytest.approx(0.0, abs=1e-20)
    dr = (frac[3:] / 0.97 - frac[3:]) @ (h1 * 0.97)
    assert out[1] == pytest.approx(((dr - dr.mean(0)) ** 2).sum(-1).mean(), rel=1e-9)
    # the Cartesian displacement would have counted the scaling
    naive = ((frac @ h1 - frac @ h0)[:2] ** 2).sum(-1).mean()
    assert naive > 0.1


def test_an_atom_across_the_face_and_a_drift():
    h = np.eye(3) * 10.0
    start = np.array([[9.9, 5.0, 5.0], [5.0, 5.0, 5.0], [1.0, 1.0, 1.0]])
    fw = torch.tensor([True, True, True])
    # heavy atoms 1 and 2: the framework's centre of mass barely moves
    masses = [1.0, 1000.0, 1000.0]
    msd = FrameworkMsd(_state(start, [h], [0, 0, 0], masses), framework=fw)
    moved = start.copy()
    moved[0, 0] = 0.3  # 9.9 → 10.3, wrapped to 0.3: a displacement of 0.4 Å
    got = msd.sample(_state(moved, [h], [0, 0, 0], masses))[0]
    com = 0.4 / 2001.0
    want = ((0.4 - com) ** 2 + 2 * com**2) / 3
    assert got == pytest.approx(want, rel=1e-9)
    # the whole framework drifting by 2 Å is no motion relative to it
    drift = FrameworkMsd(_state(start, [h], [0, 0, 0]), framework=fw)
    moved_all = drift.sample(_state(start + 2.0, [h], [0, 0, 0]))[0]
    assert moved_all == pytest.approx(0.0, abs=1e-20)


def test_the_reason_is_the_nvt_rule():
    t = np.linspace(0.01, 10.0, 1000)
    crystal = 0.2 * (1 - np.exp(-t / 0.2))  # a plateau of 0.2 Å²
    assert framework_melt_reason(time_ps=t, msd_A2=crystal) is None
    liquid = 0.2 + 1.2 * t  # 6D with D = 0.2 Å²/ps
    why = framework_melt_reason(time_ps=t, msd_A2=liquid)
    assert why is not None and "framework MSD 12.2 Å² ≥ 5 Å²" in why
    # high but no longer growing (a jump, then a crystal again): kept, as in NVT
    jump = np.where(t < 2.0, 0.2, 6.0)
    assert framework_melt_reason(time_ps=t, msd_A2=jump) is None


@pytest.fixture(scope="module")
def lj():
    return load_model("lj", device="cpu", dtype=torch.float64)


def test_hot_argon_ends_by_its_framework_a_cold_one_is_kept(lj):
    specs = [
        SystemSpec(
            material_id="Ar",
            atoms=bulk("Ar", "fcc", a=5.3, cubic=True).repeat((2, 2, 2)),
            temperature_K=t,
            run_seed=1,
        )
        for t in (30.0, 150.0)
    ]
    cold, hot = npt_systems(
        specs,
        model=lj,
        settings=CellSettings(cell="npt", npt_ps=4.0, pressure_GPa=0.1),
        timestep_fs=10.0,
        thermostat_tau_fs=100.0,
    )
    assert cold.failed is None
    assert cold.framework_msd_A2.max() < 0.5  # a crystal's vibrations
    assert hot.failed is not None and "framework MSD" in hot.failed
    assert hot.framework_msd_A2.max() > 5.0
    assert len(hot.framework_msd_A2) == len(hot.time_ps)
    row = npt_row(specs[1].atoms, hot, sha="x")
    assert row["failed"] == hot.failed
    assert len(row["framework_msd_A2"]) == len(row["time_ps"])
