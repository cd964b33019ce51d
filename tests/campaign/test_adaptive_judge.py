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


def _n(run_ps=100.0, msd=30.0, fw=0.5, D=1e-5, width=0.1, growth=None, slope=None):
    lo, hi = D / 10 ** (width / 2), D * 10 ** (width / 2)
    return {"run_ps": run_ps, "msd_A2": msd, "framework_msd_A2": fw, "D_cm2_s": D,
            "D_ci95_cm2_s": [lo, hi], "D_log10_ci": width,
            "framework_growth_A2": growth, "msd_loglog_slope": slope}  # fmt: skip


def test_system_rules() -> None:
    v = judge_system(_n(fw=6.0), settings=S)
    assert (v.stop, v.outcome) == (True, "melted") and "framework MSD 6.0" in v.reason
    # the Li MSD reached the target at 100 ps: the run goes on to 300 ps at least
    # (RUN_ON_FRACTION = 2), whatever its MSD and interval do meanwhile
    v = judge_system(_n(), settings=S)
    assert (v.stop, v.outcome, v.target_reached_ps) == (False, "running", 100.0)
    assert "runs on to 300 ps at least" in v.reason
    v = judge_system(_n(run_ps=275.0, msd=12.0), settings=S, target_reached_ps=100.0)
    assert not v.stop
    v = judge_system(_n(run_ps=300.0), settings=S, target_reached_ps=100.0)
    assert (v.stop, v.outcome, v.target_reached_ps) == (True, "reliable", 100.0)
    # from then on the interval alone decides
    v = judge_system(_n(run_ps=300.0, width=0.8), settings=S, target_reached_ps=100.0)
    assert not v.stop and "D's interval 0.80 > 0.3" in v.reason
    v = judge_system(_n(run_ps=900.0), settings=S, target_reached_ps=100.0)
    assert (v.stop, v.outcome) == (True, "reliable")
    v = judge_system(_n(msd=12.0), settings=S)
    assert (v.stop, v.outcome) == (False, "running") and "Li MSD 12.0 Å² < 20" in v.reason
    v = judge_system(_n(run_ps=1000.0, msd=6.0, slope=0.1), settings=S)
    assert (v.stop, v.outcome) == (True, "caged")
    assert v.reason.startswith("Li MSD 6.0 Å² < 20 Å² after 1000 ps (max_duration_ps)")
    v = judge_system(_n(run_ps=1000.0, msd=6.0, slope=0.9, D=1e-7), settings=S)
    assert (v.stop, v.outcome) == (True, "slow_diffusive")
    assert "slow but diffusive; at its D it would need ~3333 ps" in v.reason
    v = judge_system(_n(run_ps=1000.0, width=0.8), settings=S)
    assert (v.stop, v.outcome) == (True, "reliable")
    # reached in the last chunks: it stops at max_duration_ps
    v = judge_system(_n(run_ps=975.0), settings=S)
    assert (v.stop, v.target_reached_ps) == (False, 975.0)
    assert "runs on to 1000 ps at least" in v.reason
    # no MSD yet (inside equilibration): go on
    v = judge_system({"run_ps": 25.0}, settings=S)
    assert not v.stop


def test_creeping_framework_is_not_melted_a_growing_one_is() -> None:
    """The melt verdict does not grow with the run: 6 Å² reached by a slow creep
    (0.6 Å² per 100 ps) is not a melt; the same level growing 8 Å² per 100 ps is."""
    v = judge_system(_n(run_ps=1000.0, fw=6.0, growth=0.6, slope=0.9), settings=S)
    assert v.outcome == "reliable"
    v = judge_system(_n(run_ps=300.0, fw=6.0, growth=8.0), settings=S)
    assert (v.stop, v.outcome) == (True, "melted") and "grows 8.0 Å² per 100 ps" in v.reason


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


def test_hottest_caged_adds_up_never_at_a_melt() -> None:
    systems = {
        "m_900K": _rec(900, "queued"),
        "m_1000K": _rec(1000, "caged", run_ps=1000.0, msd=6.0),
    }
    plan = plan_material(systems, settings=S)
    # 900 K cannot leave the cage where 1000 K did not: cancelled, and three more
    # up to max_temperature_K
    assert plan.cancel == {
        "m_900K": "colder than 1000 K, where the Li MSD levelled off (caged)"
    }
    assert plan.add_K == [1100.0, 1200.0, 1300.0]
    systems["m_1200K"] = _rec(1200, "melted", fw=9.0)
    plan = plan_material(systems, settings=S)
    assert plan.add_K == [1100.0, 1150.0, 1175.0]  # up, then between: all below 1200
    # an adaptive.json written before the split says sub_diffusive: read as caged
    systems["m_1000K"]["outcome"] = "sub_diffusive"
    assert set(plan_material(systems, settings=S).cancel) == {"m_900K"}


