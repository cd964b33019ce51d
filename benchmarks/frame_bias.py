"""How much the reference frame of the Li MSD matters (issue 11, "Science").

One engine run per cell size (α-Li3N built in code, all temperatures in one
batch); the run file stores Li positions relative to the framework's centre of
mass and the framework's displacement R_fw(t) − R_fw(0) per frame, so the
total-momentum-frame positions (what ionmd stored before) are those plus the
displacement: before and after come from the *same* trajectory. For each
system: D (kinisi and least squares) in both frames, their ratio, and the ratio
predicted from the measured Haven ratio, 1 + (2c + c²)/(N_Li H_R),
c = M_Li/M_framework (exact for the MSD when H_R is measured in the
total-momentum frame).

The model is a Lennard-Jones pair potential with one σ, ε for every pair (a
hot LJ liquid with Li3N's composition and masses, not α-Li3N's physics): it is
what two shared CPU cores can run for tens of ps; the frame effect depends on
masses, N_Li and H_R, not on the potential.

    python -m benchmarks.frame_bias --min-cell-length-A 7 --duration-ps 20
    python -m benchmarks.frame_bias --min-cell-length-A 10 --duration-ps 20
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--min-cell-length-A", type=float, default=7.0)
    p.add_argument("--temperatures-K", type=float, nargs="+", default=[600, 900, 1200])
    p.add_argument("--duration-ps", type=float, default=20.0)
    p.add_argument("--timestep-fs", type=float, default=1.0)
    p.add_argument("--sigma-A", type=float, default=1.9)
    p.add_argument("--epsilon-eV", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-kinisi", action="store_true")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)

    import torch

    from ionmd.analysis.diffusion import DiffusionSettings, analyse_trajectory
    from ionmd.analysis.readers import read_run_file
    from ionmd.calculators import load_model
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.plan import systems_for_material
    from ionmd.engine.runner import run_batch
    from ionmd.fileformat import read_system
    from ionmd.structures.builders import alpha_li3n

    torch.set_num_threads(1)
    cfg = RunConfig(
        materials=("alpha-Li3N",),
        temperatures_K=tuple(args.temperatures_K),
        model="lj",
        timestep_fs=args.timestep_fs,
        duration_ps=args.duration_ps,
        equilibration_ps=min(2.0, args.duration_ps / 5),
        min_cell_length_A=args.min_cell_length_A,
        sample_every_fs=20.0,
        msd_every_fs=10.0,
        thermo_every_fs=100.0,
        seed=args.seed,
        progress=False,
    )
    systems = systems_for_material("alpha-Li3N", alpha_li3n(), config=cfg)
    model = load_model(
        "lj",
        device="cpu",
        dtype=torch.float64,
        sigma_A=args.sigma_A,
        epsilon_eV=args.epsilon_eV,
    )
    out = Path(tempfile.mkdtemp(prefix="frame_bias_")) / "md.h5"
    t0 = time.perf_counter()
    run_batch(systems, model, md=cfg.md, out_path=out, model_name="lj")
    wall = time.perf_counter() - t0
    settings = DiffusionSettings(use_kinisi=not args.no_kinisi, discard_ps=0.0)
    trajs, _ = read_run_file(out)
    rows = []
    for tr, s in zip(trajs, sorted(systems, key=lambda x: x.temperature_K), strict=True):
        rec = read_system(out, s.key)
        sym = np.array(s.atoms.get_chemical_symbols())
        m = s.atoms.get_masses()
        c = float(m[sym == "Li"].sum() / m[sym != "Li"].sum())
        before = dataclasses.replace(
            tr, positions_A=tr.positions_A + rec.framework_com_A[:, None, :]
        )
        ra = analyse_trajectory(traj=tr, settings=settings)
        rb = analyse_trajectory(traj=before, settings=settings)
        n_li = tr.n_mobile
        predicted = 1 + (2 * c + c * c) / (n_li * rb.haven_ratio)
        sel = ra.lag_ps >= ra.fit_start_ps
        rows.append(
            {
                "temperature_K": s.temperature_K,
                "n_atoms": len(s.atoms),
                "n_Li": n_li,
                "c": c,
                "D_before_cm2_s": rb.D_cm2_s,
                "D_after_cm2_s": ra.D_cm2_s,
                "D_ratio": ra.D_cm2_s / rb.D_cm2_s,
                "D_ols_ratio": ra.D_ols_cm2_s / rb.D_ols_cm2_s,
                "msd_ratio_fit_range": float(
                    np.mean(ra.msd_A2[sel]) / np.mean(rb.msd_A2[sel])
                ),
                "haven_ratio_before": rb.haven_ratio,
                "predicted_ratio": predicted,
                "msd_max_A2_after": ra.msd_max_A2,
                "framework_com_max_A": float(np.abs(rec.framework_com_A).max()),
                "D_method": ra.D_method,
            }
        )
    doc = {"config": vars(args) | {"json": str(args.json)}, "wall_s": wall, "rows": rows}
    text = json.dumps(doc, indent=1, default=str)
    if args.json:
        args.json.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
