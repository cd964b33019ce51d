"""The config by layer: the engine's MDSettings holds the MD protocol only, the
campaign config contains one, the flat TOML is routed to both by one parser, and
campaign.json is a typed record that round-trips."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ionmd.campaign.adaptive.settings import ADAPTIVE_KEYS
from ionmd.campaign.campaign_json import CampaignRecord, read_record
from ionmd.campaign.config import (
    CAMPAIGN_KEYS,
    FLAT_KEYS,
    CampaignConfig,
    config_from_mapping,
    load_config,
)
from ionmd.cells.settings import CELL_KEYS, NPT_KEYS
from ionmd.engine.md_settings import MD_FIELDS, MD_KEYS, MDSettings
from ionmd.errors import InputError


def test_the_protocol_holds_no_campaign_key():
    assert not set(MD_FIELDS) & {
        "materials", "temperatures_K", "model", "device", "out", "obelix_data",
        "round_occupancies", "max_atoms_per_batch", "min_cell_length_A",
    }  # fmt: skip
    assert set(MD_KEYS) <= set(MD_FIELDS)
    # the third layer: the adaptive protocol's keys (and the protocol choice)
    adaptive = {"protocol", *ADAPTIVE_KEYS}
    assert set(FLAT_KEYS) == set(CAMPAIGN_KEYS) | set(MD_FIELDS) | adaptive
    assert not set(CAMPAIGN_KEYS) & set(MD_FIELDS)
    assert not adaptive & (set(CAMPAIGN_KEYS) | set(MD_FIELDS))


def test_flat_toml_is_routed_to_its_layers(tmp_path):
    p = tmp_path / "run.toml"
    p.write_text(
        'materials = ["a"]\ntemperatures_K = [600]\ntimestep_fs = 1.0\n'
        'device = "cpu"\ncueq = "off"\n[executor]\nkind = "threads"\n'
    )
    cfg = load_config(p)
    assert isinstance(cfg, CampaignConfig) and isinstance(cfg.md, MDSettings)
    assert cfg.md.timestep_fs == 1.0 and cfg.md.cueq == "off"
    assert cfg.device == "cpu" and cfg.temperatures_K == (600.0,)
    assert cfg.extra == {"executor": {"kind": "threads"}}
    flat = cfg.as_dict()
    # campaign.json's "config", as before (framework_every_fs only when on,
    # n_replicas only when > 1, the cell keys only when the cell is not experimental)
    later = ("framework_every_fs", "n_replicas", *CELL_KEYS)
    before = [k for k in FLAT_KEYS if k not in later]
    assert list(flat) == [*before, "extra"]
    on = cfg.replace(framework_every_fs=1000.0, n_replicas=2, cell="relaxed").as_dict()
    recorded = [k for k in FLAT_KEYS if k not in NPT_KEYS]  # npt's keys: with cell = "npt"
    assert list(on) == [*recorded, "extra"] and on["framework_every_fs"] == 1000.0
    assert on["n_replicas"] == 2
    assert cfg.replace(timestep_fs=2.0).md.timestep_fs == 2.0
    assert cfg.replace(out="x").md == cfg.md


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"timestep": 2.0}, "did you mean 'timestep_fs'"),  # a protocol key
        ({"devise": "cpu"}, "did you mean 'device'"),  # a campaign key
        ({"chain_length": 2.5}, "chain_length must be an integer"),
        ({"round_occupancies": 1}, "round_occupancies must be true or false"),
    ],
)
def test_one_checker_for_both_layers(data, match):
    with pytest.raises(InputError, match=match):
        config_from_mapping(data, source="t.toml")


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ("execuor", r"unknown table \[execuor\]; did you mean \[executor\]\?"),
        ("vsap", r"unknown table \[vsap\]; did you mean \[vasp\]\?"),
        ("npt", r"unknown table \[npt\] \(the tables: executor, vasp; every other"),
    ],
)
def test_an_unknown_table_is_refused_in_one_line(tmp_path, table, match):
    # found by a hostile test: [execuor] ran on without the intended executor
    path = tmp_path / "c.toml"
    path.write_text(f'materials = ["x"]\nmodel = "lj"\n[{table}]\nkind = "threads"\n')
    with pytest.raises(InputError, match=match) as err:
        load_config(path)
    assert "\n" not in str(err.value)


def test_the_campaign_record_round_trips(tmp_path):
    rec = CampaignRecord(
        config={"out": "x"},
        model={"model_name": "lj", "model_version": "1"},
        plan=[["a_600K"]],
        batches=[{"file": "md.h5", "status": "done"}],
        other={"future_key": 1},
    )
    rec.save(tmp_path / "campaign.json")
    data = json.loads((tmp_path / "campaign.json").read_text())
    # the keys ionmd status, the analysis and older records use; optional ones absent
    assert set(data) == {
        "status", "config", "model", "inputs", "device", "failed_materials",
        "supercells", "batches", "plan", "future_key",
    }  # fmt: skip
    back = read_record(tmp_path)
    assert back == rec and back.done_files() == {"md.h5"}
    assert dataclasses.replace(back, analysed=True).to_json()["analysed"] is True
