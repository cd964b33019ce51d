"""Issue 20, one set of temperatures: an adaptive campaign's results.json fits
exactly the temperatures its protocol fits (every diffusive one, reliable or
slow_diffusive, below any melt: :func:`ionmd.analysis.fit_set.fit_set`, which
the judge calls too), says per temperature whether and why it entered the fit,
and the judge's σ(300 K) interval is the report's for the same points (one
function both use). An old adaptive.json (``reliable_K`` only, short runs named
``sub_diffusive``) still reads, and fits its ``reliable_K``."""

import math

import numpy as np
import pytest
from adaptive_helpers import adaptive_doc, adaptive_run_dir

from ionmd.analysis.diffusion import DiffusionResult, DiffusionSettings
from ionmd.analysis.summarise import summarise_material
from ionmd.campaign.adaptive.judge import sigma300_log10_ci
from ionmd.fileformat import system_key
from ionmd.report.analysis_files import analyze_run_dir
from ionmd.report.results_json import material_dict
from ionmd.units import KB_EV_PER_K

# T → (outcome, Li MSD at the stop, melted): 800 K never reached the target,
# 1300 K stayed crystalline above the 1200 K melt; the protocol counted 900–1100 K
_SYSTEMS = {
    800.0: ("sub_diffusive", 8.0, False),
    900.0: ("reliable", 22.0, False),
    1000.0: ("reliable", 30.0, False),
    1100.0: ("reliable", 45.0, False),
    1200.0: ("melted", 80.0, True),
    1300.0: ("reliable", 90.0, False),
}
MID = "toy-x"


def _doc(runs: dict | None = None) -> dict:
    doc = adaptive_doc()
    systems = {}
    for T, (outcome, msd, melted) in (runs or _SYSTEMS).items():
        systems[system_key(MID, T)] = {
            "material_id": MID,
            "temperature_K": T,
            "entered_step": 0,
            "left_step": 25000,
            "run_ps": 100.0,
            "outcome": outcome,
            "reason": f"{outcome} at {T:g} K",
            "numbers": {
                "run_ps": 100.0,
                "msd_A2": msd,
                "D_cm2_s": msd / 600.0 * 1e-4,
                "D_ci95_cm2_s": [msd / 600.0 * 1e-4 / 1.5, msd / 600.0 * 1e-4 * 1.5],
                "framework_msd_A2": 5.2 if melted else 0.3,
            },
        }
    doc["systems"], doc["events"] = systems, []
    doc["materials"] = {
        MID: {
            "status": "resolved",
            "reason": "3 reliable temperatures",
            "temperatures_K": list(_SYSTEMS),
            "reliable_K": [900.0, 1000.0, 1100.0],
            "melted_K": [1200.0],
            "sigma300_log10_ci": 0.9,
        }
    }
    return doc


def test_adaptive_results_fit_only_the_counted_temperatures(tmp_path):
    run = adaptive_run_dir(tmp_path, _doc())
    doc = analyze_run_dir(run, settings=DiffusionSettings(use_kinisi=False), figures=False)
    m = doc["materials"][MID]
    assert m["arrhenius_temperatures_K"] == [900.0, 1000.0, 1100.0]
    assert m["arrhenius_protocol"] == "adaptive"
    use = {
        t["temperature_K"]: (t["used_in_fit"], t["used_in_fit_reason"])
        for t in m["temperatures"]
    }
    assert [T for T, (u, _) in use.items() if u] == [900.0, 1000.0, 1100.0]
    assert "Li MSD reached the target" in use[900.0][1]
    assert "sub-diffusive" in use[800.0][1]  # an old file's name: read as caged
    assert "above the melt at 1200 K" in use[1300.0][1]
    assert "melt" in use[1200.0][1]  # the analysis's check or the protocol's word
    assert m["sigma_300K_mS_cm"] is not None and m["arrhenius_prediction"] is True


# a campaign after the fit-set rule: 850 K slow but diffusive (fitted, its own
# interval), 800 K caged (not), 1250 K slow_diffusive above the 1200 K melt (not)
_NEW = {
    800.0: ("caged", 4.0, False),
    850.0: ("slow_diffusive", 12.0, False),
    **{T: v for T, v in _SYSTEMS.items() if T != 800.0},
    1250.0: ("slow_diffusive", 15.0, False),
}


def test_a_slow_diffusive_temperature_is_fitted_by_the_judge_and_the_report(tmp_path):
    """The judge's fit set (its σ(300 K) width and resolve decision) and
    results.json's fitted temperatures are one set, by one definition, and it
    holds the slow_diffusive temperature below the melt."""
    from ionmd.campaign.adaptive.judge import plan_material
    from ionmd.campaign.adaptive.settings import AdaptiveSettings

    adoc = _doc(_NEW)
    settings = AdaptiveSettings(min_reliable_temperatures=3, target_sigma300_log10_ci=99.0)
    plan = plan_material(adoc["systems"], settings=settings, allow_add=False)
    assert plan.fit_K == [850.0, 900.0, 1000.0, 1100.0]
    assert plan.reliable_K == [900.0, 1000.0, 1100.0]  # reached the target: reported
    assert plan.status == "resolved" and "4 temperatures fitted" in plan.reason
    adoc["materials"][MID] |= {"fit_K": plan.fit_K, "reliable_K": plan.reliable_K}
    run = adaptive_run_dir(tmp_path, adoc)
    doc = analyze_run_dir(run, settings=DiffusionSettings(use_kinisi=False), figures=False)
    m = doc["materials"][MID]
    assert m["arrhenius_temperatures_K"] == plan.fit_K
    assert doc["adaptive"]["materials"][MID]["fit_K"] == plan.fit_K
    assert doc["adaptive"]["materials"][MID]["reliable_K"] == plan.reliable_K
    use = {t["temperature_K"]: t for t in m["temperatures"]}
    assert use[850.0]["used_in_fit"]
    assert "slow_diffusive" in use[850.0]["used_in_fit_reason"]
    assert not use[800.0]["used_in_fit"] and "caged" in use[800.0]["used_in_fit_reason"]
    assert not use[1250.0]["used_in_fit"]
    assert "above the melt at 1200 K" in use[1250.0]["used_in_fit_reason"]


