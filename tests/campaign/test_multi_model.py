"""``models = [...]``: one campaign per model under OUT/<model>/ and the
comparison in OUT; the config refuses model and models together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ionmd
import ionmd.campaign.config
from ionmd.campaign.config import config_from_mapping
from ionmd.campaign.multi_model import model_dirs, safe_model_name
from ionmd.cli import main
from ionmd.errors import InputError

SHORT = {"duration_ps": 0.2, "equilibration_ps": 0.0, "progress": False}


def test_config_models_key() -> None:
    cfg = config_from_mapping({"models": ["lj", "toy"]})
    assert cfg.models == ("lj", "toy")
    assert config_from_mapping({"model": "lj"}).models == ()
    with pytest.raises(InputError, match="either model or models"):
        config_from_mapping({"model": "lj", "models": ["toy"]})
    with pytest.raises(InputError, match="list of model names"):
        config_from_mapping({"models": "lj"})
    with pytest.raises(InputError, match="twice"):
        config_from_mapping({"models": ["lj", "lj"]})
    with pytest.raises(InputError, match="either model or models"):
        ionmd.run("builtin:toy-fast", model="lj", models=["toy"], out="unused")


def test_empty_models_is_refused_not_taken_for_the_default(tmp_path: Path) -> None:
    """``models = []`` written out is a mistake (a list emptied by hand), not
    "the one model": refused in one line from the TOML and from ionmd.run,
    while a config that never names the key still runs the one ``model``."""
    toml = tmp_path / "c.toml"
    toml.write_text('materials = ["builtin:toy-fast"]\nmodel = "toy"\nmodels = []\n')
    with pytest.raises(InputError, match=r"models = \[\] lists no model: remove"):
        ionmd.campaign.config.load_config(toml)
    with pytest.raises(InputError, match=r"models = \[\] lists no model"):
        config_from_mapping({"models": []})
    out = tmp_path / "api"
    with pytest.raises(InputError, match=r"models = \[\] lists no model"):
        ionmd.run("builtin:toy-fast", model="toy", models=[], out=out, **SHORT)
    assert not out.exists()  # refused before anything was written
    assert config_from_mapping({"model": "toy"}).models == ()
    assert config_from_mapping({"model": "toy"}).replace(models=()).model == "toy"


def test_safe_model_names_and_clash() -> None:
    assert safe_model_name("mace:/a/b c.model") == "mace_a_b_c.model"
    cfg = config_from_mapping({"models": ["mace:x", "mace/x"], "out": "o"})
    with pytest.raises(InputError, match="share the folder"):
        model_dirs(cfg)


def test_two_model_campaign_and_rerun(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    toml = tmp_path / "c.toml"
    toml.write_text(
        'materials = ["builtin:toy-fast"]\ntemperatures_K = [800.0, 1000.0]\n'
        'models = ["lj", "toy"]\nduration_ps = 0.2\nequilibration_ps = 0.0\n'
        'progress = false\nout = "out"\n'
    )
    main(["run", str(toml)])
    out = tmp_path / "out"
    for model in ("lj", "toy"):
        record = json.loads((out / model / "campaign.json").read_text())
        assert record["config"]["model"] == model and record["status"] == "done"
        assert (out / model / "results.json").is_file()
    doc = json.loads((out / "comparison.json").read_text())
    assert set(doc["models"]) == {"lj", "toy"}
    assert set(doc["materials"]["toy-fast"]) == {"lj", "toy"}
    assert (out / "comparison.html").is_file()
    # the same command again: each model's finished campaign is kept, not rerun
    before = (out / "toy" / "md.h5").stat().st_mtime_ns
    (out / "comparison.json").unlink()
    assert main(["run", str(toml)]) == 0  # was 1: every model "failed" (finished)
    assert (out / "toy" / "md.h5").stat().st_mtime_ns == before
    assert (out / "comparison.json").is_file()  # the comparison is written again
    record = json.loads((out / "toy" / "campaign.json").read_text())
    assert record["status"] == "done"


def test_a_failing_model_does_not_stop_the_others(tmp_path: Path) -> None:
    res = ionmd.run(
        "builtin:toy-fast",
        models=["no-such-model", "toy"],
        temperatures_K=[800.0],
        out=tmp_path / "o",
        **SHORT,
    )
    assert "model no-such-model" in res.failed
    assert (tmp_path / "o" / "toy" / "results.json").is_file()
    # one temperature: no σ(300 K) that is a prediction, so no model is crowned
    doc = json.loads((tmp_path / "o" / "comparison.json").read_text())
    assert doc["rank"] == [] and doc["ranking"]["status"] == "too_few_to_rank"


def test_cli_exit_status_when_a_model_fails(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    toml = tmp_path / "c.toml"
    toml.write_text(
        'materials = ["builtin:toy-fast"]\ntemperatures_K = [800.0]\n'
        'models = ["no-such-model", "toy"]\nduration_ps = 0.2\nequilibration_ps = 0.0\n'
        'progress = false\nout = "out"\n'
    )
    assert main(["run", str(toml)]) == 1
    assert (tmp_path / "out" / "comparison.json").is_file()
    assert main(["run", str(toml), "--model", "toy", "--out", "one"]) == 0
    assert not (tmp_path / "one" / "comparison.json").exists()


def _lgps_analysis(tmp_path: Path) -> Path:
    """Real VASP AIMD (LGPS, 600 K) analysed as OBELiX j8q, as ``ionmd analyze``
    writes it; skipped where the shared data is absent."""
    from tests.analysis.analysis_helpers import shared_dir

    src = shared_dir() / "data" / "aimd" / "lgps-600K" / "DiffusionAnalyzer.json"
    obelix = shared_dir() / "data" / "obelix"
    if not src.is_file() or not (obelix / "all.csv").is_file():
        pytest.skip(f"real AIMD or OBELiX data not found under {shared_dir()}")
    out = tmp_path / "vasp-analysis"
    ionmd.analyze(
        src, out=out, material_id="j8q", obelix_data=obelix, figures=False, use_kinisi=False
    )
    return out


def test_dft_runs_join_the_comparison(tmp_path: Path, monkeypatch) -> None:
    dft = _lgps_analysis(tmp_path)
    monkeypatch.chdir(tmp_path)
    toml = tmp_path / "c.toml"
    toml.write_text(
        'materials = ["builtin:toy-fast"]\ntemperatures_K = [800.0, 1000.0]\n'
        'models = ["toy"]\nduration_ps = 0.2\nequilibration_ps = 0.0\n'
        f'progress = false\nout = "out"\ndft_runs = ["{dft}"]\n'
    )
    assert main(["run", str(toml)]) == 0
    doc = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert list(doc["models"]) == ["toy", "DFT (VASP)"]
    cell = doc["materials"]["j8q"]["DFT (VASP)"]
    assert cell["sigma_exp_mS_cm"] == pytest.approx(12.1)  # OBELiX j8q
    assert "fewer than two" in cell["verdict"]  # one VASP temperature: no Arrhenius
    assert doc["materials"]["j8q"]["toy"]["verdict"] == "not in this run"
    assert "j8q at 600 K (20 ps)" in doc["models"]["DFT (VASP)"]["settings"]
    page = (tmp_path / "out" / "comparison.html").read_text()
    assert page.index("DFT (VASP): no σ(300 K)") < page.index("<h2>Rank (MAE")
    # --model forces one model: no comparison, so the DFT row is not asked for
    assert main(["run", str(toml), "--model", "toy", "--out", "one"]) == 0


def test_dft_runs_refused_before_any_md(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dft_runs must be a list of directories"):
        config_from_mapping({"models": ["toy"], "dft_runs": "x"})
    cfg = config_from_mapping({"models": ["toy"], "dft_runs": ["x"]})
    assert cfg.dft_runs == ("x",)
    out = tmp_path / "o"
    with pytest.raises(InputError, match="no results.json"):
        ionmd.run("builtin:toy-fast", models=["toy"], dft_runs=[tmp_path], out=out, **SHORT)
    assert not out.exists()  # refused before anything was written
    with pytest.raises(InputError, match="dft_runs joins the comparison of models"):
        ionmd.run("builtin:toy-fast", model="toy", dft_runs=[tmp_path], out=out, **SHORT)
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "results.json").write_text(json.dumps({"inputs": [], "materials": {"x": {}}}))
    with pytest.raises(InputError, match="'x' is in both"):
        ionmd.run("builtin:toy-fast", models=["toy"], dft_runs=[a, b], out=out, **SHORT)


def test_a_model_raising_mid_run_is_recorded_failed(tmp_path: Path, monkeypatch) -> None:
    """A model whose campaign raises after its MD (here: just before it would be
    marked done) says "failed" and why in its campaign.json, not "running"."""
    from ionmd.campaign import campaign_json
    from ionmd.errors import IonmdError

    calls = []

    def fail_first() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise IonmdError("model blew up after the MD")

    monkeypatch.setattr(campaign_json, "_before_done_hook", fail_first)
    res = ionmd.run(
        "builtin:toy-fast",
        models=["lj", "toy"],
        temperatures_K=[800.0],
        out=tmp_path / "o",
        **SHORT,
    )
    assert res.failed["model lj"] == "model blew up after the MD"
    lj = json.loads((tmp_path / "o" / "lj" / "campaign.json").read_text())
    assert lj["status"] == "failed"
    assert lj["failure"] == "IonmdError: model blew up after the MD"
    toy = json.loads((tmp_path / "o" / "toy" / "campaign.json").read_text())
    assert toy["status"] == "done" and "failure" not in toy