def test_slow_diffusive_cancels_colder_only_when_predicted_too_slow() -> None:
    """Slow but diffusive at 1000 K: colder ones are slower still. They are
    cancelled when even D's upper bound needs longer than max_duration_ps for the
    target (t = 20 Å² / 6 D), and left to run when it might not."""
    # D ≤ 2.2e-7 cm²/s (width 0.3 around 1.55e-7): 20 Å² needs ≥ 1500 ps > 1000
    slow = _rec(1000, "slow_diffusive", run_ps=1000.0, msd=10.0, D=1.55e-7, width=0.3)
    systems = {"m_900K": _rec(900, "running"), "m_1000K": slow}
    plan = plan_material(systems, settings=S)
    (why,) = plan.cancel.values()
    assert set(plan.cancel) == {"m_900K"} and why.startswith(
        "colder than 1000 K, slow-diffusive there: even at D's upper bound 2.2e-07 cm²/s"
    )
    need = 20.0 / (6 * 1.55e-7 * 10**0.15 * 1e4)  # Å² / (Å²/ps)
    assert f"needs {need:.0f} ps > max_duration_ps (1000 ps)" in why
    # D ≤ 4.4e-7 cm²/s: 20 Å² in 757 ps is possible: 900 K goes on
    systems["m_1000K"] = _rec(
        1000, "slow_diffusive", run_ps=1000.0, msd=17.0, D=3.1e-7, width=0.3
    )
    assert plan_material(systems, settings=S).cancel == {}


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


def test_running_colder_than_a_caged_one_is_stopped() -> None:
    systems = {
        "m_1000K": _rec(1000, "running"),
        "m_1100K": _rec(1100, "caged", run_ps=1000.0, msd=3.0),
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
    assert judge_system(n | {"D_log10_ci": 0.1}, settings=S).target_reached_ps == 9.0


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


# --- walkers of known motion through the MSD accumulator (issue 20) -------------


def _judged(*, li, fw=None, n_runs, chunk_ps, max_ps, stride_ps, seed):
    """Per chunk: (run_ps, [numbers of each run]) from walkers of known motion."""
    from benchmarks.adaptive_walkers import chunks

    for run_ps, msd, _ in chunks(
        li=[li] * n_runs, framework=None if fw is None else [fw] * n_runs,
        n_ions=16, n_framework=0 if fw is None else 24, stride_ps=stride_ps,
        chunk_ps=chunk_ps, max_ps=max_ps, seed=seed,
    ):  # fmt: skip
        yield (
            run_ps,
            [
                system_numbers(m, n_ions=16, run_ps=run_ps, equilibration_ps=0.0)
                for m in msd
            ],
        )


def test_a_creeping_framework_is_not_melted_however_long_the_run() -> None:
    """A crystalline framework (0.5 Å² plateau) creeping at D = 1e-3 Å²/ps passes
    5 Å² near 1,000 ps (the rule before issue 20 called that molten, and every
    warmer temperature with it); the judge never does. A framework diffusing at
    half Li's D is melted at the first chunk."""
    from benchmarks.adaptive_walkers import Motion

    s = AdaptiveSettings(chunk_ps=50.0, max_duration_ps=1000.0)
    creep = Motion(D_A2_ps=1e-3, plateau_A2=0.5, cage_ps=0.5)
    caged_li = Motion(plateau_A2=3.0, cage_ps=2.0)
    fw_end = []
    for _, numbers in _judged(li=caged_li, fw=creep, n_runs=2, chunk_ps=50.0,
                              max_ps=1000.0, stride_ps=1.0, seed=7):  # fmt: skip
        assert all(judge_system(n, settings=s).outcome != "melted" for n in numbers)
        fw_end = [n["framework_msd_A2"] for n in numbers]
    assert max(fw_end) >= 5.0  # the level alone would have said melted
    melt = Motion(D_A2_ps=0.05, plateau_A2=0.5, cage_ps=0.5)
    li = Motion(D_A2_ps=0.1, hop_A=3.0, plateau_A2=0.5)
    run_ps, numbers = next(
        _judged(li=li, fw=melt, n_runs=2, chunk_ps=50.0, max_ps=50.0, stride_ps=1.0, seed=8)
    )
    assert [judge_system(n, settings=s).outcome for n in numbers] == ["melted"] * 2


def test_slow_but_diffusive_and_caged_are_told_apart() -> None:
    """At max_duration_ps, short of 20 Å²: hopping Li (6 D T = 10 Å²) is
    slow_diffusive, Li rattling in a 5 Å² cage is caged (both were
    sub_diffusive before issue 20)."""
    from benchmarks.adaptive_walkers import Motion

    s = AdaptiveSettings(chunk_ps=100.0, max_duration_ps=100.0)
    slow = Motion(D_A2_ps=10.0 / 600.0, hop_A=3.0, plateau_A2=0.5)
    cage = Motion(plateau_A2=5.0, cage_ps=1.0)
    for li, outcome in ((slow, "slow_diffusive"), (cage, "caged")):
        _, numbers = next(_judged(li=li, n_runs=3, chunk_ps=100.0, max_ps=100.0,
                                  stride_ps=0.1, seed=9))  # fmt: skip
        assert [judge_system(n, settings=s).outcome for n in numbers] == [outcome] * 3


def test_cancellations_are_one_info_line_per_reason(caplog) -> None:
    """The loop says which temperatures it cancels and why (the CLI shows INFO)."""
    import logging

    from ionmd.campaign.adaptive.loop import _log_cancelled

    systems = {"m_800K": _rec(800, "queued"), "m_900K": _rec(900, "running"),
               "m_1000K": _rec(1000, "caged", run_ps=1000.0, msd=3.0)}  # fmt: skip
    plan = plan_material(systems, settings=S)
    with caplog.at_level(logging.INFO, logger="ionmd"):
        _log_cancelled("m", plan.cancel, systems)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert lines == [
        "adaptive: m: cancelled 800, 900 K (colder than 1000 K, where the Li MSD "
        "levelled off (caged))"
    ]
