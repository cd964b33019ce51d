"""benchmarks.cells_li3n_npt's analysis and model wrapper, and
benchmarks.cells_li3n_d's NPT cell, against numbers known by construction."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from benchmarks.cells_li3n_d import npt_cell_structure
from benchmarks.cells_li3n_npt import Watched, block_stats, summary
from ionmd.cells.settings import GPA_IN_EV_A3
from ionmd.cells.stress import stress_on

CELL = np.array([[3.648, 0.0, 0.0], [-1.824, 3.159260, 0.0], [0.0, 0.0, 3.875]]) * 2


def test_summary_known_series() -> None:
    """A volume that sits at +1 % in the first half and drifts linearly from
    +2 % to +4 % in the second: the second half's mean +3 %, its quarters
    +2.5 % and +3.5 %, a/a_exp and c/c_exp the cube root of the mean cell's."""
    v0 = abs(np.linalg.det(CELL))
    second = v0 * np.linspace(1.02, 1.04, 100)
    volume = np.concatenate([np.full(100, 1.01 * v0), second])
    pressure = np.concatenate([np.full(100, 5.0), np.full(100, -0.25)])
    s = summary(
        cell_exp=CELL, cell=CELL * 1.03 ** (1 / 3), volume=volume, pressure=pressure,
        blocks=4,
    )  # fmt: skip
    assert s["volume_change_pct"] == pytest.approx(3.0, abs=1e-9)
    assert s["mean_volume_change_pct"] == pytest.approx(3.0, abs=1e-9)
    assert s["first_quarter_pct"] == pytest.approx(2.5, abs=0.01)
    assert s["last_quarter_pct"] == pytest.approx(3.5, abs=0.01)
    assert s["a_ratio"] == pytest.approx(1.03 ** (1 / 3)) == s["c_ratio"]
    assert s["mean_pressure_GPa"] == pytest.approx(-0.25)


def test_block_se_of_independent_samples() -> None:
    """Independent N(0, 1) samples: the block standard error is 1/sqrt(n)
    (within its own sampling error: ~10 blocks, ±25 %)."""
    x = np.random.default_rng(7).standard_normal(10_000)
    mean, se = block_stats(x, blocks=10)
    assert se == pytest.approx(0.01, rel=0.5)
    assert abs(mean) < 4 * 0.01


class _Model:
    device, dtype = torch.device("cpu"), torch.float64

    def __init__(self) -> None:
        self._compute_stress = False

    def __call__(self, state):
        n = int(state.system_idx.max()) + 1
        out = {"forces": torch.zeros_like(state.positions)}
        if self._compute_stress:  # −1 GPa on the diagonal: +1 GPa of virial pressure
            out["stress"] = (
                -torch.eye(3, dtype=torch.float64).repeat(n, 1, 1) * GPA_IN_EV_A3
            )
        return out


def test_watched_forwards_the_switch_and_records(tmp_path) -> None:
    """The wrapper's stress switch is the model's own, its output the model's,
    and what it records every ``every`` calls is the cell, volume and pressure
    (no momenta: pressure = −tr σ/3 = +1 GPa)."""
    inner = _Model()
    w = Watched(inner, every=2, timestep_fs=2.0, partial=tmp_path / "p.json", meta={"m": 1})
    state = SimpleNamespace(
        positions=torch.zeros(3, 3, dtype=torch.float64),
        momenta=torch.zeros(3, 3, dtype=torch.float64),
        masses=torch.ones(3, dtype=torch.float64),
        system_idx=torch.tensor([0, 0, 1]),
        row_vector_cell=torch.as_tensor(np.stack([CELL, 2 * CELL])),
    )
    with stress_on(w):
        assert inner._compute_stress
        outs = [w(state) for _ in range(30)]
    assert not inner._compute_stress
    assert "stress" in outs[-1]
    assert len(w.rows) == 14  # calls 2, 4, …, 28 (call 0 is the integrator's init)
    t, cell, vol, p = w.rows[-1]
    assert t == pytest.approx(0.056)
    assert vol == pytest.approx([abs(np.linalg.det(CELL)), 8 * abs(np.linalg.det(CELL))])
    assert p == pytest.approx([1.0, 1.0])
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["m"] == 1 and len(doc["volume_A3"]) == 12  # written at call 25


def test_npt_cell_structure_has_the_stage_volume(tmp_path) -> None:
    """The unit cell given to the 800 K run has the stage's volume ratio, the
    builtin's shape (c/a) and its site order."""
    from ionmd.structures.builders import alpha_li3n

    doc = {
        "meta": {
            "model": "x",
            "keys": ["a_300K", "a_800K"],
            "temperatures_K": [300.0, 800.0],
        },
        "cells": {
            "a_300K": {
                "cell_A": (CELL * 1.1).tolist(),
                "experimental_cell_A": CELL.tolist(),
            },
            "a_800K": {
                "cell_A": (CELL * 1.01).tolist(),
                "experimental_cell_A": CELL.tolist(),
            },
        },
    }
    (tmp_path / "npt.json").write_text(json.dumps(doc))
    s = npt_cell_structure(npt_json=tmp_path / "npt.json")
    ref = alpha_li3n()
    assert s.volume / ref.volume == pytest.approx(1.01**3, rel=1e-12)
    assert s.lattice.c / s.lattice.a == pytest.approx(ref.lattice.c / ref.lattice.a)
    assert [str(x.specie) for x in s] == [str(x.specie) for x in ref]
