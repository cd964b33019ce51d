"""The cell keys: refused in one line before anything loads, in the
fingerprint only when not experimental, left out of the recorded config at the
default (so run files and campaign.json stay as they were)."""

import pytest

from ionmd.campaign.config import RunConfig, config_from_mapping
from ionmd.cells.settings import CellSettings
from ionmd.errors import InputError


def test_default_config_records_no_cell_key():
    cfg = RunConfig(materials=("x",))
    assert "cell" not in cfg.as_dict()
    assert not any(k.startswith("relax_") for k in cfg.as_dict())
    assert "cell" not in cfg.protocol_fingerprint()


def test_relaxed_is_in_the_fingerprint():
    base = RunConfig(materials=("x",), model="lj", cell="relaxed")
    fp = base.protocol_fingerprint()
    assert fp["cell"] == "relaxed" and fp["relax_stress_GPa"] == 0.05
    tighter = RunConfig(materials=("x",), model="lj", cell="relaxed", relax_stress_GPa=0.01)
    assert tighter.protocol_fingerprint() != fp
    assert base.as_dict()["cell"] == "relaxed"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"cell": "relax"}, "cell must be one of"),
        ({"cell": "npt", "npt_ps": 0.0}, "npt_ps must be in"),
        ({"cell": "npt", "npt_ps": -1.0}, "npt_ps must be in"),
        ({"cell": "npt", "npt_cell": "cubic"}, "npt_cell must be one of"),
        ({"npt_ps": 5.0}, 'npt_ps is a key of cell = "npt"'),
        ({"cell": "relaxed", "pressure_GPa": 1.0}, 'pressure_GPa is a key of cell = "npt"'),
        ({"cell": "npt", "model": "orb:orb-v3"}, "needs a model that gives a stress"),
        (
            {"cell": "npt", "model": "orb:orb-v3", "npt_ps": 5.0},
            "needs a model that gives a stress",
        ),
        ({"cell": "relaxed", "relax_fmax_eV_A": -0.1}, "relax_fmax_eV_A must be"),
        ({"cell": "relaxed", "relax_stress_GPa": 0.0}, "relax_stress_GPa must be"),
        ({"cell": "relaxed", "relax_max_steps": 0}, "relax_max_steps must be in"),
        # found by a hostile test: these "converged" in 0 FIRE steps
        (
            {"cell": "relaxed", "relax_fmax_eV_A": 1e308},
            r"fmax_eV_A must be in \(0, 1\]",
        ),
        ({"cell": "relaxed", "relax_fmax_eV_A": 1.01}, "relax_fmax_eV_A must be in"),
        (
            {"cell": "relaxed", "relax_stress_GPa": 1e300},
            r"stress_GPa must be in \(0, 10\]",
        ),
        ({"cell": "relaxed", "relax_stress_GPa": 10.5}, "relax_stress_GPa must be in"),
        ({"relax_fmax_eV_A": 0.01}, 'relax_fmax_eV_A is a key of cell = "relaxed"'),
        ({"cell": "relaxed", "model": "orb:orb-v3"}, "needs a model that gives a stress"),
        (
            {"cell": "relaxed", "models": ["lj", "orb:orb-v3"]},
            "orb:orb-v3 does not",
        ),
    ],
)
def test_refused_in_one_line(keys, message):
    mapping = {"materials": ["x"], "model": "lj", **keys}
    if "models" in keys:
        del mapping["model"]
    with pytest.raises(InputError, match=message) as err:
        config_from_mapping(mapping)
    assert "\n" not in str(err.value)


def test_npt_is_in_the_fingerprint_and_relaxed_records_as_before():
    base = RunConfig(materials=("x",), model="lj", cell="npt")
    fp = base.protocol_fingerprint()
    assert fp == {
        **fp,
        "cell": "npt",
        "npt_ps": 10.0,
        "pressure_GPa": 0.0,
        "npt_cell": "isotropic",
    }
    longer = RunConfig(materials=("x",), model="lj", cell="npt", npt_ps=20.0)
    assert longer.protocol_fingerprint() != fp
    assert base.as_dict()["npt_ps"] == 10.0
    relaxed = RunConfig(materials=("x",), model="lj", cell="relaxed")
    assert "npt_ps" not in relaxed.as_dict()
    assert "npt_ps" not in relaxed.protocol_fingerprint()


def test_anisotropic_npt_is_accepted_and_in_the_fingerprint():
    aniso = config_from_mapping(
        {"materials": ["x"], "model": "lj", "cell": "npt", "npt_cell": "anisotropic"}
    )
    iso = RunConfig(materials=("x",), model="lj", cell="npt")
    assert aniso.protocol_fingerprint()["npt_cell"] == "anisotropic"
    assert aniso.protocol_fingerprint() != iso.protocol_fingerprint()
    assert aniso.as_dict()["npt_cell"] == "anisotropic"


def test_model_object_label_is_checked_when_it_runs():
    # a torch-sim model object's label is no model name: not refused here
    RunConfig(materials=("x",), model="object:MyModel", cell="relaxed")


@pytest.mark.parametrize("model", ["sevennet-0", "chgnet"])
def test_real_models_with_a_stress_are_accepted(model):
    config_from_mapping({"materials": ["x"], "model": model, "cell": "relaxed"})


