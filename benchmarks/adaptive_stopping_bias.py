"""Is the D the adaptive protocol fits biased, by its stop or by its class? (issue 20)

Runs of hopping Li walkers of known D (benchmarks/adaptive_walkers.py) go
through the on-device MSD accumulator; the real ``judge_system`` decides after
every chunk, exactly as the loop calls it (``target_reached_ps`` carried from one
chunk to the next), and classes each run: *reliable* (its Li MSD reached the
target), *slow_diffusive* or *caged* (short of it at max_duration_ps; the
log-log slope decides). The D that is reported is taken at the stop, over the
whole run, two ways:

- ``acc``: the accumulator's estimate (``system_numbers``: what the loop stores);
- ``ana``: the analysis's estimator on the stored trajectory of the whole run
  (``ionmd.analysis.diffusion.analyse_trajectory``, least squares from 3 ps; the
  point estimate kinisi's fit also centres on).

and averaged over two sets of runs: those that *reached* the target (what the
protocol fitted before: ``reliable_K``) and the *fit set*, every diffusive run
(reliable or slow_diffusive, ``ionmd.analysis.fit_set.FIT_OUTCOMES``: what the
judge and the analysis fit now). Classing a run usable because its own MSD
reached 20 Å² selects its upward fluctuations wherever that is a coin toss;
the caged column shows what the slope test leaves out (and their mean: the
split selects too where it leaves many out).

Rules: ``old`` (the rule before issue 20, kept here only for the comparison:
stop at the first chunk where the Li MSD reached the target and D's interval is
narrow enough) and ``new`` (``judge_system``: after the Li MSD first reached the
target at t_r, stop at the first chunk where D's interval is narrow enough, but
not before (1 + RUN_ON_FRACTION) t_r), and for reference ``fixed`` (every run
to max_duration_ps, classed there by the judge). Scenarios
(6 D max_duration / target, Li per run, target_D_log10_ci):

- ``boundary`` (1.0, 24, 0.3): exactly at the boundary, 20 Å² reached on
  average at max_duration_ps; every run stops there, about half reach it;
- ``just reachable`` (1.25, 24, 0.3): most runs reach 20 Å², some by
  max_duration_ps only;
- ``threshold`` (1.5, 64, 0.3) and ``above`` (10, 64, 0.3), well above: the
  default interval; many ions, so the interval is narrow when the MSD crosses
  (and every run reaches the target);
- ``threshold, loose interval`` and ``above, loose interval`` (24 ions, 1.0
  decades): the Li MSD crossing the target decides the stop (a first passage);
- ``short`` (0.3, 24, 0.3) and ``few hops`` (0.1, 24, 0.3): no run reaches the
  target; is the slope test (slow_diffusive vs caged) selective? (``few hops``:
  ~5 hops per run on the vibrational plateau; the log of so noisy an estimate
  is low whatever is selected.)

    python -m benchmarks.adaptive_stopping_bias [--runs 160] [--scenario boundary]
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.adaptive_walkers import Motion, chunks
from ionmd.analysis.fit_set import FIT_OUTCOMES
from ionmd.campaign.adaptive.judge import judge_system, system_numbers
from ionmd.campaign.adaptive.settings import AdaptiveSettings

MAX_PS, CHUNK_PS, STRIDE_PS, FRAME_EVERY = 100.0, 5.0, 0.1, 5
HOP_A, VIBRATION_A2 = 3.0, 0.5
#: name → (6 D max_duration / target, Li per run, target_D_log10_ci)
SCENARIOS = {
    "boundary": (1.0, 24, 0.3),
    "just reachable": (1.25, 24, 0.3),
    "threshold": (1.5, 64, 0.3),
    "above": (10.0, 64, 0.3),
    "threshold, loose interval": (1.5, 24, 1.0),
    "above, loose interval": (10.0, 24, 1.0),
    "short": (0.3, 24, 0.3),
    "few hops": (0.1, 24, 0.3),
}


def settings_for(scenario: str) -> AdaptiveSettings:
    return AdaptiveSettings(
        chunk_ps=CHUNK_PS,
        max_duration_ps=MAX_PS,
        min_temperature_K=100.0,
        max_temperature_K=3000.0,
        target_D_log10_ci=SCENARIOS[scenario][2],
    )


@dataclass
class Table:
    """Per chunk (c) and run (i): the judge's numbers, and the Li frames."""

    D_A2_ps: float
    n_ions: int
    settings: AdaptiveSettings
    numbers: list[list[dict]]
    frames: np.ndarray  # (F, n_runs, n_ions, 3)


