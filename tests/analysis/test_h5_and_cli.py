"""The engine's run file through the reader, and ``ionmd analyze`` end to end:
results.json keys, figures, and one-line errors with exit code 2."""

import json

import numpy as np
import pytest
from analysis_helpers import random_walk, write_xdatcar

from ionmd.analysis.readers.h5 import read_run_file
from ionmd.cli import main
from ionmd.fileformat import RunFileWriter, SystemInfo, SystemUpdate, system_key
from ionmd.units import KB_EV_PER_K

CELL = np.diag([15.0, 15.0, 15.0])
SPECIES = ("Li",) * 24 + ("N",) * 8


def _write_run(path, temps=(800.0, 1000.0, 1200.0), n_frames=301, every=50):
    w = RunFileWriter(path)
    infos = [
        SystemInfo(
            key=system_key("gvd", T),
            material_id="gvd",
            formula="Li3N",
            temperature_K=T,
            timestep_fs=2.0,
            steps_total=every * n_frames,
            equilibration_steps=0,
            sample_every_steps=every,
            cell=CELL,
            species=SPECIES,
        )
        for T in temps
    ]
    w.create_systems(infos)
    truth = {}
    for k, (info, T) in enumerate(zip(infos, temps, strict=True)):
        D = 0.3 * np.exp(-0.3 / KB_EV_PER_K * (1 / T - 1 / 1000))  # A2/ps
        truth[T] = D
        pos = random_walk(n_frames=n_frames, n_walkers=24, D_A2_ps=D, dt_ps=0.1, seed=k)
        lags = np.array([1, 10, 100])
        w.write(
            [
                SystemUpdate(
                    key=info.key,
                    positions=pos,
                    position_steps=np.arange(n_frames) * every,
                    msd={
                        "lag_steps": lags * every,
                        "lag_ps": lags * 0.1,
                        "mobile_A2": 6 * D * lags * 0.1,
                        "framework_A2": np.full(3, 0.1),
                        "collective_A2": np.zeros(3),
                        "n_origins": np.ones(3, dtype=int),
                    },
                    steps_done=every * n_frames,
                    status="done",
                )
            ]
        )
    return truth


def test_run_file_reader(tmp_path):
    _write_run(tmp_path / "md.h5")
    trajs, skipped = read_run_file(tmp_path / "md.h5")
    assert skipped == [] and [t.temperature_K for t in trajs] == [800.0, 1000.0, 1200.0]
    t = trajs[0]
    assert t.material_id == "gvd" and t.n_mobile == 24 and t.n_atoms == 32
    assert t.frame_interval_ps == pytest.approx(0.1)
    assert t.framework_msd_A2 is not None and t.framework_positions_A is None


def test_cli_on_engine_run_dir(tmp_path, obelix_dir, capsys):
    truth = _write_run(tmp_path / "run" / "md.h5")
    out = tmp_path / "out"
    rc = main(
        [
            "analyze",
            str(tmp_path / "run"),
            "--out",
            str(out),
            "--obelix-data",
            str(obelix_dir),
            "--quiet",
        ]
    )
    assert rc == 0
    doc = json.loads((out / "results.json").read_text())
    m = doc["materials"]["gvd"]
    assert [t["temperature_K"] for t in m["temperatures"]] == [800.0, 1000.0, 1200.0]
    for t in m["temperatures"]:
        lo, hi = t["D_ci95_cm2_s"]
        assert lo <= truth[t["temperature_K"]] * 1e-4 <= hi
        assert t["reliable"] == (t["msd_max_A2"] >= 20)
        assert set(t) >= {"D_cm2_s", "msd_max_A2", "reliable", "framework_mobile"}
    assert m["Ea_eV"] == pytest.approx(0.3, abs=0.1)
    assert m["sigma_exp_mS_cm"] == pytest.approx(0.5767)
    lo, hi = m["sigma_300K_ci95_mS_cm"]
    assert lo <= m["sigma_300K_mS_cm"] <= hi
    assert m["n_reliable"] == sum(t["reliable"] for t in m["temperatures"])
    assert doc["summary"]["n_materials_with_error"] == 1
    assert doc["summary"]["mae_log10_all"] == pytest.approx(abs(m["log10_error"]))
    assert doc["settings"]["kinisi"]["random_state"] == 42
    for fig in ("msd_gvd.png", "arrhenius_gvd.png", "parity.png", "log_error.png"):
        assert (out / fig).stat().st_size > 1000


