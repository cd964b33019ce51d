"""Volume change of the NPT stage's cell against the experimental one, per
temperature, on the toy conductor (issue 24): its three materials at each
temperature through ionmd's own stage (:func:`ionmd.cells.npt_stage.stage_rows`:
the campaign's supercells, all systems in one batch, Nosé–Hoover MTK isotropic
at 0 GPa, the production cell the mean of the second half), model ``toy``.

    python -m benchmarks.cells_npt_toy [--npt-ps 2] [--temperatures-K 300 600 900]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

TOY = ("builtin:toy-fast", "builtin:toy-slow", "builtin:toy-melt")


def toy_npt(*, npt_ps: float, temperatures_K: tuple[float, ...]) -> None:
    from ionmd.calculators import load_model
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.materials import material_sources
    from ionmd.campaign.orderings import material_systems
    from ionmd.cells.npt_stage import stage_rows

    config = RunConfig(
        materials=TOY, model="toy", cell="npt", npt_ps=npt_ps, temperatures_K=temperatures_K
    )
    systems = []
    for src in material_sources(config.materials, obelix_data=None):
        by_id, _ = material_systems(src, config=config)
        systems += [s for ss in by_id.values() for s in ss]
    model = load_model("toy", device="cpu", dtype=torch.float64)
    t0 = time.perf_counter()
    note = {
        "cells": stage_rows(
            systems, model=model, settings=config.cell_settings, md=config.md
        )
    }
    wall = time.perf_counter() - t0
    n_atoms = sum(len(s.atoms) for s in systems)
    print(
        f"toy conductor, model toy, {len(systems)} systems ({n_atoms} atoms) in one "
        f"batch, npt_ps = {npt_ps:g}, timestep {config.timestep_fs:g} fs, {wall:.1f} s:"
    )
    for key, row in sorted(note["cells"].items()):
        v = np.asarray(row["volume_A3"])
        half = v[len(v) // 2 :]
        print(
            f"  {key:<16} ΔV/V_exp = {row['volume_change_pct']:+.2f} % "
            f"(second half: V sd {100 * half.std() / half.mean():.2f} %), mean P "
            f"{row['mean_pressure_GPa']:+.3f} GPa, {row['failed'] or 'kept'}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--npt-ps", type=float, default=2.0)
    ap.add_argument("--temperatures-K", type=float, nargs="+", default=[300, 600, 900])
    a = ap.parse_args()
    toy_npt(npt_ps=a.npt_ps, temperatures_K=tuple(a.temperatures_K))


if __name__ == "__main__":
    main()
