"""The Python API as a notebook user meets it: ASE structure in, results object
out; the CLI and the API give the same results.json."""

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms

import ionmd
from ionmd.errors import InputError

PROTOCOL = dict(
    timestep_fs=2.0,
    duration_ps=0.2,
    equilibration_ps=0.05,
    min_cell_length_A=6.0,
    thermostat_tau_fs=25.0,
    sample_every_fs=4.0,
    thermo_every_fs=4.0,
    progress=False,
    seed=3,
)


def alpha_li3n_ase() -> Atoms:
    """α-Li3N built with ASE alone (P6/mmm, a = 3.648 Å, c = 3.875 Å)."""
    a, c = 3.648, 3.875
    cell = [[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, c]]
    frac = [[0, 0, 0], [1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0], [0, 0, 0.5]]
    return Atoms("NLi3", scaled_positions=frac, cell=cell, pbc=True)


DOC = Path(__file__).resolve().parents[2] / "docs" / "python_api.md"


def doc_examples() -> list[str]:
    """The ```python blocks of docs/python_api.md."""
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.fixture(scope="module")
def notebook_run(tmp_path_factory):
    """docs/python_api.md's notebook example, run as written (in a scratch dir)."""
    work = tmp_path_factory.mktemp("api")
    cwd = os.getcwd()
    os.chdir(work)
    try:
        scope: dict = {}
        exec(compile(doc_examples()[0], str(DOC), "exec"), scope)
    finally:
        os.chdir(cwd)
    return work / "li3n-run", scope["res"]


def test_notebook_use_returns_d_and_report(notebook_run):
    out, res = notebook_run
    assert isinstance(res, ionmd.Results)
    assert res.out_dir.resolve() == out.resolve()
    m = res["alpha-Li3N"]
    assert [t.temperature_K for t in m.temperatures] == [600.0, 900.0]
    for t in m.temperatures:
        assert t.D_cm2_s > 0 and math.isfinite(t.D_cm2_s)
        lo, hi = t.D_ci95_cm2_s
        assert not t.reliable  # 0.2 ps: far below 20 Å2
    assert m.at(900).D_cm2_s == m.D_cm2_s[900.0]
    assert res.report_html is not None and res.report_html.is_file()
    assert res.results_json.resolve() == (out / "results.json").resolve()
    assert res.run_files and all(p.is_file() for p in res.run_files)
    # the same numbers as results.json (the contract between layers)
    doc = json.loads((out / "results.json").read_text())
    temps = doc["materials"]["alpha-Li3N"]["temperatures"]
    d900 = [t for t in temps if t["temperature_K"] == 900]
    assert d900[0]["D_cm2_s"] == m.at(900).D_cm2_s
    # the structure was written where a re-run finds it
    assert (out / "inputs" / "alpha-Li3N.vasp").is_file()
    with pytest.raises(KeyError, match="have 600, 900"):
        m.at(1200)
    # σ(300 K) from 0 of 2 reliable temperatures: a number, not a prediction
    assert m.status == "fitted" and not m.prediction
    assert m.verdict.status == "not_a_prediction"
    assert "0 of 2 requested temperatures reached the 20 Å² Li MSD" in m.verdict.reasons
    kept = doc["materials"]["alpha-Li3N"]["verdict"]
    assert kept["prediction"] is False and kept["line"] == m.verdict.line


def _run_doc_example(work: Path) -> dict:
    """docs/python_api.md's notebook cell, run as written in ``work``."""
    cwd = os.getcwd()
    os.chdir(work)
    try:
        scope: dict = {}
        exec(compile(doc_examples()[0], str(DOC), "exec"), scope)
    finally:
        os.chdir(cwd)
    return scope


def _files(out: Path) -> dict[Path, int]:
    """Every file under ``out`` but the lock, with its mtime (ns)."""
    return {
        p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".lock"
    }


def test_rerun_of_the_notebook_cell_returns_its_results(notebook_run):
    """The doc's cell run again in the same process: the finished campaign is
    returned as it is, nothing run or rewritten; with another protocol: refused,
    in the API's words (force=True, not --force)."""
    out, res = notebook_run
    before = _files(out)
    again = _run_doc_example(out.parent)["res"]
    assert isinstance(again, ionmd.Results)
    assert again.document == res.document
    assert again["alpha-Li3N"].at(900).D_cm2_s == res["alpha-Li3N"].at(900).D_cm2_s
    assert [p.name for p in again.run_files] == [p.name for p in res.run_files]
    assert _files(out) == before
    with pytest.raises(InputError, match="another protocol") as refused:
        ionmd.run(
            {"alpha-Li3N": alpha_li3n_ase()},
            temperatures_K=[600, 900],
            model="mace-tiny",
            out=out,
            **{**PROTOCOL, "duration_ps": 0.4},
        )
    assert "force=True" in str(refused.value) and "--force" not in str(refused.value)
    assert _files(out) == before


