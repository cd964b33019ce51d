"""occupancy = "order" through the campaign: config keys, ``ionmd plan``, a
tiny LJ campaign of a constructed disordered cell whose orderings run as
replicas and are pooled, and (slow) a smoke campaign over OBELiX materials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pymatgen.core import Lattice, Structure

from ionmd.campaign.config import config_from_mapping
from ionmd.cli import main
from ionmd.errors import InputError

from .tiny import CONFIG


def disordered_cif(path: Path) -> Path:
    """fcc argon (5.26 Å) with two of its four sites Li at 1/2: 16 Li sites in
    the 2x2x2 supercell, 8 filled, 16 Ar."""
    s = Structure(
        Lattice.cubic(5.26),
        [{"Li": 0.5}, {"Li": 0.5}, "Ar", "Ar"],
        [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]],
    )
    s.to(filename=str(path))
    return path


def refused_cif(path: Path) -> Path:
    """A Na site at 0.002 in a 10.5 Å cube of 4.3 atoms: Na 0.002 -> 0, and
    keeping it within 5 % would take ~500 cells, above the 1,000-atom limit."""
    s = Structure(
        Lattice.cubic(10.5),
        ["Li", "Li", {"Li": 0.3}, "Ar", {"Na": 0.002}],
        [[0, 0, 0], [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], [0.5, 0, 0], [0, 0.5, 0]],
    )
    s.to(filename=str(path))
    return path


def test_occupancy_keys():
    assert config_from_mapping({}).occupancy_mode == "refuse"
    assert config_from_mapping({"round_occupancies": True}).occupancy_mode == "round"
    assert config_from_mapping({"occupancy": "round"}).occupancy_mode == "round"
    cfg = config_from_mapping({"occupancy": "order"})
    assert cfg.occupancy_mode == "order" and cfg.n_orderings == 4
    with pytest.raises(InputError, match="occupancy must be refuse, round or order"):
        config_from_mapping({"occupancy": "sqs"})
    with pytest.raises(InputError, match="contradict"):
        config_from_mapping({"occupancy": "order", "round_occupancies": True})
    with pytest.raises(InputError, match="n_orderings"):
        config_from_mapping({"n_orderings": 0})


def _config(tmp_path: Path, cifs: list[Path], extra: str = "") -> Path:
    text = CONFIG.format(
        materials=", ".join(f'"{c}"' for c in cifs),
        model="lj",
        temps="30, 40",
        timestep_fs=5,
        duration_ps=0.6,
        out=tmp_path / "out",
    ).replace("max_atoms_per_batch = 32", "max_atoms_per_batch = 0")
    cfg = tmp_path / "c.toml"
    cfg.write_text(text + extra)
    return cfg


def test_plan_lists_orderings_and_one_line_per_refusal(tmp_path, capsys):
    cifs = [disordered_cif(tmp_path / "dis.cif"), refused_cif(tmp_path / "bad.cif")]
    cfg = _config(tmp_path, cifs, 'occupancy = "order"\nn_orderings = 3\n')
    assert main(["plan", str(cfg), "--json", str(tmp_path / "plan.json")]) == 0
    out = capsys.readouterr().out
    assert (
        "bad          cannot run: bad: ordering impossible within tolerance: Na 0.002 -> 0"
        in out
    )
    plan = json.loads((tmp_path / "plan.json").read_text())
    dis = plan["materials"][0]
    assert dis["supercell"] == [2, 2, 2] and dis["atoms"] == 24
    assert dis["orderings"] == 3 and dis["systems"] == 6
    assert dis["atom_steps"] == 24 * 6 * 120
    assert plan["totals"]["n_runnable"] == 1 and plan["totals"]["n_skipped"] == 1
    assert plan["us_per_atom_step"] is None  # lj has no cost anchor: no cost
    assert "lj" in plan["model_elements"]
    assert not (tmp_path / "out").exists()  # no MD, nothing written
    # --place: the orderings ionmd run will have (symmetry-distinct ones only)
    assert main(["plan", str(cfg), "--place", "--json", str(tmp_path / "p.json")]) == 0
    placed = json.loads((tmp_path / "p.json").read_text())["materials"][0]
    assert 1 <= placed["orderings"] <= 3
    assert placed["systems"] == 2 * placed["orderings"]
    assert placed["orderings"] == min(3, placed["symmetry_distinct_found"])


def test_orderings_run_as_replicas_and_are_pooled(tmp_path):
    cifs = [disordered_cif(tmp_path / "dis.cif"), refused_cif(tmp_path / "bad.cif")]
    cfg = _config(tmp_path, cifs, 'occupancy = "order"\nn_orderings = 2\n')
    assert main(["run", str(cfg)]) == 0
    record = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert len(record["plan"]) == 1
    assert sorted(record["plan"][0]) == [
        "dis_o1_30K",
        "dis_o1_40K",
        "dis_o2_30K",
        "dis_o2_40K",
    ]  # both orderings at both temperatures, one batch
    assert "ordering impossible within tolerance" in record["failed_materials"]["bad"]
    made = record["orderings"]["dis"]["orderings"]
    assert made["dis#o1"]["rank"] == 1 and made["dis#o2"]["rank"] == 2
    assert made["dis#o1"]["composition_ordered"] == {"Ar": 16, "Li": 8}
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {"dis#o1", "dis#o2"} <= set(results["materials"])
    pooled = results["pooled_orderings"]["dis"]
    assert pooled["orderings"] == ["dis#o1", "dis#o2"]
    assert [t["temperature_K"] for t in pooled["temperatures"]] == [30.0, 40.0]
    assert all(t["n_orderings"] == 2 for t in pooled["temperatures"])


def test_obelix_cif_names_every_entry_with_li():
    from ionmd.datasets.obelix import default_obelix_path, obelix_cif_ids

    if default_obelix_path() is None:
        pytest.skip("no local OBELiX copy")
    ids = obelix_cif_ids()
    assert len(ids) == 314 and "joc" in ids and len(set(ids)) == len(ids)
    from ionmd.campaign.materials import material_sources

    sources = material_sources("obelix-cif", obelix_data=None)
    assert [s.material_id for s in sources] == ids
    assert {s.kind for s in sources} == {"obelix"}


SMOKE = """
materials = ["jqc", "pa1"]
occupancy = "order"
n_orderings = 2
model = "mace-tiny"
temperatures_K = [800]
timestep_fs = 1
duration_ps = 0.2
equilibration_ps = 0.05
sample_every_fs = 10
msd_every_fs = 5
thermo_every_fs = 10
fault_check_every_fs = 5
flush_every_ps = 0.1
progress = false
seed = 1
out = "{out}"
"""


@pytest.mark.slow
def test_smoke_campaign_over_disordered_obelix_materials(tmp_path):
    """jqc (Li7BiO6: Li vacancies, Bi5+ found for neutrality) and pa1
    (Li26.46 Ge2.46 P1.54 S20 I4: Ge/P): two orderings each, one batch, pooled.
    (bnh, used before, is refused since issue 21: its 122 Li on 120 split-site
    pairs cannot keep Li-Li >= 1.89 Å.)"""
    from ionmd.datasets.obelix import default_obelix_path

    if default_obelix_path() is None:
        pytest.skip("no local OBELiX copy")
    cfg = tmp_path / "smoke.toml"
    cfg.write_text(SMOKE.format(out=tmp_path / "out"))
    assert main(["run", str(cfg)]) == 0
    record = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert record["failed_materials"] == {} and len(record["plan"]) == 1
    for base in ("jqc", "pa1"):
        made = record["orderings"][base]["orderings"]
        assert len(made) == 2 and all(m["charge_e"] == 0 for m in made.values())
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    for base in ("jqc", "pa1"):
        (t,) = results["pooled_orderings"][base]["temperatures"]
        assert t["n_orderings"] == 2 and t["D_cm2_s"] > 0
