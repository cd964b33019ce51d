"""What the adaptive judge calls runs of known motion: melted or not, slow or caged.

Walkers of known motion (benchmarks/adaptive_walkers.py) go through the
on-device MSD accumulator and the real ``system_numbers`` / ``judge_system``
(issue 20), and the verdicts are counted:

1. **Melting** (``ionmd.analysis.reliability.is_framework_mobile``), against the
   rule before issue 20 (framework MSD ≥ 5 Å² at any lag):
   - *creep*: a crystalline framework (0.5 Å² vibrational plateau) drifting
     with D = 5 / (6 · 1000) Å²/ps, so that its MSD passes 5 Å² only near
     1,000 ps; Li caged, so the run goes on to max_duration_ps = 1,000 ps;
   - *melt*: the framework diffuses with D = 0.05 Å²/ps, half of Li's;
   - *study*: 100 ps runs (the study protocol's length, judged once at the end)
     with framework D from 1e-3 to 0.1 Å²/ps: old and new verdicts side by side.
2. **Slow or caged** at max_duration_ps (100 ps here, judged at the end):
   hopping Li whose MSD at the end is 1.5–19 Å² (6 D T from 0.075 to 0.95 × the
   20 Å² target, on a 0.5 Å² vibration) against caged Li (Ornstein–Uhlenbeck in
   a cage with a plateau of 1–15 Å², relaxing in 1, 5 or 20 ps): the fraction called
   slow_diffusive and caged, and the log-log slope's spread.

    python -m benchmarks.adaptive_outcomes [--runs 40]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.adaptive_walkers import Motion, chunks
from ionmd.analysis.reliability import FRAMEWORK_MSD_THRESHOLD_A2
from ionmd.campaign.adaptive.judge import judge_system, system_numbers
from ionmd.campaign.adaptive.settings import AdaptiveSettings

N_IONS, N_FRAMEWORK = 24, 32
VIBRATION_A2 = 0.5


def _settings(*, chunk_ps: float, max_ps: float) -> AdaptiveSettings:
    return AdaptiveSettings(
        chunk_ps=chunk_ps,
        max_duration_ps=max_ps,
        min_temperature_K=100.0,
        max_temperature_K=3000.0,
    )


def melt_verdicts(
    *, li: Motion, fw: Motion, n_runs: int, chunk_ps: float, max_ps: float,
    stride_ps: float, seed: int,
) -> dict[str, object]:  # fmt: skip
    """Per run, when the old rule and the new judge first call it melted (ps, or
    None) and the framework MSD at the end."""
    s = _settings(chunk_ps=chunk_ps, max_ps=max_ps)
    old: list[float | None] = [None] * n_runs
    new: list[float | None] = [None] * n_runs
    fw_end = [0.0] * n_runs
    for run_ps, msd, _ in chunks(
        li=[li] * n_runs, framework=[fw] * n_runs, n_ions=N_IONS,
        n_framework=N_FRAMEWORK, stride_ps=stride_ps, chunk_ps=chunk_ps,
        max_ps=max_ps, seed=seed,
    ):  # fmt: skip
        for i, m in enumerate(msd):
            n = system_numbers(m, n_ions=N_IONS, run_ps=run_ps, equilibration_ps=0.0)
            fw_end[i] = n["framework_msd_A2"]
            if old[i] is None and n["framework_msd_A2"] >= FRAMEWORK_MSD_THRESHOLD_A2:
                old[i] = run_ps
            if new[i] is None and judge_system(n, settings=s).outcome == "melted":
                new[i] = run_ps
    return {"old": old, "new": new, "fw_end_A2": fw_end}


def shape_verdicts(*, li: Motion, n_runs: int, seed: int) -> tuple[list[str], list[float]]:
    """The judge's outcome at max_duration_ps (100 ps) and the log-log slope, per
    run (the stop rule set aside: only the end verdict of a run short of 20 Å²)."""
    s = _settings(chunk_ps=100.0, max_ps=100.0)
    out, slopes = [], []
    for run_ps, msd, _ in chunks(
        li=[li] * n_runs, n_ions=N_IONS, stride_ps=0.1, chunk_ps=100.0, max_ps=100.0,
        seed=seed,
    ):  # fmt: skip
        for m in msd:
            n = system_numbers(m, n_ions=N_IONS, run_ps=run_ps, equilibration_ps=0.0)
            out.append(judge_system(n, settings=s).outcome)
            slopes.append(n["msd_loglog_slope"])
    return out, slopes


def _when(values: list[float | None]) -> str:
    hit = [v for v in values if v is not None]
    if not hit:
        return f"0/{len(values)}"
    return f"{len(hit)}/{len(values)} (median {np.median(hit):g} ps)"


def melting_table(n_runs: int) -> None:
    caged = Motion(plateau_A2=3.0, cage_ps=2.0)
    cases = {
        "creep, 1000 ps": dict(
            li=caged, fw=Motion(D_A2_ps=5 / 6000, plateau_A2=VIBRATION_A2, cage_ps=0.5),
            chunk_ps=25.0, max_ps=1000.0, stride_ps=1.0,
        ),
        "melt, 1000 ps": dict(
            li=Motion(D_A2_ps=0.1, hop_A=3.0, plateau_A2=VIBRATION_A2),
            fw=Motion(D_A2_ps=0.05, plateau_A2=VIBRATION_A2, cage_ps=0.5),
            chunk_ps=25.0, max_ps=1000.0, stride_ps=1.0,
        ),
    }  # fmt: skip
    for D_fw in (1e-3, 5e-3, 8e-3, 1.2e-2, 2e-2, 1e-1):
        cases[f"study 100 ps, framework D {D_fw:g} Å²/ps"] = dict(
            li=caged, fw=Motion(D_A2_ps=D_fw, plateau_A2=VIBRATION_A2, cage_ps=0.5),
            chunk_ps=100.0, max_ps=100.0, stride_ps=0.1,
        )  # fmt: skip
    print(
        "| case | melted, old rule (fw MSD ≥ 5 Å²) | melted, judge | fw MSD at end (Å²) |"
    )
    print("|---|---|---|---|")
    for k, (name, kw) in enumerate(cases.items()):
        r = melt_verdicts(n_runs=n_runs, seed=100 + k, **kw)
        fw = np.array(r["fw_end_A2"])
        print(
            f"| {name} | {_when(r['old'])} | {_when(r['new'])} | "
            f"{np.median(fw):.2f} ({fw.min():.2f}–{fw.max():.2f}) |",
            flush=True,
        )


def shape_table(n_runs: int) -> None:
    target = 20.0
    cases = {}
    for f in (0.075, 0.15, 0.3, 0.5, 0.75, 0.95):
        D = f * target / (6 * 100.0)
        cases[f"diffusive, 6DT = {f * target:g} Å²"] = Motion(
            D_A2_ps=D, hop_A=3.0, plateau_A2=VIBRATION_A2
        )
    for plateau in (1.0, 5.0, 15.0):
        for cage in (1.0, 5.0, 20.0):
            cases[f"caged, plateau {plateau:g} Å², {cage:g} ps"] = Motion(
                plateau_A2=plateau, cage_ps=cage
            )
    print("| Li motion | slow_diffusive | caged | reliable | log-log slope (min–max) |")
    print("|---|---|---|---|---|")
    for k, (name, li) in enumerate(cases.items()):
        out, slopes = shape_verdicts(li=li, n_runs=n_runs, seed=200 + k)
        sl = np.array([x for x in slopes if x is not None])
        print(
            f"| {name} | {out.count('slow_diffusive')}/{len(out)} | "
            f"{out.count('caged')}/{len(out)} | {out.count('reliable')}/{len(out)} | "
            f"{np.median(sl):.2f} ({sl.min():.2f}–{sl.max():.2f}) |",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--only", choices=("melting", "shape"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.only in (None, "melting"):
        melting_table(args.runs)
    if args.only in (None, "shape"):
        shape_table(args.runs)
    print(f"<!-- {time.perf_counter() - t0:.0f} s -->")


if __name__ == "__main__":
    main()