def test_interrupted_run_resumes_then_is_kept(tmp_path, monkeypatch):
    """A run interrupted before its final mark is completed by the same call;
    the call after that returns the finished campaign without running it."""
    from ionmd.campaign import campaign_json

    def interrupt() -> None:
        raise KeyboardInterrupt

    kwargs = dict(
        temperatures_K=[700, 900],
        model="lj",
        out=tmp_path / "lj",
        **{**PROTOCOL, "duration_ps": 0.1, "equilibration_ps": 0.02},
    )
    with monkeypatch.context() as m:
        m.setattr(campaign_json, "_before_done_hook", interrupt)
        with pytest.raises(KeyboardInterrupt):
            ionmd.run("builtin:alpha-Li3N", **kwargs)
    record = json.loads((tmp_path / "lj" / "campaign.json").read_text())
    assert record["status"] == "running"
    first = ionmd.run("builtin:alpha-Li3N", **kwargs)
    assert json.loads((tmp_path / "lj" / "campaign.json").read_text())["status"] == "done"
    before = _files(tmp_path / "lj")

    def no_md(*args, **kw):
        raise AssertionError("a finished campaign was run again")

    monkeypatch.setattr("ionmd.campaign.protocols.study_protocol.run_batch", no_md)
    kept = ionmd.run("builtin:alpha-Li3N", **kwargs)
    assert kept.document == first.document and kept.run_files == first.run_files
    assert _files(tmp_path / "lj") == before


def test_analyze_returns_the_same_type(notebook_run, tmp_path):
    out, res = notebook_run
    again = ionmd.analyze(
        out, out=tmp_path / "again", use_kinisi=False, figures=False, compare=False
    )
    assert isinstance(again, ionmd.Results)
    assert set(again.materials) == {"alpha-Li3N"}
    assert again["alpha-Li3N"].at(600).msd_max_A2 == res["alpha-Li3N"].at(600).msd_max_A2


def test_unknown_protocol_key_is_refused_with_a_hint(tmp_path):
    with pytest.raises(InputError, match="did you mean 'timestep_fs'"):
        ionmd.run("builtin:alpha-Li3N", model="lj", out=tmp_path / "x", timestep_f=2.0)
    assert not (tmp_path / "x").exists()


def test_bad_material_object_is_one_line(tmp_path):
    with pytest.raises(InputError, match="materials\\[0\\] is a int"):
        ionmd.run([42], model="lj", out=tmp_path / "x")


def test_model_object_is_used_as_given(tmp_path):
    from ionmd.calculators import load_model

    model = load_model("mace-tiny")
    calls = []
    real = model.forward

    def counting(state, **kw):
        calls.append(1)
        return real(state, **kw)

    model.forward = counting
    res = ionmd.run(
        "builtin:alpha-Li3N",
        temperatures_K=[700, 800],
        model=model,
        out=tmp_path / "obj",
        analyze=False,
        **{**PROTOCOL, "duration_ps": 0.05, "equilibration_ps": 0.01},
    )
    assert calls, "the given model object was not called"
    assert res.run_files and len(res) == 0  # no analysis asked


