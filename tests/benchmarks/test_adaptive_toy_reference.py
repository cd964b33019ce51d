"""The adaptive toy campaign against its reference (benchmarks/adaptive_toy_reference.py,
benchmarks/adaptive_toy_compare.py) on synthetic files with known answers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks.adaptive_toy_compare import compare_campaign, load_campaign
from benchmarks.adaptive_toy_reference import (
    format_comparison,
    reference_point,
    reference_sigma300,
)

KB_EV = 8.617333262e-5
E_C = 1.602176634e-19
KB_J = 1.380649e-23

REFERENCE = {
    "materials": {
        "toy-x": {
            "points": [
                {"temperature_K": 800.0, "D_cm2_s": 1e-5, "se_lnD": 0.05},
                {"temperature_K": 1000.0, "D_cm2_s": 3e-5, "se_lnD": 0.04},
                {"temperature_K": 1200.0, "D_cm2_s": 6e-5, "se_lnD": 0.04},
            ],
            "sigma_300K_mS_cm": 1.0,
        }
    }
}


def _campaign(tmp_path: Path, *, results: dict | None, ci300: list[float]) -> Path:
    """An adaptive directory: adaptive.json (old layout: no framework_growth) and
    optionally results.json, D at 800 K wrong by e¹, 1000 K right, 1200 K not counted."""
    d = tmp_path / "adaptive"
    d.mkdir()
    adaptive = {
        "atom_steps": 1.5e7,
        "materials": {"toy-x": {"status": "resolved", "reliable_K": [800.0, 1000.0]}},
        "systems": {
            f"toy-x_{T:g}K": {
                "material_id": "toy-x",
                "temperature_K": T,
                "numbers": {"D_cm2_s": D, "D_ci95_cm2_s": [0.5 * D, 1.5 * D]},
            }
            for T, D in ((800.0, math.e * 1e-5), (1000.0, 3e-5), (1200.0, 6e-5 * 1.1))
        },
    }
    (d / "adaptive.json").write_text(json.dumps(adaptive))
    if results is not None:
        results["materials"]["toy-x"]["sigma_300K_ci95_mS_cm"] = ci300
        (d / "results.json").write_text(json.dumps(results))
    return d


def _results() -> dict:
    rows = [
        {
            "temperature_K": 800.0,
            "D_cm2_s": math.e * 1e-5,
            "D_ci95_cm2_s": [math.e * 1e-5 * math.exp(f * 1.959964 * 0.1) for f in (-1, 1)],
            "used_in_fit": True,
        },
        {"temperature_K": 1000.0, "D_cm2_s": 3e-5, "used_in_fit": True},
        {"temperature_K": 1200.0, "D_cm2_s": 6e-5 * 1.1, "used_in_fit": False},
        {"temperature_K": 1300.0, "D_cm2_s": 9e-5, "used_in_fit": True},
    ]
    return {"materials": {"toy-x": {"temperatures": rows, "sigma_300K_mS_cm": 2.0}}}


@pytest.mark.parametrize(("ci300", "covered"), [([1.5, 3.0], False), ([0.5, 3.0], True)])
def test_wrong_D_shows_and_coverage_is_read(tmp_path: Path, ci300, covered) -> None:
    c = compare_campaign(
        campaign=load_campaign(_campaign(tmp_path, results=_results(), ci300=ci300)),
        reference=REFERENCE,
    )["toy-x"]
    assert c["points"][800.0]["ln_ratio"] == pytest.approx(1.0)
    assert c["points"][1000.0]["ln_ratio"] == pytest.approx(0.0, abs=1e-12)
    assert c["points"][1200.0]["ln_ratio"] == pytest.approx(math.log(1.1))
    assert 1300.0 not in c["points"]  # no reference point there
    assert c["points"][1200.0]["counted"] is False and c["points"][800.0]["counted"]
    assert c["points"][800.0]["se_ref"] == 0.05
    assert c["points"][800.0]["se_run"] == pytest.approx(0.1, rel=1e-5)
    assert c["points"][800.0]["z"] == pytest.approx(1.0 / math.hypot(0.05, 0.1), rel=1e-5)
    assert math.isnan(c["points"][1000.0]["z"])  # no interval: no z
    assert c["covered"] is covered
    assert c["resolved"] and c["atom_steps"] == 1.5e7
    table = "\n".join(format_comparison({"after": {"toy-x": c}}))
    assert "800: +1.00 ± 0.05" in table and "(1200: +0.10 ± 0.04" in table


def test_unanalysed_campaign_uses_the_loop_estimates(tmp_path: Path) -> None:
    c = compare_campaign(
        campaign=load_campaign(_campaign(tmp_path, results=None, ci300=[])),
        reference=REFERENCE,
    )["toy-x"]
    assert c["points"][800.0]["ln_ratio"] == pytest.approx(1.0)
    assert c["counted_K"] == [800.0, 1000.0]  # the loop's reliable_K
    assert c["covered"] is None and c["sigma_300K_mS_cm"] is None


def test_reference_point_mean_se_and_melt() -> None:
    rows = [
        {
            "D_cm2_s": D,
            "D_ci95_cm2_s": [0.8 * D, 1.2 * D],
            "duration_ps": 24.0,
            "msd_max_A2": 30.0 + i,
            "framework_mobile": i == 2,
            "n_mobile": 27,
            "volume_A3": 4000.0,
        }
        for i, D in enumerate((1.0e-5, 1.2e-5, 1.4e-5))
    ]
    p = reference_point(temperature_K=700.0, rows=rows)
    assert p["D_cm2_s"] == pytest.approx(1.2e-5)
    assert p["se_lnD"] == pytest.approx(0.2e-5 / math.sqrt(3) / 1.2e-5)
    assert p["melted"] and p["min_msd_A2"] == 30.0 and p["n_seeds"] == 3


def test_reference_sigma300_is_nernst_einstein_of_the_arrhenius_line() -> None:
    Ea, D0 = 0.3, 1e-3
    pts = [
        {
            "temperature_K": T,
            "D_cm2_s": D0 * math.exp(-Ea / (KB_EV * T)),
            "D_ci95_cm2_s": [D0 * math.exp(-Ea / (KB_EV * T)) * f for f in (0.9, 1.1)],
            "n_mobile": 27.0,
            "volume_A3": 4000.0,
        }
        for T in (700.0, 900.0, 1100.0, 1300.0)
    ]
    s = reference_sigma300(pts)
    D300 = D0 * math.exp(-Ea / (KB_EV * 300.0)) * 1e-4  # m²/s
    sigma_S_m = 27 / (4000.0 * 1e-30) * E_C**2 * D300 / (KB_J * 300.0)
    assert s["sigma_300K_mS_cm"] == pytest.approx(sigma_S_m * 10.0, rel=1e-6)  # S/m → mS/cm
    lo, hi = s["sigma_300K_ci95_mS_cm"]
    assert lo < s["sigma_300K_mS_cm"] < hi
    assert s["prediction"] and s["Ea_eV"] == pytest.approx(Ea)
