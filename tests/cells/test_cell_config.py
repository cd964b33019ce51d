"""The cell keys: refused in one line before anything loads, in the
fingerprint only when not experimental, left out of the recorded config at the
default (so run files and campaign.json stay as they were)."""

import pytest

from ionmd.campaign.config import RunConfig, config_from_mapping
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
