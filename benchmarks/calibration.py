"""Calibration of ionmd's 95 % intervals against replicas of the toy conductor.

    python -m benchmarks.calibration [--out DIR] [--replicas 16] [--production-ps 5]

One campaign (``ionmd.run``, ``n_replicas``): ``builtin:toy-fast`` (135 atoms,
27 Li, docs/toy_conductor.md) at 800, 1000 and 1200 K, ``--replicas`` copies of
each temperature differing only in their initial velocities, float32 on the CPU,
all in one batch, analysed as a campaign is (kinisi). The reference for each
temperature is the mean D over all replicas (for σ(300 K): the Arrhenius fit of
those means, results.json ``pooled_replicas``). Measured, per interval:

- kinisi's D interval of each run (results.json ``D_ci95_cm2_s``);
- the adaptive loop's cheap D interval of each run
  (:func:`ionmd.numerics.diffusion_estimate.estimate_diffusion` on the run file's
  on-device MSD, as the loop computes it);
- σ(300 K) of each replica (its own Arrhenius fit over the three temperatures);
- the pooled interval (:func:`ionmd.analysis.pooling.pool_replicas`) of random
  subsets of k replicas, for D per temperature and for σ(300 K).

For each: the fraction of intervals that contain the reference (coverage), what
an exact interval would score in the same design (the reference is itself a
mean over the replicas, including the run judged), the RMS of the normalised
deviations (deviation / (half-width / 1.96) on the side of the deviation,
times sqrt(n / (n - 1)); 1 for an honest σ) and f95, the factor by which the
half-widths would have to grow for 95 % of the runs to cover the reference.
About 10 minutes on one core (most of it the MD), then ~2 min of kinisi.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

MATERIAL = "toy-fast"
TEMPERATURES_K = (800.0, 1000.0, 1200.0)
TIMESTEP_FS = 4.0
EQUILIBRATION_PS = 0.4


def simulate(*, out: Path, replicas: int, production_ps: float, seed: int) -> None:
    """The toy campaign with replicas into ``out`` (kept: a second call reuses it)."""
    import ionmd

    if (out / "results.json").exists():
        return
    ionmd.run(
        [f"builtin:{MATERIAL}"],
        temperatures_K=TEMPERATURES_K,
        model="toy",
        out=out,
        n_replicas=replicas,
        dtype="float32",
        device="cpu",
        timestep_fs=TIMESTEP_FS,
        equilibration_ps=EQUILIBRATION_PS,
        duration_ps=EQUILIBRATION_PS + production_ps,
        sample_every_fs=40.0,
        msd_every_fs=20.0,
        thermo_every_fs=100.0,
        fault_check_every_fs=100.0,
        progress=False,
        seed=seed,
    )


def cheap_intervals(out: Path) -> dict[tuple[str, float], tuple[float, float, float]]:
    """(material, T) -> (D, lo, hi) of the adaptive loop's estimate from /msd."""
    from ionmd.fileformat.reader import list_systems, read_system
    from ionmd.numerics.diffusion_estimate import estimate_diffusion

    found = {}
    for path in sorted(out.glob("md*.h5")):
        for key in list_systems(path):
            rec = read_system(path, key, positions=False)
            steps = int(rec.attrs["steps_total"]) - int(rec.attrs["equilibration_steps"])
            est = estimate_diffusion(
                lag_ps=np.asarray(rec.msd["lag_ps"]),
                msd_A2=np.asarray(rec.msd["mobile_A2"]),
                n_origins=np.asarray(rec.msd["n_origins"]),
                n_ions=int(rec.n_mobile),
                run_ps=steps * TIMESTEP_FS * 1e-3,
            )
            lo, hi = est.ci95_cm2_s
            found[(str(rec.attrs["material_id"]), rec.temperature_K)] = (
                est.D_cm2_s,
                lo,
                hi,
            )
    return found


