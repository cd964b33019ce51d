"""The OBELiX copy is found from anywhere: a config file's ``obelix_data`` is
relative to that file (not the working directory), ``IONMD_OBELIX_DATA`` names
it for the analysis too, and where none is found results.json says that the
comparison with experiment was skipped and why (plus a log line)."""

import json
import logging
from pathlib import Path

import numpy as np

from ionmd.analysis.experiment import CONDUCTIVITY_COLUMN
from ionmd.campaign.config import load_config
from ionmd.cli import main
from tests.analysis.analysis_helpers import random_walk, write_xdatcar

HEADER = f"ID,Reduced Composition,{CONDUCTIVITY_COLUMN}"


def fake_obelix(folder: Path) -> Path:
    """A local OBELiX copy of one entry, toy: 1e-3 S/cm = 1 mS/cm."""
    folder.mkdir(parents=True)
    (folder / "all.csv").write_text(f"{HEADER}\ntoy,Li3N,1.0e-03\n")
    (folder / "test.csv").write_text(HEADER + "\n")
    return folder


def _analyze(tmp_path: Path, *extra: str) -> tuple[int, dict]:
    li = random_walk(n_frames=120, n_walkers=8, D_A2_ps=0.5, dt_ps=0.1, seed=1)
    frac = li / 12.0
    p = write_xdatcar(
        tmp_path / "XDATCAR",
        frac=frac - np.floor(frac),
        symbols=["Li"],
        counts=[8],
        cell=np.diag([12.0] * 3),
    )
    out = tmp_path / "o"
    args = ["analyze", str(p), "--out", str(out), "--temperature-K", "900"]
    args += ["--timestep-fs", "2", "--step-skip", "50", "--material-id", "toy"]
    rc = main([*args, "--no-kinisi", "--no-figures", "--quiet", *extra])
    doc = json.loads((out / "results.json").read_text()) if rc == 0 else {}
    return rc, doc


def test_environment_variable_finds_obelix_for_the_analysis(tmp_path, monkeypatch):
    monkeypatch.delenv("IONMD_SHARED", raising=False)
    monkeypatch.setenv("IONMD_OBELIX_DATA", str(fake_obelix(tmp_path / "obx")))
    monkeypatch.chdir(tmp_path)
    rc, doc = _analyze(tmp_path)
    assert rc == 0
    assert doc["experiment_comparison"]["status"] == "compared"
    assert doc["experiment_comparison"]["obelix_data"] == str(tmp_path / "obx")
    assert doc["materials"]["toy"]["sigma_exp_mS_cm"] == 1.0  # before: null


def test_no_obelix_is_a_note_in_results_and_a_log_line(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("IONMD_SHARED", raising=False)
    monkeypatch.setenv("IONMD_OBELIX_DATA", str(tmp_path / "nowhere"))
    with caplog.at_level(logging.WARNING, logger="ionmd"):
        rc, doc = _analyze(tmp_path)
    assert rc == 0
    section = doc["experiment_comparison"]
    assert section["status"] == "skipped" and "nowhere" in section["reason"]
    notes = [s for s in doc["skipped"] if "comparison with experiment skipped" in s]
    assert notes and "IONMD_OBELIX_DATA" in notes[0] and "--obelix-data" in notes[0]
    assert any("comparison with experiment skipped" in r.message for r in caplog.records)
    rc, doc = _analyze(tmp_path, "--no-compare", "--force")
    assert doc["experiment_comparison"]["status"] == "not asked"


def test_config_obelix_data_is_relative_to_the_config_file(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    fake_obelix(folder / "data" / "obx")
    cfg = folder / "run.toml"
    cfg.write_text('materials = ["builtin:alpha-Li3N"]\nobelix_data = "data/obx"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_config(cfg).obelix_data == str(folder / "data" / "obx")
    assert load_config(Path("..") / "project" / "run.toml").obelix_data == str(
        folder / "data" / "obx"
    )


def test_missing_config_obelix_data_is_refused_before_the_md(tmp_path, capsys):
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        'materials = ["builtin:alpha-Li3N"]\nmodel = "lj"\nobelix_data = "gone"\n'
        f'out = "{tmp_path / "out"}"\ntemperatures_K = [800]\nduration_ps = 0.4\n'
        "equilibration_ps = 0.1\n"
    )
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "gone") in err and "not found" in err, err
    assert not (tmp_path / "out").exists()  # before: refused only after the MD
