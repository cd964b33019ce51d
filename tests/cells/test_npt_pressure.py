"""The stage's pressure estimator (ionmd.cells.npt.observe) is the one MTK's
barostat drives to the target: its kinetic term (1 + 3/N_f) 2 KE/(3V) with
N_f = 3N − 3, i.e. N/(N − 1) · 2 KE'/(3V), KE' without the centre of mass's
kinetic energy (the stage's centre of mass is at rest). Checked against those
formulas on states of known momenta and no stress."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ionmd.cells.npt import observe
from ionmd.cells.settings import GPA_IN_EV_A3


def _state(momenta, masses, system_idx, cells):
    return SimpleNamespace(
        momenta=torch.as_tensor(momenta, dtype=torch.float64),
        masses=torch.as_tensor(masses, dtype=torch.float64),
        system_idx=torch.as_tensor(system_idx),
        row_vector_cell=torch.as_tensor(cells, dtype=torch.float64),
        stress=torch.zeros(len(cells), 3, 3, dtype=torch.float64),
    )


def test_kinetic_pressure_is_the_barostats():
    rng = np.random.default_rng(1)
    n = 8
    masses = rng.uniform(1.0, 50.0, 2 * n)
    p = rng.normal(size=(2 * n, 3))
    p[:n] -= masses[:n, None] * p[:n].sum(0) / masses[:n].sum()  # system 0: at rest
    cells = np.stack([np.eye(3) * 7.0, np.eye(3) * 8.0])
    _, volume, pressure = observe(_state(p, masses, [0] * n + [1] * n, cells))
    ke = [0.5 * (p[s] ** 2 / masses[s, None]).sum() for s in (slice(0, n), slice(n, None))]
    # system 0, centre of mass at rest: what MTK's cell force balances (α 2 KE/3V)
    alpha = 1 + 3 / (3 * n - 3)
    assert pressure[0] * GPA_IN_EV_A3 == pytest.approx(alpha * 2 * ke[0] / (3 * volume[0]))
    # system 1 moves as a whole too: its centre of mass's kinetic energy is no pressure
    m, pc = masses[n:].sum(), p[n:].sum(0)
    ke_int = ke[1] - (pc**2).sum() / (2 * m)
    want = n / (n - 1) * 2 * ke_int / (3 * volume[1])
    assert pressure[1] * GPA_IN_EV_A3 == pytest.approx(want)


def test_a_translating_crystal_has_no_kinetic_pressure():
    masses = np.full(4, 40.0)
    p = np.tile([[3.0, -1.0, 2.0]], (4, 1))
    _, _, pressure = observe(_state(p, masses, [0] * 4, np.eye(3)[None] * 5.0))
    assert pressure[0] == pytest.approx(0.0, abs=1e-12)
