"""In-memory structures get names that do not depend on their library or their
place in the list: a dict key, ``info["name"]`` / ``properties["name"]``, else
the reduced formula and a short hash of the content."""

import re

import numpy as np
from ase import Atoms
from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor

import ionmd
from ionmd import api


def li3n_ase() -> Atoms:
    a, c = 3.648, 3.875
    cell = [[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, c]]
    frac = [[0, 0, 0], [1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0], [0, 0, 0.5]]
    return Atoms("NLi3", scaled_positions=frac, cell=cell, pbc=True)


def li_kr(a: float) -> Structure:
    return Structure(Lattice.cubic(a), ["Li", "Kr"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def _names(monkeypatch, tmp_path, materials) -> list[str]:
    """The material names ionmd.run gives ``materials`` (file stems in OUT/inputs)."""
    seen = []
    monkeypatch.setattr(api, "run_config", lambda config, **kw: seen.append(config))
    ionmd.run(materials, model="lj", out=tmp_path / "o")
    return [p.rsplit("/", 1)[-1].rsplit(".", 1)[0] for p in seen[-1].materials]


def test_reordering_the_list_keeps_every_name(monkeypatch, tmp_path):
    items = [li3n_ase(), li_kr(5.0), li_kr(5.2)]
    forward = _names(monkeypatch, tmp_path, items)
    backward = _names(monkeypatch, tmp_path, items[::-1])
    assert backward == forward[::-1]
    assert len(set(forward)) == 3  # before: Li3N, KrLi-1, KrLi-2, renamed on reorder
    assert re.fullmatch(r"Li3N-[0-9a-f]{6}", forward[0]), forward


def test_the_same_structure_from_ase_or_pymatgen_has_one_name(monkeypatch, tmp_path):
    """Reduced formula from either library (ASE gave the full one: Li6Kr... / NLi3)."""
    atoms = AseAtomsAdaptor.get_atoms(li_kr(5.0) * (2, 1, 1))
    from_ase = _names(monkeypatch, tmp_path, [atoms])
    from_pmg = _names(monkeypatch, tmp_path, [li_kr(5.0) * (2, 1, 1)])
    assert from_ase == from_pmg and from_ase[0].startswith("LiKr-"), from_ase


def test_a_given_name_wins(monkeypatch, tmp_path):
    atoms = li3n_ase()
    atoms.info["name"] = "alpha"
    s = li_kr(5.0)
    s.properties["name"] = "likr"
    assert _names(monkeypatch, tmp_path, [s, atoms]) == ["likr", "alpha"]
    assert _names(monkeypatch, tmp_path, {"x": s}) == ["x"]
