"""``n_replicas`` (issue 21): independent copies of each (material, temperature,
ordering) with their own velocities, in the same batch, pooled like orderings;
in the TOML and ``ionmd.run``, in the fingerprint and in ``ionmd plan``'s cost;
with ``n_replicas = 1`` nothing changes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ionmd.campaign.config import FLAT_KEYS, config_from_mapping, flat_defaults
from ionmd.cli import main
from ionmd.errors import InputError

from .test_disorder_campaign import _config, disordered_cif
from .tiny import keep_signal_handlers, run_file_arrays, write_cif  # noqa: F401

pytestmark = pytest.mark.usefixtures("keep_signal_handlers")


def test_n_replicas_key_and_fingerprint():
    assert "n_replicas" in FLAT_KEYS and flat_defaults()["n_replicas"] == 1
    one, four = config_from_mapping({}), config_from_mapping({"n_replicas": 4})
    assert one.n_replicas == 1 and four.n_replicas == 4
    assert four.as_dict()["n_replicas"] == 4
    # one replica: the study's fingerprint exactly as before (old OUT dirs resume)
    assert one.protocol_fingerprint() == one.md.fingerprint_fields()
    assert four.protocol_fingerprint()["n_replicas"] == 4
    adaptive = config_from_mapping({"protocol": "adaptive", "n_replicas": 2})
    assert adaptive.protocol_fingerprint()["n_replicas"] == 2
    for bad in (0, 65, "2", 1.5):
        with pytest.raises(InputError, match="n_replicas"):
            config_from_mapping({"n_replicas": bad})


def test_replicas_have_their_own_seeds_and_the_first_is_unchanged():
    from ase.build import bulk

    from ionmd.campaign.replicas import with_replicas
    from ionmd.engine.systems import SystemSpec

    spec = SystemSpec(material_id="x", atoms=bulk("Li"), temperature_K=800.0, run_seed=7)
    systems = {"x": [spec]}
    assert with_replicas(systems, n_replicas=1) is systems
    out = with_replicas(systems, n_replicas=3)
    assert list(out) == ["x", "x#r2", "x#r3"]
    (first,), (second,), (third,) = out.values()
    assert first.seed == spec.seed and first.key == spec.key == "x_800K"
    assert first.content_sha256() == spec.content_sha256()
    assert second.key == "x_r2_800K" and len({first.seed, second.seed, third.seed}) == 3
    assert np.array_equal(second.atoms.positions, spec.atoms.positions)
    with pytest.raises(InputError, match="reserved for replicas"):
        with_replicas({"a#r2": [spec]}, n_replicas=2)


def test_plan_counts_replicas_in_systems_and_cost(tmp_path):
    from ionmd.campaign.cost_projection import plan_campaign

    cifs = [disordered_cif(tmp_path / "dis.cif"), write_cif(tmp_path / "lj.cif")]
    base = config_from_mapping(
        {
            "materials": [str(c) for c in cifs],
            "model": "lj",
            "occupancy": "order",
            "n_orderings": 2,
            "temperatures_K": [30, 40],
            "duration_ps": 0.6,
            "timestep_fs": 5.0,
            "equilibration_ps": 0.1,
        }  # fmt: skip
    )
    plans = [
        plan_campaign(base.replace(n_replicas=k), us_per_atom_step=3.0) for k in (1, 3)
    ]
    for one, three in zip(plans[0]["materials"], plans[1]["materials"], strict=True):
        assert one["replicas"] == 1 and three["replicas"] == 3
        assert three["systems"] == 3 * one["systems"]
        assert three["atom_steps"] == 3 * one["atom_steps"]
    assert plans[1]["materials"][0]["systems"] == 2 * 3 * 2  # orderings x replicas x T
    assert plans[1]["totals"]["gpu_hours"] == pytest.approx(
        3 * plans[0]["totals"]["gpu_hours"]
    )
    assert plans[1]["config"]["n_replicas"] == 3


def test_replicas_run_in_one_batch_and_are_pooled(tmp_path):
    """Two replicas through ``ionmd.run`` (one batch): results.json has each
    replica and ``pooled_replicas`` with the pooled D; the first replica's data
    are those of the same campaign without replicas (CLI, n_replicas = 1),
    number for number."""
    import ionmd

    cif = write_cif(tmp_path / "lj_li.cif")
    cfg = _config(tmp_path, [cif], "n_replicas = 1\n")
    assert main(["run", str(cfg)]) == 0
    single = run_file_arrays(tmp_path / "out" / "md.h5")
    ionmd.run(
        [str(cif)], temperatures_K=[30, 40], model="lj", out=tmp_path / "rep",
        min_cell_length_A=10, timestep_fs=5, duration_ps=0.6, equilibration_ps=0.1,
        sample_every_fs=25, msd_every_fs=10, thermo_every_fs=25, flush_every_ps=0.1,
        progress=False, seed=7, n_replicas=2,
    )  # fmt: skip
    record = json.loads((tmp_path / "rep" / "campaign.json").read_text())
    assert sorted(record["plan"][0]) == [
        "lj_li_30K", "lj_li_40K", "lj_li_r2_30K", "lj_li_r2_40K"
    ]  # fmt: skip
    assert record["inputs"]["protocol"]["n_replicas"] == 2
    both = run_file_arrays(tmp_path / "rep" / "md.h5")
    for key, arr in single.items():  # batch-invariant: replica 1 == no replicas
        assert np.array_equal(both[key], arr), key
    assert not np.array_equal(
        both["lj_li_30K/positions"], both["lj_li_r2_30K/positions"]
    )  # own velocities
    results = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert {"lj_li", "lj_li#r2"} <= set(results["materials"])
    pooled = results["pooled_replicas"]["lj_li"]
    assert pooled["replicas"] == ["lj_li", "lj_li#r2"]
    for t in pooled["temperatures"]:
        by = {
            mid: r["D_cm2_s"]
            for mid in ("lj_li", "lj_li#r2")
            for r in results["materials"][mid]["temperatures"]
            if r["temperature_K"] == t["temperature_K"]
        }
        assert t["n_replicas"] == 2
        assert t["D_by_replica_cm2_s"] == pytest.approx([by["lj_li"], by["lj_li#r2"]])
        assert t["D_cm2_s"] == pytest.approx((by["lj_li"] + by["lj_li#r2"]) / 2)
    assert results["summary"]["n_materials_requested"] == 1
    assert "D pooled over the replicas" in (tmp_path / "rep" / "report.md").read_text()
