"""ionmd compare: MAE per model with bootstrap intervals, pairwise differences,
labels, escaping, on constructed results.json files with known errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ionmd.analysis.compare import bootstrap_mae
from ionmd.cli import main
from ionmd.errors import InputError
from ionmd.report.compare import write_comparison


def _write_run(
    folder: Path, *, model: str | None, errors: dict[str, float], reliable=()
) -> Path:
    folder.mkdir(parents=True)
    materials = {}
    for mid, err in errors.items():
        sigma_exp = 1.0
        materials[mid] = {
            "sigma_300K_mS_cm": sigma_exp * 10**err,
            # a prediction: reliable, with a 1-decade interval; else no interval
            "sigma_300K_ci95_mS_cm": (
                [sigma_exp * 10 ** (err - 0.5), sigma_exp * 10 ** (err + 0.5)]
                if mid in reliable
                else [None, None]
            ),
            "sigma_exp_mS_cm": sigma_exp,
            "log10_error": err,
            "Ea_eV": 0.3 + 0.1 * err,
            "all_reliable": mid in reliable,
            "n_reliable": 5 if mid in reliable else 1,
            "n_temperatures": 5,
            "temperatures": [],
        }
    requested = {mid: {"status": "fitted", "reason": ""} for mid in errors}
    requested["failed-one"] = {"status": "failed", "reason": "melted at 800 K"}
    doc = {"inputs": [], "materials": materials, "requested_materials": requested}
    (folder / "results.json").write_text(json.dumps(doc))
    if model is not None:
        record = {"model": {"model_name": model, "model_version": "1"}}
        (folder / "campaign.json").write_text(json.dumps(record))
    return folder


def _errors(n: int, scale: float, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    return {
        f"m{i:02d}": float(scale * rng.choice([-1, 1]) * (0.5 + rng.random()))
        for i in range(n)
    }


def test_exact_mae_and_interval_contains_it(tmp_path: Path) -> None:
    errs = {"a": 0.5, "b": -1.0, "c": 1.5, "d": -0.2}
    run = _write_run(tmp_path / "r1", model="lj", errors=errs, reliable=("a", "c"))
    doc = write_comparison(run_dirs=[run], out_dir=tmp_path / "cmp", figures=False)
    m = doc["models"]["lj"]
    assert m["mae_log10_all"] == pytest.approx(0.8)
    assert m["n_all"] == 4
    assert m["mae_log10_reliable"] == pytest.approx(1.0)
    assert m["n_reliable"] == 2
    lo, hi = m["mae_log10_all_ci95"]
    assert lo <= 0.8 <= hi and lo < hi
    assert doc["materials"]["failed-one"]["lj"]["status"] == "failed"
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "melted at 800 K" in md
    assert "0.50 / 0.350 (5/5)" in md and "1.50 / 0.450 (5/5)" in md
    assert "-1.00 / 0.200 (1/5)" in md  # reliable temperatures per material


def test_identical_models_cannot_be_told_apart(tmp_path: Path) -> None:
    errs = _errors(20, 1.0, seed=1)
    a = _write_run(tmp_path / "a", model="mace", errors=errs)
    b = _write_run(tmp_path / "b", model="sevennet", errors=errs)
    doc = write_comparison(run_dirs=[a, b], out_dir=tmp_path / "cmp", figures=False)
    (pair,) = doc["pairwise_mae_difference"]
    assert pair["difference"] == pytest.approx(0.0)
    assert pair["ci95"][0] <= 0.0 <= pair["ci95"][1]
    assert not pair["distinguishable"]


def test_clearly_better_model_is_told_apart(tmp_path: Path) -> None:
    good_e, bad_e = _errors(20, 0.2, seed=2), _errors(20, 2.0, seed=3)
    good = _write_run(tmp_path / "g", model="good", errors=good_e, reliable=good_e)
    bad = _write_run(tmp_path / "b", model="bad", errors=bad_e, reliable=bad_e)
    doc = write_comparison(run_dirs=[bad, good], out_dir=tmp_path / "cmp", figures=False)
    (pair,) = doc["pairwise_mae_difference"]
    assert (pair["a"], pair["b"]) == ("bad", "good")
    assert pair["ci95"][0] > 0 and pair["distinguishable"]
    assert doc["rank"] == ["good", "bad"]


def test_bootstrap_is_seeded() -> None:
    assert bootstrap_mae([0.1, 0.5, 2.0]) == bootstrap_mae([0.1, 0.5, 2.0])
    assert bootstrap_mae([]) == (None, [None, None])


def test_html_escapes_names_and_inlines_figures(tmp_path: Path) -> None:
    a = _write_run(tmp_path / "a", model="<b>evil</b>", errors={"x<i>": 0.3, "y": 1.0})
    b = _write_run(tmp_path / "b", model=None, errors={"x<i>": 0.1, "y": -0.5})
    doc = write_comparison(
        run_dirs=[a, b], out_dir=tmp_path / "cmp", labels={str(b): "DFT (VASP)"}
    )
    assert set(doc["models"]) == {"<b>evil</b>", "DFT (VASP)"}
    page = (tmp_path / "cmp" / "comparison.html").read_text()
    assert "<b>evil</b>" not in page and "&lt;b&gt;evil&lt;/b&gt;" in page
    assert "x<i>" not in page
    assert page.count("data:image/png;base64,") == 2  # parity of log10 σ and Ea


def test_vasp_run_is_labelled_dft(tmp_path: Path) -> None:
    run = _write_run(tmp_path / "vasp", model=None, errors={"x": 0.2})
    doc = json.loads((run / "results.json").read_text())
    doc["inputs"] = ["/data/x/XDATCAR.gz"]
    (run / "results.json").write_text(json.dumps(doc))
    out = write_comparison(run_dirs=[run], out_dir=tmp_path / "cmp", figures=False)
    assert list(out["models"]) == ["DFT (VASP)"]


def test_cli_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no results.json" in err
    a = _write_run(tmp_path / "a", model="lj", errors={"x": 0.2})
    assert main(["compare", str(a), "--label", "oops", "--out", str(tmp_path / "o")]) == 2
    b = _write_run(tmp_path / "b", model="lj", errors={"x": 0.2})
    with pytest.raises(InputError, match="both labelled"):
        write_comparison(run_dirs=[a, b], out_dir=tmp_path / "o")
    args = ["compare", str(a), str(b), "--label", f"{b}=lj-2", "--out", str(tmp_path / "o")]
    assert main(args) == 0
    assert (tmp_path / "o" / "comparison.html").is_file()


def test_cost_per_model_from_campaign_json(tmp_path: Path) -> None:
    run = _write_run(tmp_path / "a", model="lj", errors={"x": 0.2})
    record = json.loads((run / "campaign.json").read_text())
    record["device"] = "cpu"
    record["batches"] = [
        {"status": "done", "n_atoms": 100, "steps": 10, "wall_s": 2.0, "md_wall_s": 1.0,
         "peak_device_GB": 0.5, "peak_host_GB": 1.0},
        {"status": "done", "n_atoms": 300, "steps": 10, "wall_s": 4.0, "md_wall_s": 3.0,
         "peak_device_GB": 1.5, "peak_host_GB": 0.5},
    ]  # fmt: skip
    (run / "campaign.json").write_text(json.dumps(record))
    doc = write_comparison(run_dirs=[run], out_dir=tmp_path / "cmp", figures=False)
    cost = doc["models"]["lj"]["cost"]
    assert cost["wall_s"] == pytest.approx(6.0)
    assert cost["atom_steps_per_s"] == pytest.approx(4000 / 4.0)
    assert cost["peak_device_GB"] == pytest.approx(1.5)
    assert cost["device"] == "cpu" and cost["model_version"] == "1"
    assert "Cost" in (tmp_path / "cmp" / "comparison.md").read_text()


def test_cli_dft_directories_make_one_row(tmp_path: Path) -> None:
    a = _write_run(tmp_path / "a", model="lj", errors={"x": 0.2, "y": 0.5})
    d1 = _write_run(tmp_path / "d1", model=None, errors={"x": 0.1})
    d2 = _write_run(tmp_path / "d2", model=None, errors={"y": -0.3})
    for d in (d1, d2):  # each analysed per material: drop the shared failed entry
        doc = json.loads((d / "results.json").read_text())
        doc["requested_materials"].pop("failed-one")
        (d / "results.json").write_text(json.dumps(doc))
    out = tmp_path / "o"
    args = ["compare", str(a), "--dft", str(d1), "--dft", str(d2), "--out", str(out)]
    assert main(args) == 0
    doc = json.loads((out / "comparison.json").read_text())
    assert list(doc["models"]) == ["lj", "DFT (VASP)"]
    dft = doc["models"]["DFT (VASP)"]
    assert dft["n_all"] == 2 and dft["mae_log10_all"] == pytest.approx(0.2)
    assert dft["run_dirs"] == [str(d1), str(d2)]
    assert main(["compare", "--dft", str(d1), "--dft", str(d1), "--out", str(out)]) == 2


def test_two_common_materials_are_too_few_to_tell_models_apart(tmp_path: Path) -> None:
    """With 2 materials the bootstrap has 3 distinct means: a narrow interval that
    says nothing. The comparison says "too few", not "told apart"."""
    good = _write_run(tmp_path / "g", model="good", errors={"x": 0.1, "y": 0.2})
    bad = _write_run(tmp_path / "b", model="bad", errors={"x": 2.0, "y": 2.2})
    doc = write_comparison(run_dirs=[good, bad], out_dir=tmp_path / "cmp", figures=False)
    (pair,) = doc["pairwise_mae_difference"]
    assert pair["ci95"][1] < 0  # the interval alone would claim a difference
    assert pair["too_few_materials"] and not pair["distinguishable"]
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "too few materials (n < 5)" in md and "Too few to rank" in md
    other = _write_run(tmp_path / "o", model="other", errors={"z": 0.1})  # none shared
    doc = write_comparison(run_dirs=[good, other], out_dir=tmp_path / "c2", figures=False)
    (pair,) = doc["pairwise_mae_difference"]
    assert pair["n_materials"] == 0 and pair["too_few_materials"]


def test_one_material_is_too_few_to_rank(tmp_path: Path) -> None:
    """The observed case: one material, a random-weight model's value that is not
    a prediction; it must not be crowned "Lowest MAE … over 1 material"."""
    run = _write_run(tmp_path / "t", model="mace-tiny", errors={"x": 4.83})
    doc = write_comparison(run_dirs=[run], out_dir=tmp_path / "cmp", figures=False)
    assert doc["rank"] == [] and doc["ranking"]["status"] == "too_few_to_rank"
    assert doc["ranking"]["min_materials"] == 3
    for name in ("comparison.md", "comparison.html"):
        text = (tmp_path / "cmp" / name).read_text()
        assert "Too few to rank" in text and "Lowest MAE" not in text
    # the same single material as a prediction is still too few
    good = _write_run(tmp_path / "g", model="good", errors={"x": 0.1}, reliable=("x",))
    doc = write_comparison(run_dirs=[good], out_dir=tmp_path / "c2", figures=False)
    assert doc["rank"] == [] and doc["materials"]["x"]["good"]["prediction"]


def test_rank_is_over_materials_every_model_predicts(tmp_path: Path) -> None:
    """Model b's value for m3 is not a prediction (and far off): the rank is over
    m0..m2 only, where both predict; a's own MAE over all would crown b."""
    a_err = {"m0": 0.5, "m1": 0.5, "m2": 0.5, "m3": 0.1}
    b_err = {"m0": 0.3, "m1": 0.3, "m2": 0.3, "m3": 3.0}
    a = _write_run(tmp_path / "a", model="a", errors=a_err, reliable=tuple(a_err))
    b = _write_run(tmp_path / "b", model="b", errors=b_err, reliable=("m0", "m1", "m2"))
    doc = write_comparison(run_dirs=[a, b], out_dir=tmp_path / "cmp", figures=False)
    ranking = doc["ranking"]
    assert ranking["materials"] == ["m0", "m1", "m2"] and ranking["rank"] == ["b", "a"]
    assert ranking["mae_log10"]["b"]["mae"] == pytest.approx(0.3)
    assert doc["models"]["b"]["mae_log10_all"] == pytest.approx(0.975)  # the study's
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "Lowest MAE of log10 σ(300 K) vs OBELiX: b, 0.30" in md
    assert "over the 3 material(s) where every ranked model gives a prediction" in md
