"""OBELiX access: ids, paths (never downloading), structures and experimental values."""

import csv
import warnings

import pytest

from ionmd.datasets import (
    OBELIX21,
    OBELIX22,
    default_obelix_path,
    experimental_sigma_mS_cm,
    load_obelix,
    obelix_structure,
)
from ionmd.datasets.obelix import parse_conductivity_text, resolve_obelix_path
from ionmd.errors import InputError
from ionmd.structures import OccupancyRoundingWarning

IC = "Ionic conductivity (S cm-1)"


def _csv_rows(obelix_dir) -> dict[str, dict[str, str]]:
    with open(obelix_dir / "all.csv", newline="") as fh:
        return {row["ID"]: row for row in csv.DictReader(fh)}


def test_obelix21_ids_unique_and_present(obelix_dir):
    rows = _csv_rows(obelix_dir)
    assert len(OBELIX21) == 21 and len(set(OBELIX21)) == 21
    assert set(OBELIX22) == set(OBELIX21) | {"goi"} and len(OBELIX22) == 22
    assert OBELIX22.index("goi") == OBELIX22.index("rr5") + 1  # Table 2 order
    for material_id in OBELIX22:
        assert material_id in rows
        assert rows[material_id]["Cif ID"] == "done"
        assert (obelix_dir / "all_randomized_cifs" / f"{material_id}.cif").is_file()


def test_obelix21_matches_readme_order(obelix_dir):
    readme = (obelix_dir / "README.md").read_text()
    line = next(x for x in readme.splitlines() if x.startswith("qa9 "))
    assert tuple(line.split("(")[0].split()) == OBELIX21


@pytest.mark.parametrize("material_id", ["qa9", "kfp", "mdp", "gvd", "dth"])
def test_experimental_values_match_raw_csv(obelix_dir, material_id):
    raw = _csv_rows(obelix_dir)[material_id][IC]
    got = experimental_sigma_mS_cm(material_id, data_path=obelix_dir)
    assert got.raw_text == raw
    assert not got.is_upper_bound
    assert got.sigma_mS_cm == pytest.approx(float(raw) * 1000, rel=1e-12)


def test_47i_upper_bound_and_study_convention(obelix_dir):
    assert _csv_rows(obelix_dir)["47i"][IC] == "<1E-10"
    plain = experimental_sigma_mS_cm("47i", data_path=obelix_dir)
    assert plain.is_upper_bound and plain.raw_text == "<1E-10"
    assert plain.sigma_mS_cm == pytest.approx(1e-7)  # the literature bound
    study = experimental_sigma_mS_cm("47i", data_path=obelix_dir, study_convention=True)
    assert study.is_upper_bound
    assert study.sigma_mS_cm == pytest.approx(1e-12)  # what the study used


def test_study_convention_equals_the_obelix_package_loader(obelix_dir):
    from obelix.utils import replace_text_IC

    for material_id, row in _csv_rows(obelix_dir).items():
        raw = row[IC]
        theirs = replace_text_IC(raw, 1e-15)  # OBELiX(unspecified_low_value=1e-15)
        ours = parse_conductivity_text(raw, study_convention=True, what=material_id)
        assert ours.sigma_mS_cm == pytest.approx(float(theirs) * 1000, rel=1e-12)


def test_parse_conductivity_text_errors():
    with pytest.raises(InputError, match="no ionic conductivity"):
        parse_conductivity_text("  ")
    with pytest.raises(InputError, match="cannot read conductivity"):
        parse_conductivity_text("about 1e-3")
    assert parse_conductivity_text("<5E-9").sigma_mS_cm == pytest.approx(5e-6)


def test_unknown_id_suggests_close_matches(obelix_dir):
    with pytest.raises(InputError, match=r"unknown OBELiX id 'qa8'.*qa9"):
        experimental_sigma_mS_cm("qa8", data_path=obelix_dir)
    with pytest.raises(InputError, match="unknown OBELiX id"):
        obelix_structure("zzzzzz", data_path=obelix_dir)


def test_obelix_structure_gvd_is_alpha_li3n(obelix_dir):
    s = obelix_structure("GVD", data_path=obelix_dir)
    assert s.composition.reduced_formula == "Li3N" and len(s) == 4


def test_joc_partial_occupancy_refused_then_rounded(obelix_dir):
    with pytest.raises(InputError, match=r"joc\.cif has 8 partially occupied"):
        obelix_structure("joc", data_path=obelix_dir)
    with pytest.warns(OccupancyRoundingWarning):
        s = obelix_structure("joc", data_path=obelix_dir, round_occupancies=True)
    assert s.composition.reduced_formula == "Li3PS4"


def test_missing_path_never_downloads(tmp_path, monkeypatch):
    import obelix

    def _no_download(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(obelix.OBELiX, "download_data", _no_download)
    missing = tmp_path / "nowhere"
    with pytest.raises(InputError, match="not found"):
        load_obelix(data_path=missing)
    with pytest.raises(InputError, match="not found"):
        experimental_sigma_mS_cm("qa9", data_path=missing)
    assert not missing.exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no all.csv"):
        load_obelix(data_path=tmp_path / "empty")


def test_load_obelix_table_only(obelix_dir):
    ds = load_obelix(data_path=obelix_dir, no_cifs=True)
    rows = _csv_rows(obelix_dir)
    assert len(ds) == len(rows)
    assert ds["47i"][IC] == "<1E-10"  # text kept as written


def test_default_path_and_env(monkeypatch, tmp_path, obelix_dir):
    monkeypatch.delenv("IONMD_OBELIX_DATA", raising=False)
    found = default_obelix_path()
    assert found is not None and found.resolve() == obelix_dir.resolve()
    monkeypatch.setenv("IONMD_OBELIX_DATA", str(tmp_path / "elsewhere"))
    assert default_obelix_path() == tmp_path / "elsewhere"
    with pytest.raises(InputError, match="elsewhere"):
        resolve_obelix_path(None)


def test_all_study_materials_but_joc_fully_occupied(obelix_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", OccupancyRoundingWarning)
        for material_id in OBELIX22:
            if material_id != "joc":
                assert len(obelix_structure(material_id, data_path=obelix_dir)) > 0


@pytest.mark.slow
def test_package_structures_match_ours(obelix_dir):
    """The package's own parse (all 321 CIFs, ~15 s) gives the same structures."""
    ds = load_obelix(data_path=obelix_dir)
    for material_id in ("gvd", "clt", "47i"):
        theirs = ds[material_id]["structure"]
        ours = obelix_structure(material_id, data_path=obelix_dir)
        assert len(theirs) == len(ours)
        assert theirs.composition == ours.composition
        assert theirs.lattice.abc == pytest.approx(ours.lattice.abc)