def simulate(*, scenario: str, n_runs: int, seed: int) -> Table:
    factor, n_ions, _ = SCENARIOS[scenario]
    settings = settings_for(scenario)
    D = factor * settings.target_msd_A2 / (6.0 * MAX_PS)
    li = [Motion(D_A2_ps=D, hop_A=HOP_A, plateau_A2=VIBRATION_A2)] * n_runs
    numbers, frames = [], []
    for run_ps, msd, fr in chunks(
        li=li,
        n_ions=n_ions,
        stride_ps=STRIDE_PS,
        chunk_ps=CHUNK_PS,
        max_ps=MAX_PS,
        seed=seed,
        frame_every=FRAME_EVERY,
    ):
        numbers.append(
            [
                system_numbers(m, n_ions=n_ions, run_ps=run_ps, equilibration_ps=0.0)
                for m in msd
            ]
        )
        frames.append(fr)
    return Table(
        D_A2_ps=D,
        n_ions=n_ions,
        settings=settings,
        numbers=numbers,
        frames=np.concatenate(frames),
    )


def _first_reached_ps(seq: list[dict], s: AdaptiveSettings) -> float | None:
    """When the Li MSD first reached the target (the chunk's run_ps), else None."""
    return next((n["run_ps"] for n in seq if (n["msd_A2"] or 0.0) >= s.target_msd_A2), None)


def _at_end(seq: list[dict], s: AdaptiveSettings) -> tuple[str, int]:
    """The judge's class at max_duration_ps: reliable, slow_diffusive or caged."""
    v = judge_system(seq[-1], settings=s, target_reached_ps=_first_reached_ps(seq, s))
    assert v.stop, "judge_system did not stop at max_duration_ps"
    return v.outcome, len(seq) - 1


def old_rule(seq: list[dict], s: AdaptiveSettings) -> tuple[str, int]:
    """The rule before issue 20 (for the comparison only): (outcome, stop chunk)."""
    for c, n in enumerate(seq):
        reached = (n["msd_A2"] or 0.0) >= s.target_msd_A2
        width = math.inf if n["D_log10_ci"] is None else n["D_log10_ci"]
        if reached and width <= s.target_D_log10_ci:
            return "reliable", c
    return _at_end(seq, s)


def new_rule(seq: list[dict], s: AdaptiveSettings) -> tuple[str, int]:
    """``judge_system`` chunk by chunk, as the loop drives it."""
    met = None
    for c, n in enumerate(seq):
        v = judge_system(n, settings=s, target_reached_ps=met)
        met = v.target_reached_ps if v.target_reached_ps is not None else met
        if v.stop:
            return v.outcome, c
    raise AssertionError("judge_system did not stop at max_duration_ps")


def fixed_rule(seq: list[dict], s: AdaptiveSettings) -> tuple[str, int]:
    """Every run to max_duration_ps, classed there by the judge."""
    return _at_end(seq, s)


RULES = {"old": old_rule, "new": new_rule, "fixed": fixed_rule}
#: the D values each set holds: those that reached the target (the protocol's
#: fit set before), and the fit set (:data:`ionmd.analysis.fit_set.FIT_OUTCOMES`)
SETS = {"reached": ("reliable",), "fit": FIT_OUTCOMES}


def analysis_D_A2_ps(frames: np.ndarray) -> float:
    """The analysis's D (least squares, no kinisi) over ``frames (F, M, 3)``."""
    from ionmd.analysis.diffusion import DiffusionSettings, analyse_trajectory
    from ionmd.analysis.trajectory import MobileTrajectory

    dt = STRIDE_PS * FRAME_EVERY
    traj = MobileTrajectory(
        positions_A=frames,
        time_ps=np.arange(frames.shape[0]) * dt,
        cell_A=np.diag([50.0, 50.0, 50.0]),
        temperature_K=1000.0,
        material_id="walkers",
        source="synthetic",
    )
    r = analyse_trajectory(traj=traj, settings=DiffusionSettings(use_kinisi=False))
    return r.D_cm2_s * 1e4


