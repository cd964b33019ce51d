"""``cell = "npt"`` runs its stage (force and stress) in the batch, so the
batch's memory model is measured with the model's stress on: more bytes per
atom than a force call alone, so fewer atoms per batch (before: measured
without it, a batch packed to the NVT limit could run out of memory in its
stage)."""

import numpy as np
import torch
from ase.build import bulk

from ionmd.campaign.memory import bytes_per_atom
from ionmd.engine.systems import SystemSpec


class Model:
    device, dtype = torch.device("cpu"), torch.float64

    def __init__(self) -> None:
        self._compute_stress = False
        self.calls: list[bool] = []

    def __call__(self, state):
        self.calls.append(self._compute_stress)
        return {}


def test_bytes_per_atom_with_stress_is_measured_with_the_stress_on(monkeypatch):
    model = Model()
    peaks = {False: 4_000.0, True: 10_000.0}  # a stress call holds more
    for name in ("synchronize", "reset_peak_memory_stats"):
        monkeypatch.setattr(torch.cuda, name, lambda *a, **k: None)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda *a, **k: 0)
    monkeypatch.setattr(
        torch.cuda, "max_memory_allocated", lambda *a, **k: peaks[model.calls[-1]]
    )
    atoms = bulk("Ar", "fcc", a=5.3, cubic=True)
    atoms.set_chemical_symbols(["Li", "Ar", "Ar", "Ar"])
    systems = [SystemSpec(material_id="x", atoms=atoms, temperature_K=300.0, run_seed=0)]
    plain = bytes_per_atom(model, systems)
    stressed = bytes_per_atom(model, systems, with_stress=True)
    assert model.calls == [False, True] and model._compute_stress is False
    np.testing.assert_allclose([plain, stressed], [1000.0, 2500.0])


def test_the_study_protocol_asks_for_it_under_npt(monkeypatch, tmp_path):
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.protocols import study_protocol

    asked = []

    def fake(model, systems, **kw):
        asked.append(kw.get("with_stress", False))
        return 0

    monkeypatch.setattr(study_protocol, "auto_max_atoms", fake)
    monkeypatch.setattr(study_protocol, "plan_batches", lambda *a, **k: [])
    for cell in ("experimental", "npt"):
        cfg = RunConfig(materials=("x",), model="lj", cell=cell)
        plan = type("Plan", (), {"systems": []})()
        study_protocol.StudyProtocol(config=cfg).batches(
            plan=plan, model=None, previous=None, out=tmp_path, on_executor=False
        )
    assert asked == [False, True]