def test_plan_counts_the_npt_stage_as_a_fraction_of_the_production():
    from ionmd.cells.plan import cell_stage_plan, describe_cell_stage

    settings = RunConfig(materials=("x",), model="lj", cell="npt", npt_ps=5.0).cell_settings
    stage = cell_stage_plan([], settings=settings, md_atom_steps=1e6, duration_ps=100.0)
    assert stage["fraction_of_md"] == 0.05 and stage["atom_steps"] == 5e4
    assert "= 5 % of the MD's" in describe_cell_stage(stage)


def test_plan_counts_the_npt_stage_in_whole_steps_and_prints_its_share_plainly():
    # found by a hostile test: "1.7e+03 %" and fractional atom-steps
    from ionmd.cells.plan import cell_stage_plan, describe_cell_stage

    settings = RunConfig(materials=("x",), model="lj", cell="npt", npt_ps=1.0).cell_settings
    rows = [{"atoms": 32, "systems": 2}]
    # 1 ps at 3 fs: round(333.3) = 333 whole steps of 64 atoms; the MD 64 × 20
    stage = cell_stage_plan(rows, settings=settings, md_atom_steps=1280.0, timestep_fs=3.0)
    assert stage["atom_steps"] == 64 * 333
    line = describe_cell_stage(stage)
    assert ": 21,312 atom-steps with stress = 1,665 % of the MD's" in line, line
    short = CellSettings(cell="npt", npt_ps=0.001)
    stage = cell_stage_plan(rows, settings=short, md_atom_steps=1e6, timestep_fs=2.0)
    assert stage["atom_steps"] == 64 * 2  # at least two steps, as the stage runs
    assert ": 128 atom-steps with stress = 0.0128 % of the MD's" in describe_cell_stage(
        stage
    )


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        # a relax_* key outside cell = "relaxed" (npt ignored it silently)
        ({"cell": "npt", "relax_fmax_eV_A": 0.01}, 'relaxed", not of cell = "npt"'),
        # a key the file sets at its default is refused too (it was silently ignored)
        ({"cell": "npt", "relax_max_steps": 1000}, "relax_max_steps is a key of"),
        ({"relax_stress_GPa": 0.05}, r'not of cell = "experimental" \(the default\)'),
        ({"cell": "relaxed", "npt_ps": 10.0}, 'npt_ps is a key of cell = "npt"'),
        ({"cell": "experimental", "pressure_GPa": 0.0}, "pressure_GPa is a key of"),
        ({"cell": "relaxed", "npt_cell": "isotropic"}, "npt_cell is a key of"),
        # a campaign's stage no shorter than the barostat's relaxation time
        ({"cell": "npt", "npt_ps": 0.5}, "shorter than the barostat's relaxation time"),
        ({"cell": "npt", "pressure_GPa": float("nan")}, "pressure_GPa must be in"),
        ({"cell": "npt", "npt_ps": float("inf")}, "npt_ps must be in"),
    ],
)
def test_keys_of_another_cell_mode_are_refused(keys, message):
    with pytest.raises(InputError, match=message) as err:
        config_from_mapping({"materials": ["x"], "model": "lj", **keys})
    assert "\n" not in str(err.value)


def test_keys_of_another_mode_refused_by_value_on_the_python_paths():
    """RunConfig, replace and ionmd.run (which passes the keywords not at their
    default) see values, not what a file set: a relax_* key off its default
    with cell = "npt" is refused there too."""
    with pytest.raises(InputError, match='relax_fmax_eV_A is a key of cell = "relaxed"'):
        RunConfig(materials=("x",), model="lj", cell="npt", relax_fmax_eV_A=0.01)
    npt = RunConfig(materials=("x",), model="lj", cell="npt", npt_ps=20.0)
    with pytest.raises(InputError, match='npt_ps is a key of cell = "npt"'):
        npt.replace(cell="relaxed")
    assert npt.replace(out="elsewhere").cell_settings == npt.cell_settings


@pytest.mark.parametrize("cell", ["experimental", "relaxed", "npt"])
def test_the_recorded_cell_keys_are_the_modes_own_and_read_back(cell):
    """campaign.json's config holds the mode's own keys only, so the cell keys
    it records are accepted as a config again, to the same cell settings."""
    from ionmd.cells.settings import CELL_KEYS, key_mode

    cfg = RunConfig(materials=("x",), model="lj", cell=cell)
    recorded = {k: v for k, v in cfg.as_dict().items() if k in CELL_KEYS}
    assert all(key_mode(k) in (None, cell) for k in recorded)
    again = config_from_mapping({"materials": ["x"], "model": "lj", **recorded})
    assert again.cell_settings == cfg.cell_settings
    assert again.protocol_fingerprint() == cfg.protocol_fingerprint()


def test_stage_tests_may_run_shorter_stages():
    from ionmd.cells.settings import CellSettings

    assert CellSettings(cell="npt", npt_ps=0.3).npt_ps == 0.3


def test_the_shortest_campaign_stage_is_the_barostats_time():
    from ionmd.cells.npt import BAROSTAT_TAU_FS
    from ionmd.cells.settings import MIN_CAMPAIGN_NPT_PS

    assert MIN_CAMPAIGN_NPT_PS * 1000.0 == BAROSTAT_TAU_FS
    RunConfig(materials=("x",), model="lj", cell="npt", npt_ps=MIN_CAMPAIGN_NPT_PS)
