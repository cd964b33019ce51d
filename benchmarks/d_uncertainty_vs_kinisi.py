"""The adaptive protocol's cheap D interval against kinisi's, on the toy conductor.

    python -m benchmarks.d_uncertainty_vs_kinisi [--out DIR] [--durations 5 10 20]

Runs ``builtin:toy-fast`` (135 atoms, 27 Li, 4 fs, NH) at 800, 1000 and 1200 K in
one batch through ``ionmd.engine.runner.run_batch`` with the trajectory stored at
the MSD stride (20 fs), so that the stored frames are exactly the positions the
on-device MSD accumulator sampled. For each temperature and each duration:

- ours: :func:`ionmd.numerics.diffusion_estimate.estimate_diffusion` on the
  accumulator's MSD at that time (the run file's ``/msd`` datasets for the full
  run; for a shorter duration the accumulator replayed over the first frames,
  checked equal to ``/msd`` on the full run);
- kinisi: the analysis layer's own path,
  ``ionmd.analysis.diffusion.analyse_trajectory`` on the stored trajectory cut
  to that duration (kinisi's Bayesian D, posterior mean, 95 % interval).

Prints T, duration, D (ours, kinisi), the 95 % interval widths in decades
(log10(hi/lo)) and their ratio, then the median ratio and its range.
~2-3 min on one core, most of it the MD (3 × 135 atoms × 5,250 steps for 20 ps).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

TEMPERATURES_K = (800.0, 1000.0, 1200.0)
DURATIONS_PS = (5.0, 10.0, 20.0)
TIMESTEP_FS = 4.0
STRIDE_FS = 20.0
EQUILIBRATION_PS = 1.0
MATERIAL = "toy-fast"


def simulate(
    *,
    out: Path,
    duration_ps: float,
    temperatures_K: tuple[float, ...] = TEMPERATURES_K,
    seed: int = 0,
) -> Path:
    """One batch of the toy conductor at ``temperatures_K``; returns the run file."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ionmd.calculators import load_model
    from ionmd.campaign.config import RunConfig
    from ionmd.engine.runner import run_batch
    from ionmd.engine.systems import SystemSpec
    from ionmd.structures.builders import toy_conductor

    path = out / "md.h5"
    if path.exists():
        return path
    config = RunConfig(
        materials=(MATERIAL,),
        temperatures_K=temperatures_K,
        model="toy",
        timestep_fs=TIMESTEP_FS,
        duration_ps=EQUILIBRATION_PS + duration_ps,
        equilibration_ps=EQUILIBRATION_PS,
        sample_every_fs=STRIDE_FS,
        msd_every_fs=STRIDE_FS,
        seed=seed,
        progress=False,
    )
    atoms = AseAtomsAdaptor.get_atoms(toy_conductor(MATERIAL))
    atoms.info.clear()
    specs = [
        SystemSpec(material_id=MATERIAL, atoms=atoms.copy(), temperature_K=t, run_seed=seed)
        for t in temperatures_K
    ]
    run_batch(specs, load_model("toy"), md=config.md, out_path=path, model_name="toy")
    return path


def accumulator_msd(
    *, positions_A: np.ndarray, stride_steps: int, block_size: int
) -> dict[str, np.ndarray]:
    """The on-device accumulator replayed (CPU) over ``positions_A (F, M, 3)``."""
    from ionmd.engine.msd import MultiWindowMSD

    n_frames, n_ions = positions_A.shape[:2]
    acc = MultiWindowMSD(
        system_idx=torch.zeros(n_ions, dtype=torch.long),
        mobile_mask=torch.ones(n_ions, dtype=torch.bool),
        n_systems=1,
        stride_steps=stride_steps,
        n_samples=n_frames,
        block_size=block_size,
    )
    pos = torch.from_numpy(np.ascontiguousarray(positions_A, dtype=np.float64))
    for frame in pos:
        acc.sample(frame)
    return acc.result()


def compare(
    path: Path, *, durations_ps: tuple[float, ...], **options: float
) -> list[dict[str, float]]:
    """One row per (temperature, duration); ``options`` go to ``estimate_diffusion``."""
    from ionmd.analysis.diffusion import DiffusionSettings, analyse_trajectory
    from ionmd.analysis.readers.h5 import read_run_file
    from ionmd.fileformat.reader import list_systems, read_run_attrs, read_system
    from ionmd.numerics.diffusion_estimate import estimate_diffusion

    block = int(read_run_attrs(path)["config"].get("msd_block_size", 10))
    stride_steps = round(STRIDE_FS / TIMESTEP_FS)
    trajs = {t.temperature_K: t for t in read_run_file(path)[0]}
    rows = []
    for key in list_systems(path):
        rec = read_system(path, key)
        full = accumulator_msd(
            positions_A=rec.positions, stride_steps=stride_steps, block_size=block
        )
        stored = rec.msd["mobile_A2"]
        if not np.allclose(full["mobile_A2"][0], stored, rtol=1e-9, atol=1e-12):
            raise SystemExit(f"{key}: the replayed accumulator differs from /msd")
        traj = trajs[rec.temperature_K]
        for dur in durations_ps:
            n = round(dur * 1000 / STRIDE_FS) + 1
            if n > rec.positions.shape[0]:
                continue
            res = accumulator_msd(
                positions_A=rec.positions[:n], stride_steps=stride_steps, block_size=block
            )
            ours = estimate_diffusion(
                lag_ps=res["lag_steps"] * TIMESTEP_FS * 1e-3,
                msd_A2=res["mobile_A2"][0],
                n_origins=res["n_origins"],
                n_ions=rec.n_mobile,
                run_ps=(n - 1) * STRIDE_FS * 1e-3,
                **options,
            )
            cut = dataclasses.replace(
                traj, positions_A=traj.positions_A[:n], time_ps=traj.time_ps[:n]
            )
            kin = analyse_trajectory(traj=cut, settings=DiffusionSettings())
            lo, hi = kin.D_ci95_cm2_s
            kw = float(np.log10(hi / lo)) if lo > 0 else float("inf")
            rows.append(
                {
                    "T_K": rec.temperature_K,
                    "duration_ps": dur,
                    "D_ours": ours.D_cm2_s,
                    "D_kinisi": kin.D_cm2_s,
                    "width_ours": ours.log10_ci_width,
                    "width_kinisi": kw,
                    "ratio": ours.log10_ci_width / kw,
                    "ci_ours": list(ours.ci95_cm2_s),
                    "ci_kinisi": [lo, hi],
                    "kinisi_D_in_ours": bool(
                        ours.ci95_cm2_s[0] <= kin.D_cm2_s <= ours.ci95_cm2_s[1]
                    ),
                    "ours_D_in_kinisi": bool(lo <= ours.D_cm2_s <= hi),
                    "msd_max_A2": ours.msd_max_A2,
                    "fit_start_ps": ours.fit_start_ps,
                    "kinisi_fit_start_ps": kin.fit_start_ps,
                }
            )
    return rows


