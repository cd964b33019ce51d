"""Issue 20, the fit set: the temperatures whose D the adaptive protocol fits are
not chosen by a statistic of D's own error. Walkers of known D exactly at the
boundary (20 Å² reached on average at max_duration_ps) go through the real MSD
accumulator and judge; the runs the judge's plan fits (``fit_K``: every
diffusive one) have D unbiased, while the runs that reached 20 Å² (the fit set
before, ``reliable_K``) have it high. Full measurement:
``python -m benchmarks.adaptive_stopping_bias`` (docs/adaptive.md)."""

from __future__ import annotations

import math

import numpy as np

from ionmd.campaign.adaptive.judge import judge_system, plan_material, system_numbers
from ionmd.campaign.adaptive.settings import AdaptiveSettings

MAX_PS, CHUNK_PS, STRIDE_PS, N_IONS = 100.0, 20.0, 0.2, 24


def _boundary_runs(n_runs: int, seed: int) -> tuple[float, list[dict]]:
    """(D_true Å²/ps, per run its judged record) for hopping walkers with
    6 D max_duration = target, judged chunk by chunk as the loop does."""
    from benchmarks.adaptive_walkers import Motion, chunks

    s = AdaptiveSettings(chunk_ps=CHUNK_PS, max_duration_ps=MAX_PS)
    D = s.target_msd_A2 / (6.0 * MAX_PS)
    li = [Motion(D_A2_ps=D, hop_A=3.0, plateau_A2=0.5)] * n_runs
    met: list[float | None] = [None] * n_runs
    records: list[dict | None] = [None] * n_runs
    for run_ps, msd, _ in chunks(li=li, n_ions=N_IONS, stride_ps=STRIDE_PS,
                                 chunk_ps=CHUNK_PS, max_ps=MAX_PS, seed=seed):  # fmt: skip
        for i, m in enumerate(msd):
            if records[i] is not None:
                continue
            n = system_numbers(m, n_ions=N_IONS, run_ps=run_ps, equilibration_ps=0.0)
            v = judge_system(n, settings=s, target_reached_ps=met[i])
            met[i] = v.target_reached_ps if v.target_reached_ps is not None else met[i]
            if v.stop:
                records[i] = {"outcome": v.outcome, "numbers": n}
    assert all(r is not None for r in records)
    return D, records  # type: ignore[return-value]


def _mean_se(x: list[float]) -> tuple[float, float]:
    return float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(len(x)))


def test_the_judge_fits_an_unbiased_set_at_the_boundary() -> None:
    D, records = _boundary_runs(n_runs=120, seed=1)
    # one material whose "temperatures" are the runs: the judge's plan says which
    # of them its σ(300 K) is fitted over
    systems = {
        f"m_{1000 + i}K": {"temperature_K": 1000.0 + i, **r} for i, r in enumerate(records)
    }
    plan = plan_material(systems, settings=AdaptiveSettings(), allow_add=False)

    def ln_err(temps: list[float]) -> list[float]:
        return [
            math.log(systems[f"m_{T:g}K"]["numbers"]["D_cm2_s"] * 1e4 / D) for T in temps
        ]

    mean, se = _mean_se(ln_err(plan.fit_K))
    assert abs(mean) <= 0.03 and abs(mean) <= 2 * se, (mean, se)
    assert len(plan.fit_K) >= 100  # the slope test leaves (almost) none out here
    # the runs that reached 20 Å² (the fit set before) are selected high
    reached, se_r = _mean_se(ln_err(plan.reliable_K))
    assert 30 <= len(plan.reliable_K) <= 90
    assert reached > 0.03 and reached > 2 * se_r, (reached, se_r)