def _result(T: float, D: float, ci: tuple[float, float]) -> DiffusionResult:
    z = np.zeros(2)
    return DiffusionResult(
        material_id="m",
        temperature_K=T,
        D_cm2_s=D,
        D_ci95_cm2_s=ci,
        D_method="kinisi",
        D_ols_cm2_s=D,
        D_sigma_cm2_s=D,
        D_sigma_ci95_cm2_s=ci,
        D_sigma_ols_cm2_s=D,
        haven_ratio=1.0,
        haven_ratio_ci95=(1.0, 1.0),
        msd_max_A2=30.0,
        framework_msd_max_A2=0.3,
        reliable=True,
        framework_mobile=False,
        n_mobile=24,
        n_atoms=32,
        volume_A3=3375.0,
        formula="Li3Ag",
        source="test",
        duration_ps=100.0,
        frame_interval_ps=0.5,
        fit_start_ps=3.0,
        n_lags=10,
        dimension="xyz",
        lag_ps=z,
        msd_A2=z,
        msd_collective_A2=z,
    )


@pytest.mark.parametrize("n", [2, 3, 5])
def test_judge_and_report_give_the_same_sigma300_interval(n):
    rng = np.random.default_rng(n)
    Ts = [900.0, 1000.0, 1100.0, 1200.0, 1300.0][:n]
    pts = []
    for T in Ts:
        D = 1e-3 * math.exp(-0.3 / (KB_EV_PER_K * T)) * math.exp(rng.normal(0, 0.2))
        half = rng.uniform(0.1, 0.4)
        pts.append((T, D, (D * math.exp(-half), D * math.exp(half))))
    judged = sigma300_log10_ci(
        [(T, {"D_cm2_s": D, "D_ci95_cm2_s": list(ci)}) for T, D, ci in pts]
    )
    m = material_dict(summarise_material(results=[_result(T, D, ci) for T, D, ci in pts]))
    lo, hi = m["sigma_300K_ci95_mS_cm"]
    if n < 3:  # not a prediction on either side
        assert judged is None and m["arrhenius_prediction"] is False
    else:
        assert m["arrhenius_prediction"] is True
        assert judged == pytest.approx(math.log10(hi / lo), rel=1e-9)


def test_study_fits_every_intact_run_and_two_temperatures_are_not_a_prediction():
    """The study's rule (no adaptive.json) is kept: a run below 20 Å² is fitted;
    a material with two temperatures, both reliable, is still not a prediction."""
    from ionmd.analysis.verdict import material_verdict
    from ionmd.analysis.verdict_basis import RequestedState, basis_of_summary

    rs = [_result(T, 1e-5 * T / 1000, (5e-6, 2e-5)) for T in (900.0, 1000.0)]
    rs[0].reliable = False  # Li MSD below 20 Å²: the study fits it anyway
    m = material_dict(summarise_material(results=rs))
    assert [t["used_in_fit"] for t in m["temperatures"]] == [True, True]
    assert all("study protocol" in t["used_in_fit_reason"] for t in m["temperatures"])
    assert m["arrhenius_protocol"] == "study" and m["arrhenius_prediction"] is False
    rs[0].reliable = True
    summary = summarise_material(results=rs)
    m = material_dict(summary)
    assert m["all_reliable"]
    line = material_verdict(
        "m", basis_of_summary(summary), RequestedState(status="fitted")
    ).line
    assert "not a prediction" in line and "(2 temperatures in the Arrhenius fit" in line
    assert ": resolved" not in line


def test_a_counted_temperature_without_a_result_is_noted():
    from ionmd.analysis.fit_temperatures import CountedTemperatures

    rs = [_result(T, 1e-5 * T / 1000, (5e-6, 2e-5)) for T in (900.0, 1000.0, 1100.0)]
    counted = CountedTemperatures(counted_K=(900.0, 1000.0, 1100.0, 1200.0))
    m = summarise_material(results=rs, counted=counted)
    assert m.used_in_fit_K == [900.0, 1000.0, 1100.0]
    assert any(
        "1200 K fitted by the adaptive protocol but not analysed" in n for n in m.notes
    )


def test_a_file_from_before_the_fit_set_says_the_protocol_decided_on_another_set(
    tmp_path,
):
    """An adaptive.json with slow_diffusive outcomes but no fit_K (its judge
    decided on reliable_K): the fit uses today's set and a note says so."""
    run = adaptive_run_dir(tmp_path, _doc(_NEW))  # materials: reliable_K only
    doc = analyze_run_dir(run, settings=DiffusionSettings(use_kinisi=False), figures=False)
    m = doc["materials"][MID]
    assert m["arrhenius_temperatures_K"] == [850.0, 900.0, 1000.0, 1100.0]
    assert any("predates the fit set" in n for n in m["notes"]), m["notes"]
