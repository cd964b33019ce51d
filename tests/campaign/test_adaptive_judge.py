"""The adaptive protocol's decisions (ionmd/campaign/adaptive/judge.py), case by
case: each rule of the issue is one test that fails if the rule is broken."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ionmd.campaign.adaptive.judge import (
    judge_system,
    plan_material,
    sigma300_log10_ci,
    system_numbers,
)
from ionmd.campaign.adaptive.settings import AdaptiveSettings
from ionmd.units import KB_EV_PER_K

S = AdaptiveSettings(
    chunk_ps=25.0,
    max_duration_ps=1000.0,
    min_reliable_temperatures=3,
    max_temperature_K=1300.0,
    min_temperature_K=600.0,
)


def _n(run_ps=100.0, msd=30.0, fw=0.5, D=1e-5, width=0.1):
    lo, hi = D / 10 ** (width / 2), D * 10 ** (width / 2)
    return {"run_ps": run_ps, "msd_A2": msd, "framework_msd_A2": fw, "D_cm2_s": D,
            "D_ci95_cm2_s": [lo, hi], "D_log10_ci": width}  # fmt: skip


def test_system_rules() -> None:
    v = judge_system(_n(fw=6.0), settings=S)
    assert (v.stop, v.outcome) == (True, "melted") and "framework MSD 6.0" in v.reason
    v = judge_system(_n(), settings=S)
    assert (v.stop, v.outcome) == (True, "reliable")
    v = judge_system(_n(msd=12.0), settings=S)
    assert (v.stop, v.outcome) == (False, "running") and "Li MSD 12.0 Å² < 20" in v.reason
    v = judge_system(_n(width=0.8), settings=S)
    assert not v.stop and "D's interval 0.80 > 0.3" in v.reason
    v = judge_system(_n(run_ps=1000.0, msd=6.0), settings=S)
    assert (v.stop, v.outcome) == (True, "sub_diffusive")
    assert v.reason == "Li MSD 6.0 Å² < 20 Å² after 1000 ps (max_duration_ps)"
    v = judge_system(_n(run_ps=1000.0, width=0.8), settings=S)
    assert (v.stop, v.outcome) == (True, "reliable")
    # no MSD yet (inside equilibration): go on
    v = judge_system({"run_ps": 25.0}, settings=S)
    assert not v.stop


def _rec(T, outcome, **numbers):
    return {
        "temperature_K": T,
        "outcome": outcome,
        "numbers": _n(**numbers) if numbers else {},
    }


def test_melt_cancels_above_and_adds_between() -> None:
    systems = {
        "m_800K": _rec(800, "reliable", D=1e-6),
        "m_900K": _rec(900, "running"),
        "m_1000K": _rec(1000, "melted", fw=7.0),
        "m_1100K": _rec(1100, "queued"),
    }
    plan = plan_material(systems, settings=S)
    assert plan.cancel == {"m_1100K": "at or above 1000 K, where the framework melted"}
    assert (
        plan.add_K == [950.0]
        and "between 900 K and the melt at 1000 K" in plan.add_reasons[0]
    )
    assert not plan.done


def test_hottest_sub_diffusive_adds_up_never_at_a_melt() -> None:
    systems = {
        "m_900K": _rec(900, "queued"),
        "m_1000K": _rec(1000, "sub_diffusive", run_ps=1000.0, msd=6.0),
    }
    plan = plan_material(systems, settings=S)
    # 900 K cannot diffuse where 1000 K did not: cancelled, and three more up to
    # max_temperature_K
    assert plan.cancel == {
        "m_900K": "colder than 1000 K, which stayed sub-diffusive for max_duration_ps"
    }
    assert plan.add_K == [1100.0, 1200.0, 1300.0]
    systems["m_1200K"] = _rec(1200, "melted", fw=9.0)
    plan = plan_material(systems, settings=S)
    assert plan.add_K == [1100.0, 1150.0, 1175.0]  # up, then between: all below 1200


def test_unresolved_says_why() -> None:
    systems = {
        "m_1000K": _rec(1000, "sub_diffusive", run_ps=1000.0, msd=3.0),
        "m_1100K": _rec(1100, "sub_diffusive", run_ps=1000.0, msd=6.2),
        "m_1110K": _rec(1110, "melted", fw=8.0),
        "m_1200K": _rec(1200, "melted", fw=9.0),
    }
    plan = plan_material(systems, settings=S)
    assert plan.done and plan.status == "unresolved" and not plan.add_K
    assert plan.reason.startswith(
        "hottest stable temperature 1100 K: Li MSD 6 Å² after 1000 ps"
    )
    assert "melted at 1110, 1200 K" in plan.reason


def _arrhenius_systems(Ts, width):
    Ea, D0 = 0.3, 1e-3
    return {
        f"m_{T}K": _rec(
            T, "reliable", D=D0 * math.exp(-Ea / (KB_EV_PER_K * T)), width=width
        )
        for T in Ts
    }


def test_resolved_when_enough_and_sigma_narrow() -> None:
    plan = plan_material(_arrhenius_systems([800, 1000, 1200], 0.05), settings=S)
    assert plan.done and plan.status == "resolved"
    assert plan.sigma300_log10_ci is not None and plan.sigma300_log10_ci < 1.0


def test_wide_sigma_adds_one_each_way_then_gives_up_with_budget() -> None:
    systems = _arrhenius_systems([900, 1000, 1100], 0.3)
    plan = plan_material(systems, settings=S)
    assert plan.sigma300_log10_ci > 1.0
    assert plan.add_K == [1200.0, 800.0]
    plan = plan_material(systems, settings=S, allow_add=False)
    assert plan.done and plan.status == "unresolved" and "σ(300 K) interval" in plan.reason


def test_sigma300_width_matches_arrhenius_propagation() -> None:
    """The width comes from the weighted fit's covariance: two points with 0.1
    decade each, extrapolated over 1/T, give the textbook propagation. Two
    temperatures are not a prediction (issue 20: nothing checks the per-point
    errors), so the judge's width is None while the shared extrapolation still
    states the propagated interval."""
    from ionmd.analysis.extrapolation import ArrheniusPoint, extrapolate_D

    pts = _arrhenius_systems([1000, 1250], 0.1)
    assert (
        sigma300_log10_ci([(r["temperature_K"], r["numbers"]) for r in pts.values()])
        is None
    )
    width = extrapolate_D(
        points=[
            ArrheniusPoint(
                temperature_K=r["temperature_K"],
                D_cm2_s=r["numbers"]["D_cm2_s"],
                D_ci95_cm2_s=tuple(r["numbers"]["D_ci95_cm2_s"]),
            )
            for r in pts.values()
        ]
    ).log10_ci
    x = np.array([-1 / (KB_EV_PER_K * T) for T in (1000, 1250)])
    x300 = -1 / (KB_EV_PER_K * 300)
    s_ln = 0.1 * math.log(10) / (2 * 1.959963984540054)
    # exact line through two points: ln D(300) = a + b x300, var from both ends
    w1 = (x[1] - x300) / (x[1] - x[0])
    w2 = (x300 - x[0]) / (x[1] - x[0])
    expected = 2 * 1.959963984540054 * s_ln * math.hypot(w1, w2) / math.log(10)
    assert width == pytest.approx(expected, rel=1e-9)


def test_numbers_from_an_accumulator() -> None:
    lag = np.array([0.01, 0.1, 1.0, 2.0, 5.0, 10.0])
    msd = 6 * 1e-5 * 1e4 * lag  # D = 1e-5 cm²/s → 0.6 Å²/ps
    n = system_numbers(
        {
            "lag_ps": lag,
            "mobile_A2": msd,
            "framework_A2": np.full(6, 0.2),
            "n_origins": np.array([1000, 100, 10, 5, 2, 1]),
        },  # fmt: skip
        n_ions=27,
        run_ps=15.0,
        equilibration_ps=5.0,
    )
    assert n["msd_A2"] == pytest.approx(6.0)
    assert n["framework_msd_A2"] == pytest.approx(0.2)
    assert n["D_cm2_s"] == pytest.approx(1e-5, rel=1e-6)


def test_running_colder_than_a_sub_diffusive_one_is_stopped() -> None:
    systems = {
        "m_1000K": _rec(1000, "running"),
        "m_1100K": _rec(1100, "sub_diffusive", run_ps=1000.0, msd=3.0),
        "m_1200K": _rec(1200, "running"),
    }
    plan = plan_material(systems, settings=S)
    assert set(plan.cancel) == {"m_1000K"}  # 1200 K may still diffuse


def test_numbers_include_the_whole_run_lag() -> None:
    """The analysis checks 20 Å² over lags up to the whole run; the loop does too
    (the lag grid alone stops at ~60-90 % of the run)."""
    lag = np.array([0.1, 1.0, 5.0])
    acc = {"lag_ps": lag, "mobile_A2": np.array([1.0, 8.0, 18.0]),
           "framework_A2": np.full(3, 0.2), "n_origins": np.array([100, 10, 2]),
           "mobile_whole_run_A2": 21.5, "framework_whole_run_A2": 0.4}  # fmt: skip
    n = system_numbers(acc, n_ions=27, run_ps=9.0, equilibration_ps=1.0)
    assert n["msd_A2"] == 21.5 and n["framework_msd_A2"] == 0.4
    assert judge_system(n | {"D_log10_ci": 0.1}, settings=S).outcome == "reliable"


def test_a_reliable_run_above_a_melt_does_not_count() -> None:
    """Melting nucleates: a short run at 1025 K can stay crystalline while 1000 K
    melted later (seen on toy-melt). It is not a reliable temperature."""
    systems = _arrhenius_systems([700, 800, 900, 1025], 0.05)
    systems["m_1000K"] = _rec(1000, "melted", fw=6.0)
    plan = plan_material(systems, settings=S)
    assert plan.reliable_K == [700.0, 800.0, 900.0]
    assert plan.done and plan.status == "resolved"  # three are enough here
    assert "1025" not in plan.reason


def test_idle_room_starts_the_next_temperature_early() -> None:
    """With room in the batch, a material whose finished temperatures leave σ(300 K)
    too wide gets its next one now, not after its last run (no room: it waits)."""
    systems = _arrhenius_systems([1000, 1100, 1200], 0.3)
    systems["m_900K"] = _rec(900, "running")
    assert plan_material(systems, settings=S).add_K == []
    plan = plan_material(systems, settings=S, room=True)
    assert plan.add_K == [1300.0] and "the batch has room" in plan.add_reasons[0]
    narrow = _arrhenius_systems([800, 1000, 1200], 0.02) | {"m_900K": _rec(900, "running")}
    assert plan_material(narrow, settings=S, room=True).add_K == []