def table(rows: list[dict[str, float]]) -> str:
    head = (
        "| T (K) | run (ps) | max MSD (Å²) | D ours (cm²/s) | D kinisi (cm²/s) "
        "| width ours (dec) | width kinisi (dec) | ratio |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['T_K']:.0f} | {r['duration_ps']:.0f} | {r['msd_max_A2']:.1f} "
            f"| {r['D_ours']:.3g} | {r['D_kinisi']:.3g} | {r['width_ours']:.3f} "
            f"| {r['width_kinisi']:.3f} | {r['ratio']:.2f} |"
        )
    ratios = np.array([r["ratio"] for r in rows if np.isfinite(r["ratio"])])
    if ratios.size:
        lines.append(
            f"\nwidth ratio ours/kinisi: median {np.median(ratios):.2f}, "
            f"range {ratios.min():.2f}-{ratios.max():.2f} over {ratios.size} runs"
        )
    both = sum(r["kinisi_D_in_ours"] and r["ours_D_in_kinisi"] for r in rows)
    lines.append(f"each D inside the other's 95 % interval: {both} of {len(rows)} runs")
    return "\n".join(lines)


def pooled(runs: list[list[dict]]) -> str:
    """Seed-to-seed check of both intervals: per (T, duration), each run's D minus
    the mean over seeds, in units of that run's own σ (95 % half-width / 1.96),
    scaled by sqrt(n / (n - 1)); the RMS over all runs is ~1 for an honest σ,
    > 1 for one too narrow. Durations share a trajectory prefix: a rough check."""
    groups: dict[tuple[float, float], list[dict]] = {}
    for rows in runs:
        for r in rows:
            groups.setdefault((r["T_K"], r["duration_ps"]), []).append(r)
    z = {"ours": [], "kinisi": []}
    lines = [
        "| T (K) | run (ps) | seeds | D kinisi, mean (cm²/s) | sd over seeds: ours, "
        "kinisi | median σ: ours, kinisi |",
        "|---|---|---|---|---|---|",
    ]
    for (T, dur), rs in sorted(groups.items()):
        n = len(rs)
        if n < 2:
            continue
        for name, col, ci in (
            ("ours", "D_ours", "ci_ours"),
            ("kinisi", "D_kinisi", "ci_kinisi"),
        ):
            d = np.array([r[col] for r in rs])
            sig = np.array([(r[ci][1] - r[ci][0]) / (2 * 1.96) for r in rs])
            z[name].extend((d - d.mean()) / sig * np.sqrt(n / (n - 1)))
        d = np.array([r["D_kinisi"] for r in rs])
        do = np.array([r["D_ours"] for r in rs])
        so = np.median([(r["ci_ours"][1] - r["ci_ours"][0]) / 3.92 for r in rs])
        sk = np.median([(r["ci_kinisi"][1] - r["ci_kinisi"][0]) / 3.92 for r in rs])
        lines.append(
            f"| {T:.0f} | {dur:.0f} | {n} | {d.mean():.3g} "
            f"| {do.std(ddof=1):.2g}, {d.std(ddof=1):.2g} | {so:.2g}, {sk:.2g} |"
        )
    for name, vals in z.items():
        v = np.array(vals)
        lines.append(
            f"\n{name}: RMS of (D - seed mean)/σ = {np.sqrt(np.mean(v**2)):.2f} "
            f"over {v.size} runs; |z| > 1.96 in {np.mean(np.abs(v) > 1.96):.0%}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="keep/reuse the run file here")
    ap.add_argument("--durations", type=float, nargs="+", default=list(DURATIONS_PS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="write the rows here")
    ap.add_argument(
        "--pool",
        type=Path,
        nargs="+",
        default=None,
        help="no MD: the seed-to-seed check over --json files of several seeds",
    )
    ap.add_argument(
        "--jump-length-A", type=float, default=None, help="override JUMP_LENGTH_A"
    )
    args = ap.parse_args(argv)
    if args.pool:
        print(pooled([json.loads(p.read_text()) for p in args.pool]))
        return
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        path = simulate(out=out, duration_ps=max(args.durations), seed=args.seed)
        t_md = time.perf_counter() - t0
        options = {}
        if args.jump_length_A is not None:
            options["jump_length_A"] = args.jump_length_A
        rows = compare(path, durations_ps=tuple(args.durations), **options)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))
    print(f"MD {t_md:.0f} s, total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
