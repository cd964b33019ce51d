"""The written INCAR/KPOINTS/POSCAR/POTCAR.spec carry exactly the study's settings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pymatgen.io.vasp.inputs import Incar, Kpoints, Poscar
from pymatgen.io.vasp.sets import MPMDSet, MPRelaxSet

from ionmd.vasp_bridge.config import campaign_from_dict
from ionmd.vasp_bridge.potcar import potcar_library, read_potcar_spec
from ionmd.vasp_bridge.prepare import prepare_run
from ionmd.vasp_bridge.structures import load_material
from ionmd.vasp_bridge.vasp_inputs import sort_with_map

# be9 (LiGaBr4), 9zk (Li5GaO4, primitive as in the study), gvd (alpha-Li3N)
MATERIALS = ("be9", "9zk", "gvd")


@pytest.fixture
def obelix(shared):
    path = shared / "data" / "obelix"
    if not (path / "all.csv").exists():
        pytest.skip(f"OBELiX data not found at {path}")
    return path


def _campaign(obelix, **vasp):
    return campaign_from_dict(
        {
            "materials": list(MATERIALS),
            "temperatures_K": [1000],
            "obelix_data": str(obelix),
            "vasp": {"overrides": {"9zk": {"supercell": "primitive"}}, **vasp},
        }
    )


@pytest.mark.parametrize("material", MATERIALS)
def test_written_inputs_carry_the_study_settings(tmp_path, obelix, material):
    campaign = _campaign(obelix)
    run = prepare_run(
        campaign, material_id=material, temperature_K=1000.0, out_dir=tmp_path
    )
    incar = Incar.from_file(run / "INCAR")
    n_atoms = len(Poscar.from_file(run / "POSCAR").structure)
    expected = {
        "ENCUT": 520.0,
        "IBRION": 0,
        "MDALGO": 2,
        "ISIF": 2,
        "SMASS": 0.0,
        "POTIM": 2.0,
        "TEBEG": 1000.0,
        "TEEND": 1000.0,
        "NSW": 50_000,
        "ISPIN": 1,
        "LDAU": False,
        "ISYM": 0,
        "NBLOCK": 10,
        "EDIFF": pytest.approx(1e-5 * n_atoms),
    }
    for tag, value in expected.items():
        assert incar[tag] == value, tag
    # the MPMDSet traps: no invalid tag, no Hubbard U values, no magnetic moments
    assert "EDIFF_PER_ATOM" not in incar
    assert not any(t in incar for t in ("LDAUU", "LDAUJ", "MAGMOM"))
    # Gamma-only 1x1x1
    kpts = Kpoints.from_file(run / "KPOINTS")
    assert kpts.style == Kpoints.supported_modes.Gamma
    assert tuple(kpts.kpts[0]) == (1, 1, 1)
    # segments: same settings, NSW adding up to the whole run
    record = json.loads((run / "ionmd_vasp.json").read_text())
    nsw = [
        Incar.from_file(run / f"seg_{i:03d}" / "INCAR")["NSW"]
        for i in range(len(record["segments"]))
    ]
    assert sum(nsw) == 50_000 and nsw == record["segments"]
    seg0 = Incar.from_file(run / "seg_000" / "INCAR")
    assert {k: v for k, v in seg0.items() if k != "NSW"} == {
        k: v for k, v in incar.items() if k != "NSW"
    }


@pytest.mark.parametrize("material", MATERIALS)
def test_poscar_is_the_sorted_supercell_with_its_map(tmp_path, obelix, material):
    campaign = _campaign(obelix)
    run = prepare_run(
        campaign, material_id=material, temperature_K=1000.0, out_dir=tmp_path
    )
    record = json.loads((run / "ionmd_vasp.json").read_text())
    written = Poscar.from_file(run / "POSCAR").structure
    unit = load_material(material, obelix_data=obelix)
    if material == "9zk":
        cell = unit.get_primitive_structure()
    else:
        # independent of the engine's helper: n_i = ceil(10 / perpendicular width)
        m = unit.lattice.matrix
        vol = abs(np.linalg.det(m))
        widths = [
            vol / np.linalg.norm(np.cross(m[(i + 1) % 3], m[(i + 2) % 3])) for i in range(3)
        ]
        n = [int(np.ceil(10.0 / w - 1e-8)) for w in widths]
        assert np.diag(record["supercell"]).tolist() == n
        cell = unit.make_supercell(n, in_place=False)
        assert min(written.lattice.abc) >= 10.0 - 1e-6 or min(widths) * min(n) >= 10.0
    assert len(written) == len(cell) == record["n_atoms"]
    # VASP groups atoms by element: each element appears in one contiguous block
    symbols = [s.specie.symbol for s in written]
    blocks = [s for i, s in enumerate(symbols) if i == 0 or symbols[i - 1] != s]
    assert len(blocks) == len(set(symbols))
    # the map gives back the unsorted cell, atom by atom
    sort_map = np.array(record["sort_map"])
    assert sorted(sort_map.tolist()) == list(range(len(cell)))
    unsorted = [cell[int(i)] for i in sort_map]
    assert [s.specie.symbol for s in unsorted] == symbols
    d = written.frac_coords - np.array([s.frac_coords for s in unsorted])
    d -= np.round(d)
    assert np.abs(d).max() < 1e-6


def test_sort_is_pymatgens_own_sort(obelix):
    from pymatgen.core import Structure

    unit = load_material("be9", obelix_data=obelix)
    perm = np.random.default_rng(5).permutation(len(unit))
    s = Structure.from_sites([unit[int(i)] for i in perm])  # elements interleaved
    mine, order = sort_with_map(s)
    theirs = s.get_sorted_structure()
    assert [x.specie.symbol for x in mine] == [x.specie.symbol for x in theirs]
    np.testing.assert_allclose(mine.frac_coords, theirs.frac_coords)
    assert order.tolist() != list(range(len(s)))
    np.testing.assert_allclose(mine.frac_coords, s.frac_coords[order])


@pytest.mark.parametrize("material", MATERIALS)
def test_potcar_spec_lists_the_mp_symbols(tmp_path, obelix, material):
    if potcar_library() is not None:
        pytest.skip("a POTCAR library is configured: POTCAR written instead of the spec")
    run = prepare_run(
        _campaign(obelix), material_id=material, temperature_K=1000.0, out_dir=tmp_path
    )
    assert not (run / "POTCAR").exists()
    symbols = read_potcar_spec(run / "POTCAR.spec")
    mp_map = MPRelaxSet.CONFIG["POTCAR"]  # the Materials Project mapping
    elements = Poscar.from_file(run / "POSCAR").site_symbols
    assert symbols == [mp_map[e] for e in elements]
    assert "Li_sv" in symbols


def test_mpmdset_alone_has_the_known_traps(obelix):
    """What the bridge repairs (if pymatgen fixes these, the repair stays harmless)."""
    s = load_material("gvd", obelix_data=obelix)
    incar = MPMDSet(s, start_temp=1000, end_temp=1000, nsteps=10, time_step=2).incar
    assert "ENCUT" not in incar
    assert "MDALGO" not in incar
    assert incar["EDIFF_PER_ATOM"] == 1e-5  # what it means, as an invalid tag
    assert incar["EDIFF"] == pytest.approx(5e-5 * len(s))  # what it writes


def test_per_material_incar_and_smass_overrides(tmp_path, obelix):
    campaign = campaign_from_dict(
        {
            "materials": ["gvd"],
            "temperatures_K": [800],
            "obelix_data": str(obelix),
            "vasp": {
                "smass": 1.5,
                "overrides": {"gvd": {"incar": {"NELM": 120}, "supercell": [2, 2, 2]}},
            },
        }
    )
    run = prepare_run(campaign, material_id="gvd", temperature_K=800, out_dir=tmp_path)
    incar = Incar.from_file(run / "INCAR")
    assert incar["SMASS"] == 1.5 and incar["NELM"] == 120 and incar["MDALGO"] == 2
    assert len(Poscar.from_file(run / "POSCAR").structure) == 4 * 8