def test_cli_on_xdatcar_without_kinisi(tmp_path):
    li = random_walk(n_frames=200, n_walkers=8, D_A2_ps=0.5, dt_ps=0.1, seed=1)
    frac = li / 12.0
    p = write_xdatcar(
        tmp_path / "XDATCAR",
        frac=frac - np.floor(frac),
        symbols=["Li"],
        counts=[8],
        cell=np.diag([12.0] * 3),
    )
    rc = main(
        [
            "analyze",
            str(p),
            "--out",
            str(tmp_path / "o"),
            "--temperature-K",
            "900",
            "--timestep-fs",
            "2",
            "--step-skip",
            "50",
            "--material-id",
            "toy",
            "--no-kinisi",
            "--no-figures",
            "--no-compare",
            "--quiet",
        ]
    )
    assert rc == 0
    doc = json.loads((tmp_path / "o" / "results.json").read_text())
    t = doc["materials"]["toy"]["temperatures"][0]
    assert t["D_method"] == "ols" and t["D_ci95_cm2_s"] == [None, None]
    assert t["D_cm2_s"] == pytest.approx(0.5e-4, rel=0.5)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--timestep-fs", "2", "--step-skip", "50"], "pass --temperature-K"),
        (["--temperature-K", "900"], "pass --timestep-fs and --step-skip"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, capsys, extra, message):
    li = random_walk(n_frames=5, n_walkers=2, D_A2_ps=0.5, dt_ps=0.1)
    p = write_xdatcar(
        tmp_path / "XDATCAR",
        frac=li / 12.0 % 1.0,
        symbols=["Li"],
        counts=[2],
        cell=np.diag([12.0] * 3),
    )
    rc = main(["analyze", str(p), "--out", str(tmp_path / "o"), *extra])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_cli_error_on_bad_run_file(tmp_path, capsys):
    (tmp_path / "md.h5").write_bytes(b"not hdf5")
    rc = main(["analyze", str(tmp_path / "md.h5"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "not a readable HDF5 file" in err and len(err.splitlines()) == 1


def test_analyze_run_dir_reads_every_batch_file(tmp_path):
    """The campaign's entry point: md.h5 and md.1.h5 of one run directory."""
    from ionmd.analysis.diffusion import DiffusionSettings
    from ionmd.report.analysis_files import analyze_run_dir

    _write_run(tmp_path / "md.h5", temps=(800.0, 1000.0))
    _write_run(tmp_path / "md.1.h5", temps=(1200.0,))
    doc = analyze_run_dir(
        tmp_path, settings=DiffusionSettings(use_kinisi=False), figures=False
    )
    temps = [t["temperature_K"] for t in doc["materials"]["gvd"]["temperatures"]]
    assert temps == [800.0, 1000.0, 1200.0]
    assert (tmp_path / "results.json").is_file() and (tmp_path / "report.md").is_file()
    assert "gvd" in (tmp_path / "report.html").read_text()


def test_analyze_run_dir_lists_too_short_runs_instead_of_failing(tmp_path):
    from ionmd.report.analysis_files import analyze_run_dir

    _write_run(tmp_path / "md.h5", temps=(900.0,), n_frames=5)
    doc = analyze_run_dir(tmp_path, figures=True)
    assert doc["materials"] == {}
    assert any("at least 10" in line for line in doc["skipped"])
    assert json.loads((tmp_path / "results.json").read_text())["materials"] == {}


# ---- frames too far apart to unwrap (issue 20) ---------------------------------------


def _write_stride_run(path, *, source, positions_by_T):
    """A run file of material "gvd", one system per temperature, with the given
    Li positions ``(F, 24, 3)`` stored every 0.1 ps; ``source`` "vasp" (the bridge:
    minimum-image unwrapped) or "ionmd-engine" (continuous)."""
    w = RunFileWriter(path)
    infos = {
        T: SystemInfo(
            key=system_key("gvd", T),
            material_id="gvd",
            formula="Li3N",
            temperature_K=T,
            timestep_fs=2.0,
            steps_total=50 * pos.shape[0],
            equilibration_steps=0,
            sample_every_steps=50,
            cell=CELL,
            species=SPECIES,
            source=source,
        )  # fmt: skip
        for T, pos in positions_by_T.items()
    }
    w.create_systems(list(infos.values()))
    for T, pos in positions_by_T.items():
        n = pos.shape[0]
        w.write(
            [
                SystemUpdate(
                    key=infos[T].key,
                    positions=pos,
                    position_steps=np.arange(n) * 50,
                    steps_done=50 * n,
                    status="done",
                )  # fmt: skip
            ]
        )


def _min_image_unwrapped(li):
    """What the VASP bridge stores: VASP's wrapped frames unwrapped by the minimum image."""
    from ionmd.numerics.unwrap import unwrap_fractional

    frac = li / CELL[0, 0]
    return unwrap_fractional(frac=frac - np.floor(frac)) * CELL[0, 0]


def test_vasp_run_file_with_too_large_stride_is_flagged_to_the_verdict(tmp_path, caplog):
    """1200 K stored with a 3.4 Å RMS step per axis (half-width 7.5 Å): analysed,
    but out of the Arrhenius fit, its reason in results.json's temperature entry,
    in requested_materials and in the verdict; one warning line names the file."""
    from ionmd.analysis.diffusion import DiffusionSettings
    from ionmd.analysis.verdict import verdict_lines
    from ionmd.report.analysis_files import analyse_paths

    steps = {800.0: 0.2, 1000.0: 0.3, 1100.0: 0.4, 1200.0: 3.4}  # Å per axis
    pos = {
        T: _min_image_unwrapped(
            random_walk(n_frames=301, n_walkers=24, D_A2_ps=s**2 / 0.2, dt_ps=0.1, seed=k)
        )
        for k, (T, s) in enumerate(steps.items())
    }
    run = tmp_path / "run"
    run.mkdir()
    _write_stride_run(run / "md.h5", source="vasp", positions_by_T=pos)
    with caplog.at_level("WARNING", logger="ionmd"):
        doc, _ = analyse_paths(
            paths=[run], out_dir=tmp_path / "out", compare=False, figures=False,
            verbose=False, settings=DiffusionSettings(use_kinisi=False),
        )  # fmt: skip
    m = doc["materials"]["gvd"]
    by_T = {t["temperature_K"]: t for t in m["temperatures"]}
    hot = by_T[1200.0]
    assert hot["unwrap_unreliable"] and not hot["used_in_fit"]
    assert hot["unwrap_reason"].startswith(f"{run / 'md.h5'}:")
    assert "Li frames too far apart to unwrap" in hot["unwrap_reason"]
    assert hot["frame_displacement"]["rms_over_half_width"] > 0.4
    for T in (800.0, 1000.0, 1100.0):
        assert not by_T[T]["unwrap_unreliable"] and by_T[T]["used_in_fit"]
        assert by_T[T]["frame_displacement"]["rms_over_half_width"] < 0.1
    assert m["arrhenius_temperatures_K"] == [800.0, 1000.0, 1100.0]
    assert not m["all_reliable"]
    assert json.loads((tmp_path / "out" / "results.json").read_text()) == doc
    row = next(
        r for r in doc["requested_materials"]["gvd"]["temperatures"]
        if r["temperature_K"] == 1200.0
    )  # fmt: skip
    assert row["status"] == "unwrap_unreliable" and "too far apart" in row["reason"]
    (line,) = verdict_lines(doc)
    assert "not a prediction" in line and "1200 K not in the fit" in line
    assert "resolved" not in line
    warned = [r.getMessage() for r in caplog.records if "too far apart" in r.getMessage()]
    assert len(warned) == 1 and str(run / "md.h5") in warned[0]


def test_engine_run_file_flags_only_an_implausible_jump(tmp_path):
    """The engine's positions are continuous: a wide stride whose moves stay under
    the half-width (7.5 Å) is not flagged, a 10 Å jump between two frames is."""
    wide = random_walk(n_frames=101, n_walkers=24, D_A2_ps=1.5**2 / 0.2, dt_ps=0.1, seed=1)
    jump = random_walk(n_frames=101, n_walkers=24, D_A2_ps=0.5, dt_ps=0.1, seed=2)
    jump[50:, 3, 0] += 10.0
    _write_stride_run(
        tmp_path / "md.h5", source="ionmd-engine", positions_by_T={800.0: wide, 900.0: jump}
    )
    trajs, skipped = read_run_file(tmp_path / "md.h5")
    assert skipped == []
    ok, bad = trajs
    assert ok.meta["unwrap_check"]["positions"] == "continuous"
    assert ok.meta["unwrap_check"]["rms_over_half_width"] == pytest.approx(0.2, rel=0.05)
    assert "unwrap_unreliable" not in ok.meta
    assert bad.meta["unwrap_unreliable"].startswith(f"{tmp_path / 'md.h5'}:")
    assert "Li moves" in bad.meta["unwrap_unreliable"]
    assert "implausible" in bad.meta["unwrap_unreliable"]