def mean_se(x: list[float]) -> tuple[float, float]:
    """Mean and its standard error (nan with fewer than two)."""
    if len(x) < 2:
        return math.nan, math.nan
    return float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(len(x)))


def classify(table: Table, rule: str) -> list[tuple[str, int]]:
    """(outcome, stop chunk) of every run under ``rule``."""
    n_runs = len(table.numbers[0])
    return [
        RULES[rule]([row[i] for row in table.numbers], table.settings)
        for i in range(n_runs)
    ]


def measure(table: Table, rule: str, *, analysis: bool = True) -> dict:
    """Per set (``SETS``): n, mean ± SE of ln(D/D_true), accumulator (``acc``) and
    analysis (``ana``, skipped when ``analysis`` is False); the caged runs'
    count and accumulator mean; the mean stop of the fit set, ps."""
    per_chunk = round(CHUNK_PS / (STRIDE_PS * FRAME_EVERY))
    acc: dict[str, list[float]] = {}
    ana: dict[str, list[float]] = {}
    stops = []
    for i, (outcome, c) in enumerate(classify(table, rule)):
        D = table.numbers[c][i]["D_cm2_s"]
        lnD = math.log(D * 1e4 / table.D_A2_ps) if D and D > 0 else math.nan
        acc.setdefault(outcome, []).append(lnD)
        if analysis and outcome in FIT_OUTCOMES:
            frames = table.frames[: (c + 1) * per_chunk + 1, i]
            ana.setdefault(outcome, []).append(
                math.log(analysis_D_A2_ps(frames) / table.D_A2_ps)
            )
        if outcome in FIT_OUTCOMES:
            stops.append((c + 1) * CHUNK_PS)
    out: dict = {"n_runs": len(table.numbers[0])}
    for name, outcomes in SETS.items():
        a = [x for o in outcomes for x in acc.get(o, [])]
        b = [x for o in outcomes for x in ana.get(o, [])]
        out[name] = {"n": len(a), "acc": mean_se(a), "ana": mean_se(b)}
    caged = acc.get("caged", [])
    out["caged"] = (len(caged), float(np.nanmean(caged)) if caged else math.nan)
    out["stop_ps"] = float(np.mean(stops)) if stops else math.nan
    return out


def _ms(pair: tuple[float, float]) -> str:
    return "–" if math.isnan(pair[0]) else f"{pair[0]:+.3f} ± {pair[1]:.3f}"


def row(scenario: str, rule: str, m: dict) -> str:
    cells = [scenario, rule]
    for name in SETS:
        r = m[name]
        cells += [f"{r['n']}/{m['n_runs']}", _ms(r["acc"]), _ms(r["ana"])]
    n_caged, caged = m["caged"]
    cells += [f"{n_caged}" + (f" ({caged:+.2f})" if n_caged else ""), f"{m['stop_ps']:.0f}"]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=160)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--scenario", choices=list(SCENARIOS), action="append")
    args = ap.parse_args(argv)
    print(
        f"hopping walkers ({HOP_A} Å hops, {VIBRATION_A2} Å² vibration), chunk "
        f"{CHUNK_PS:g} ps, max_duration {MAX_PS:g} ps, target 20 Å², D interval ≤ "
        "0.3 decades (loose: 1.0)"
    )
    print(
        "| scenario | rule | reached target: n | mean ln(D/D_true), accumulator "
        "| analysis | **fit set**: n | accumulator | analysis | caged: n (mean) "
        "| mean stop, fit set (ps) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.scenario or list(SCENARIOS):
        t0 = time.perf_counter()
        k = list(SCENARIOS).index(name)
        table = simulate(scenario=name, n_runs=args.runs, seed=args.seed + k)
        for rule in RULES:
            print(row(name, rule, measure(table, rule)), flush=True)
        print(f"<!-- {name}: {time.perf_counter() - t0:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
