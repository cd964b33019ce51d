"""Every requested material and temperature is accounted for: the "reliable at
every temperature" subset needs all *requested* temperatures analysed and
reliable, and results.json lists every requested material with a status."""

import json

import numpy as np
from analysis_helpers import random_walk

from ionmd.analysis.diffusion import DiffusionSettings
from ionmd.fileformat import RunFileWriter, SystemInfo, SystemUpdate, system_key
from ionmd.report.analysis_files import analyse_paths, analyze_run_dir

CELL = np.diag([15.0, 15.0, 15.0])
SPECIES = ("Li",) * 24 + ("N",) * 8
REQUESTED = (800.0, 1000.0, 1200.0)
NO_KINISI = DiffusionSettings(use_kinisi=False)


def _run_file(path, systems, *, n_frames=301, every=50, temps=REQUESTED):
    """``systems``: (material, T, status) triples; D large enough to be reliable."""
    w = RunFileWriter(path, config_json=json.dumps({"temperatures_K": list(temps)}))
    infos = [
        SystemInfo(
            key=system_key(mid, T),
            material_id=mid,
            formula="Li3N",
            temperature_K=T,
            timestep_fs=2.0,
            steps_total=every * n_frames,
            equilibration_steps=0,
            sample_every_steps=every,
            cell=CELL,
            species=SPECIES,
        )
        for mid, T, _ in systems
    ]
    w.create_systems(infos)
    for k, (info, (_, T, status)) in enumerate(zip(infos, systems, strict=True)):
        D = 0.3 * np.exp(-2000 * (1 / T - 1 / 1000))  # A2/ps: MSD >> 20 A2 at all T
        pos = random_walk(n_frames=n_frames, n_walkers=24, D_A2_ps=D, dt_ps=0.1, seed=k)
        w.write(
            [
                SystemUpdate(
                    key=info.key,
                    positions=pos,
                    position_steps=np.arange(n_frames) * every,
                    steps_done=every * n_frames,
                    status=status,
                    failure_reason="temperature ran away" if status == "failed" else None,
                )
            ]
        )


def test_failed_or_missing_temperature_leaves_the_reliable_subset(tmp_path, obelix_dir):
    # three OBELiX ids (measured sigma known): complete, one T failed, one T missing
    full, failed, missing = "jqc", "oi6", "gvd"
    systems = [(full, T, "done") for T in REQUESTED]
    systems += [(failed, 800.0, "done"), (failed, 1000.0, "done")]
    systems += [(failed, 1200.0, "failed")]
    systems += [(missing, 800.0, "done"), (missing, 1000.0, "done")]
    _run_file(tmp_path / "md.h5", systems)
    doc, mats = analyse_paths(
        paths=[tmp_path / "md.h5"],
        out_dir=tmp_path / "out",
        settings=NO_KINISI,
        obelix_data=obelix_dir,
        figures=False,
        verbose=False,
    )
    by_id = {m.material_id: m for m in mats}
    assert all(r.reliable for m in mats for r in m.temperatures)  # each analysed T is
    assert by_id[full].all_reliable
    assert not by_id[failed].all_reliable and not by_id[missing].all_reliable
    s = doc["summary"]
    assert s["n_materials_all_reliable"] == 1
    assert s["mae_log10_all_reliable"] == abs(doc["materials"][full]["log10_error"])
    assert s["n_materials_with_error"] == 3  # all three still have a 300 K value
    m = doc["materials"][failed]
    assert m["temperatures_requested_K"] == list(REQUESTED)
    assert m["temperatures_analysed_K"] == [800.0, 1000.0]
    assert m["temperatures_missing_K"] == [1200.0]
    req = doc["requested_materials"]
    row = [t for t in req[failed]["temperatures"] if t["temperature_K"] == 1200.0]
    assert row[0]["status"] == "failed" and "ran away" in row[0]["reason"]
    row = [t for t in req[missing]["temperatures"] if t["temperature_K"] == 1200.0]
    assert row[0]["status"] == "missing"
    report = (tmp_path / "out" / "report.md").read_text()
    assert "requested T" in report and "800, 1000 of 800, 1000, 1200" in report


def test_results_json_lists_every_requested_material_of_a_short_run(tmp_path, obelix_dir):
    systems = [("jqc", T, "done") for T in REQUESTED]
    systems += [("oi6", 800.0, "done"), ("oi6", 1000.0, "failed")]
    _run_file(tmp_path / "md.h5", systems, n_frames=5)  # too short to fit
    (tmp_path / "campaign.json").write_text(
        json.dumps(
            {
                "config": {"temperatures_K": list(REQUESTED)},
                "failed_materials": {"gvd": "partially occupied sites"},
            }
        )
    )
    doc = analyze_run_dir(
        tmp_path, obelix_data=obelix_dir, settings=NO_KINISI, figures=False
    )
    assert doc["materials"] == {}  # unchanged: only analysed materials there
    req = doc["requested_materials"]
    assert sorted(req) == ["gvd", "jqc", "oi6"]
    assert doc["summary"]["n_materials_requested"] == 3
    assert doc["summary"]["n_materials_fitted"] == 0
    for mid in ("jqc", "oi6"):
        assert req[mid]["status"] == "no_fit" and req[mid]["reason"]
        assert req[mid]["sigma_exp_mS_cm"] > 0
        assert req[mid]["temperatures_requested_K"] == list(REQUESTED)
        assert req[mid]["temperatures_analysed_K"] == []
    assert {t["status"] for t in req["jqc"]["temperatures"]} == {"too_short"}
    statuses = {t["temperature_K"]: t["status"] for t in req["oi6"]["temperatures"]}
    assert statuses == {800.0: "too_short", 1000.0: "failed", 1200.0: "missing"}
    assert req["gvd"]["status"] == "not_simulated"
    assert req["gvd"]["reason"] == "partially occupied sites"
    assert [t["status"] for t in req["gvd"]["temperatures"]] == ["not_simulated"] * 3
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["requested_materials"]["gvd"]["status"] == "not_simulated"


def test_old_run_file_without_position_frame_is_read_and_flagged(tmp_path):
    """Files from before the framework-relative frame stay readable; each
    temperature says its MSD is in the total-momentum frame."""
    import h5py

    _run_file(tmp_path / "md.h5", [("gvd", 800.0, "done")])
    with h5py.File(tmp_path / "md.h5", "a") as f:
        del f["parameters/gvd_800K"].attrs["position_frame"]
        del f["observables/gvd_800K/framework_com_displacement_A"]
    doc, _ = analyse_paths(
        paths=[tmp_path / "md.h5"],
        out_dir=tmp_path / "out",
        settings=NO_KINISI,
        compare=False,
        figures=False,
        verbose=False,
    )
    (t,) = doc["materials"]["gvd"]["temperatures"]
    assert t["D_cm2_s"] > 0
    assert any("total-momentum frame" in n for n in t["notes"])


def test_a_failed_temperature_reason_is_not_wrapped_twice():
    """The run file's reason already reads "failed (...)": the material's reason
    says it once (it read "800 K: failed (failed (...))")."""
    from ionmd.analysis.requested import _status_and_reason

    row = {"status": "failed", "reason": "failed (non-finite forces at step 10)"}
    assert _status_and_reason(row) == "failed (non-finite forces at step 10)"
    assert _status_and_reason({"status": "too_short", "reason": "1 frame"}) == (
        "too_short (1 frame)"
    )
    assert _status_and_reason({"status": "missing", "reason": None}) == "missing"
