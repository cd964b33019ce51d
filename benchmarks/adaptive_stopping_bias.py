"""Does the adaptive stopping rule bias the D that is reported? (issue 20)

Runs of hopping Li walkers of known D (benchmarks/adaptive_walkers.py) go
through the on-device MSD accumulator; the real ``judge_system`` decides after
every chunk, exactly as the loop calls it (``target_reached_ps`` carried from one
chunk to the next). For every run classed *reliable* the D that is reported is
taken at its stop, over the whole run, two ways:

- ``acc``: the accumulator's estimate (``system_numbers``: what the loop stores);
- ``ana``: the analysis's estimator on the stored trajectory of the whole run
  (``ionmd.analysis.diffusion.analyse_trajectory``, least squares from 3 ps; the
  point estimate kinisi's fit also centres on).

Rules: ``old`` (the rule before issue 20, kept here only for the comparison:
stop at the first chunk where the Li MSD reached the target and D's interval is
narrow enough) and ``new`` (``judge_system``: after the Li MSD first reached the
target at t_r, stop at the first chunk where D's interval is narrow enough, but
not before (1 + RUN_ON_FRACTION) t_r), and for reference ``fixed`` (every run
to max_duration_ps, classed reliable by the same 20 Å² check). Scenarios
(6 D max_duration / target, Li per run, target_D_log10_ci):

- ``boundary`` (1.0, 24, 0.3): the target is just reachable; nearly every run
  stops at max_duration_ps and is reliable when its MSD reached 20 Å²;
- ``threshold`` (1.5, 64, 0.3) and ``above`` (10, 64, 0.3): the default
  interval; many ions, so the interval is narrow when the MSD crosses;
- ``threshold, loose interval`` and ``above, loose interval`` (24 ions, 1.0
  decades): the Li MSD crossing the target decides the stop (a first passage).

    python -m benchmarks.adaptive_stopping_bias [--runs 160] [--scenario threshold]
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.adaptive_walkers import Motion, chunks
from ionmd.campaign.adaptive.judge import judge_system, system_numbers
from ionmd.campaign.adaptive.settings import AdaptiveSettings

MAX_PS, CHUNK_PS, STRIDE_PS, FRAME_EVERY = 100.0, 5.0, 0.1, 5
HOP_A, VIBRATION_A2 = 3.0, 0.5
#: name → (6 D max_duration / target, Li per run, target_D_log10_ci)
SCENARIOS = {
    "boundary": (1.0, 24, 0.3),
    "threshold": (1.5, 64, 0.3),
    "above": (10.0, 64, 0.3),
    "threshold, loose interval": (1.5, 24, 1.0),
    "above, loose interval": (10.0, 24, 1.0),
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


def old_rule(seq: list[dict], s: AdaptiveSettings) -> tuple[str, int]:
    """The rule before issue 20 (for the comparison only): (outcome, stop chunk)."""
    for c, n in enumerate(seq):
        reached = (n["msd_A2"] or 0.0) >= s.target_msd_A2
        width = math.inf if n["D_log10_ci"] is None else n["D_log10_ci"]
        if reached and width <= s.target_D_log10_ci:
            return "reliable", c
    reached = (seq[-1]["msd_A2"] or 0.0) >= s.target_msd_A2
    return ("reliable" if reached else "short"), len(seq) - 1


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
    reached = (seq[-1]["msd_A2"] or 0.0) >= s.target_msd_A2
    return ("reliable" if reached else "short"), len(seq) - 1


RULES = {"old": old_rule, "new": new_rule, "fixed": fixed_rule}


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


def measure(table: Table, rule: str) -> dict[str, float]:
    """n reliable, mean ± SE of ln(D/D_true) (accumulator and analysis), stop ps."""
    n_runs = len(table.numbers[0])
    per_chunk = round(CHUNK_PS / (STRIDE_PS * FRAME_EVERY))
    acc, ana, stops = [], [], []
    for i in range(n_runs):
        seq = [row[i] for row in table.numbers]
        outcome, c = RULES[rule](seq, table.settings)
        if outcome != "reliable":
            continue
        acc.append(math.log(seq[c]["D_cm2_s"] * 1e4 / table.D_A2_ps))
        frames = table.frames[: (c + 1) * per_chunk + 1, i]
        ana.append(math.log(analysis_D_A2_ps(frames) / table.D_A2_ps))
        stops.append((c + 1) * CHUNK_PS)

    def mean_se(x: list[float]) -> tuple[float, float]:
        if len(x) < 2:
            return math.nan, math.nan
        return float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(len(x)))

    return {
        "n": len(acc),
        "n_runs": n_runs,
        "acc": mean_se(acc),
        "ana": mean_se(ana),
        "stop_ps": float(np.mean(stops)) if stops else math.nan,
    }


def row(scenario: str, rule: str, m: dict) -> str:
    return (
        f"| {scenario} | {rule} | {m['n']}/{m['n_runs']} | "
        f"{m['acc'][0]:+.3f} ± {m['acc'][1]:.3f} | "
        f"{m['ana'][0]:+.3f} ± {m['ana'][1]:.3f} | {m['stop_ps']:.0f} |"
    )


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
        "| scenario | rule | reliable | mean ln(D/D_true), accumulator | analysis "
        "| mean stop (ps) |"
    )
    print("|---|---|---|---|---|---|")
    for name in args.scenario or list(SCENARIOS):
        t0 = time.perf_counter()
        k = list(SCENARIOS).index(name)
        table = simulate(scenario=name, n_runs=args.runs, seed=args.seed + k)
        for rule in RULES:
            print(row(name, rule, measure(table, rule)), flush=True)
        print(f"<!-- {name}: {time.perf_counter() - t0:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