def deviations(
    values: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, reference: float, n_ref: int
) -> dict[str, Any]:
    """Coverage of ``reference`` and normalised deviations of one set of intervals
    (the reference a mean over ``n_ref`` runs including each judged one)."""
    dev = reference - values
    half = np.where(dev > 0, hi - values, values - lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(dev) / half
    z = ratio * 1.96 * math.sqrt(n_ref / (n_ref - 1))
    return {
        "n": int(values.size),
        "covered": int(np.sum((lo <= reference) & (reference <= hi))),
        "z": z.tolist(),
        "ratio": ratio.tolist(),
    }


def summary(parts: list[dict[str, Any]], *, exact: float) -> dict[str, float]:
    n = sum(p["n"] for p in parts)
    z = np.concatenate([p["z"] for p in parts])
    ratio = np.concatenate([p["ratio"] for p in parts])
    finite = np.isfinite(z)
    return {
        "n": n,
        "coverage": sum(p["covered"] for p in parts) / n,
        "exact": exact,
        "rms_z": float(np.sqrt(np.mean(z[finite] ** 2))) if finite.any() else math.nan,
        "f95": float(np.quantile(ratio[np.isfinite(ratio)], 0.95)),
    }


def single_runs(
    doc: dict[str, Any], cheap: dict[tuple[str, float], tuple[float, float, float]]
) -> tuple[dict[str, dict], list[str]]:
    """Coverage of each run's kinisi and cheap D intervals and each replica's
    σ(300 K) interval; per-temperature lines."""
    from scipy.stats import norm

    mats = doc["materials"]
    n = len(mats)
    exact = float(2 * norm.cdf(1.96 / math.sqrt(1 - 1 / n)) - 1)
    parts: dict[str, list[dict]] = {"kinisi D": [], "cheap D (adaptive loop)": []}
    lines = []
    for t in TEMPERATURES_K:
        rows = [
            r for m in mats.values() for r in m["temperatures"] if r["temperature_K"] == t
        ]
        d = np.array([r["D_cm2_s"] for r in rows], dtype=float)
        ci = np.array([r["D_ci95_cm2_s"] for r in rows], dtype=float)
        c = np.array([cheap[(mid, t)] for mid in mats], dtype=float)
        ref = float(d.mean())
        parts["kinisi D"].append(deviations(d, ci[:, 0], ci[:, 1], reference=ref, n_ref=n))
        parts["cheap D (adaptive loop)"].append(
            deviations(c[:, 0], c[:, 1], c[:, 2], reference=float(c[:, 0].mean()), n_ref=n)
        )
        msd = np.median([r["msd_max_A2"] for r in rows])
        lines.append(
            f"| {t:.0f} | {len(rows)} | {ref:.3g} | {d.std(ddof=1):.2g} "
            f"| {np.median((ci[:, 1] - ci[:, 0]) / 3.92):.2g} "
            f"| {np.median((c[:, 2] - c[:, 1]) / 3.92):.2g} | {msd:.1f} |"
        )
    pooled = doc["pooled_replicas"][MATERIAL]
    s = np.array([m["sigma_300K_mS_cm"] for m in mats.values()], dtype=float)
    sci = np.array([m["sigma_300K_ci95_mS_cm"] for m in mats.values()], dtype=float)
    ref = float(pooled["sigma_300K_mS_cm"])
    sigma = deviations(
        np.log(s), np.log(sci[:, 0]), np.log(sci[:, 1]), reference=math.log(ref), n_ref=n
    )
    out = {k: summary(v, exact=exact) for k, v in parts.items()}
    out["σ(300 K) of one replica"] = summary([sigma], exact=exact)
    return out, lines


def pooled_subsets(
    doc: dict[str, Any], *, sizes: tuple[int, ...], n_subsets: int, seed: int
) -> dict[str, dict]:
    """Coverage of the pooled interval of random subsets of k replicas: D per
    temperature against the mean over all replicas, σ(300 K) against the fit of
    those means."""
    from scipy.stats import t as student

    from ionmd.analysis.pooling import pool_replicas
    from ionmd.analysis.results_file import member_rows_of_document

    mats = doc["materials"]
    ids, n = list(mats), len(mats)
    full = doc["pooled_replicas"][MATERIAL]
    ref_d = {r["temperature_K"]: r["D_cm2_s"] for r in full["temperatures"]}
    ref_s = full["sigma_300K_mS_cm"]
    rng = np.random.default_rng(seed)
    out = {}
    for k in sizes:
        hit_d = hit_s = tot_d = tot_s = 0
        for _ in range(n_subsets):
            pick = [ids[i] for i in rng.choice(n, size=k, replace=False)]
            members = member_rows_of_document({m: mats[m] for m in pick})
            p = pool_replicas(members)[MATERIAL]
            for r in p.temperatures:
                lo, hi = r.D_cm2_s.ci95
                hit_d += lo <= ref_d[r.temperature_K] <= hi
                tot_d += 1
            lo, hi = p.sigma_300K_ci95_mS_cm or (math.nan, math.nan)
            hit_s += lo <= ref_s <= hi
            tot_s += 1
        q = float(student.ppf(0.975, k - 1)) / math.sqrt(1 - k / n)
        exact = float(2 * student.cdf(q, k - 1) - 1)
        out[f"pooled D, k = {k}"] = {"n": tot_d, "coverage": hit_d / tot_d, "exact": exact}
        out[f"pooled σ(300 K), k = {k}"] = {"n": tot_s, "coverage": hit_s / tot_s}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("calibration-out"))
    ap.add_argument("--replicas", type=int, default=16)
    ap.add_argument("--production-ps", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--subsets", type=int, default=200)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    simulate(
        out=args.out,
        replicas=args.replicas,
        production_ps=args.production_ps,
        seed=args.seed,
    )
    t_run = time.perf_counter() - t0
    doc = json.loads((args.out / "results.json").read_text())
    single, lines = single_runs(doc, cheap_intervals(args.out))
    sizes = tuple(k for k in (2, 4, 8) if k < args.replicas)
    pooled = pooled_subsets(doc, sizes=sizes, n_subsets=args.subsets, seed=args.seed)
    print(
        "| T (K) | runs | mean D (cm²/s) | sd over replicas | median σ kinisi "
        "| median σ cheap | median max MSD (Å²) |"
    )
    print("|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    print("\n| interval | intervals | coverage | exact interval would | RMS z | f95 |")
    print("|---|---|---|---|---|---|")
    for name, s in (single | pooled).items():
        rms = f"{s['rms_z']:.2f}" if "rms_z" in s else "–"
        f95 = f"{s['f95']:.2f}" if "f95" in s else "–"
        exact = f"{s['exact']:.3f}" if "exact" in s else "–"
        print(f"| {name} | {s['n']} | {s['coverage']:.3f} | {exact} | {rms} | {f95} |")
    print(
        f"\ncampaign (MD + analysis) {t_run:.0f} s, total {time.perf_counter() - t0:.0f} s"
    )
    if args.json:
        args.json.write_text(json.dumps({"single": single, "pooled": pooled}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