def _crafted_results(tmp_path: Path) -> "ionmd.Results":
    """A results.json by hand: one material at two temperatures, neither reliable,
    with a Haven ratio, framework MSD and Ea interval; figures on disk."""
    from ionmd.analysis.verdict_doc import attach_verdicts

    def t(T, D):
        return {
            "temperature_K": T, "D_cm2_s": D, "D_ci95_cm2_s": [D / 2, D * 2],
            "sigma_mS_cm": 1.0, "sigma_ci95_mS_cm": [0.5, 2.0], "msd_max_A2": 4.0,
            "reliable": False, "used_in_fit": True, "framework_msd_max_A2": 0.3,
            "framework_mobile": False, "haven_ratio": 0.4, "haven_ratio_ci95": [0.2, 0.8],
        }  # fmt: skip

    doc = {
        "materials": {
            "gvd": {
                "formula": "Li3N", "temperatures": [t(600.0, 1e-7), t(900.0, 1e-6)],
                "Ea_eV": 0.35, "Ea_sigma_eV": 0.1, "Ea_ci95_eV": [0.15, 0.55],
                "sigma_300K_mS_cm": 47092.0, "sigma_300K_ci95_mS_cm": [1e-3, 1e12],
                "sigma_exp_mS_cm": 1.0, "log10_error": 4.67, "n_reliable": 0,
                "all_reliable": False, "temperatures_requested_K": [600.0, 900.0],
            }
        },
        "requested_materials": {
            "gvd": {"status": "fitted"},
            "bad": {"status": "not_simulated", "reason": "model does not cover Xx"},
        },
        "summary": {"mae_log10_all": 4.67, "mae_log10_all_reliable": None},
    }  # fmt: skip
    attach_verdicts(doc)
    (tmp_path / "results.json").write_text(json.dumps(doc))
    for name in ("msd_gvd.png", "arrhenius_gvd.png"):
        (tmp_path / name).write_bytes(b"png")
    return ionmd.Results.from_dir(tmp_path)


def test_results_repr_is_short_and_says_the_verdict(tmp_path):
    res = _crafted_results(tmp_path)
    text = repr(res)
    assert len(text.splitlines()) == 3  # the headline, then one line per material
    assert "2 material(s), 0 prediction(s)" in text
    assert "gvd (Li3N): not a prediction: σ(300 K) = 4.71e+04 mS/cm" in text
    assert "bad: not simulated: model does not cover Xx" in text
    assert res.summary["n_materials_predictions"] == 0


def test_results_html_table(tmp_path):
    html = _crafted_results(tmp_path)._repr_html_()
    for head in ("material", "T (K)", "D (cm²/s) [95 %]", "Li MSD max (Å²)",
                 "σ(300 K) (mS/cm) [95 %]", "Ea (eV) [95 %]", "verdict"):  # fmt: skip
        assert f"<th>{head}</th>" in html
    assert "1e-06 [5e-07, 2e-06]" in html and "4.0 (&lt; 20)" in html
    assert "0.350 [0.150, 0.550]" in html and "not a prediction" in html


def test_results_to_dataframe_and_every_number(tmp_path):
    res = _crafted_results(tmp_path)
    df = res.to_dataframe()
    assert len(df) == 3  # two temperatures of gvd, one row for bad
    assert {"D_cm2_s", "D_ci95_low_cm2_s", "li_msd_max_A2", "sigma_300K_mS_cm",
            "Ea_ci95_low_eV", "haven_ratio", "framework_msd_max_A2",
            "verdict"} <= set(df.columns)  # fmt: skip
    gvd = df[df.material_id == "gvd"].sort_values("temperature_K")
    assert list(gvd.D_cm2_s) == [1e-7, 1e-6]
    assert set(df.verdict) == {"not_a_prediction", "not_simulated"}
    m = res["gvd"]
    assert m.Ea_ci95_eV == (0.15, 0.55) and m.at(600).haven_ratio == 0.4
    assert m.at(600).haven_ratio_ci95 == (0.2, 0.8)
    assert m.at(900).framework_msd_max_A2 == 0.3
    assert m.msd_figure == tmp_path.absolute() / "msd_gvd.png"
    assert m.arrhenius_figure == tmp_path.absolute() / "arrhenius_gvd.png"
    assert res.verdicts["bad"].status == "not_simulated" and not m.prediction


def test_to_dataframe_without_pandas_is_one_line(tmp_path, monkeypatch):
    import sys

    res = _crafted_results(tmp_path)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(InputError, match="needs pandas"):
        res.to_dataframe()


def test_a_requested_material_without_results_says_why(tmp_path):
    """res["toy-fast"] of a run whose every temperature was too short said only
    "no material 'toy-fast' in the results (have none)" while repr(res) counted it
    as 1 material: the KeyError now carries its verdict line."""
    doc = {
        "materials": {},
        "summary": {},
        "requested_materials": {
            "toy-fast": {"status": "no_fit", "reason": "every temperature too short"}
        },
    }
    (tmp_path / "results.json").write_text(json.dumps(doc))
    res = ionmd.Results.from_dir(tmp_path)
    assert "toy-fast" in res.verdicts
    with pytest.raises(KeyError, match="have none.*toy-fast: .*not a prediction"):
        res["toy-fast"]
