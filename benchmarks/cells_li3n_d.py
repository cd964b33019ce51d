"""What the relaxed cell does to D: α-Li3N with SevenNet-0 at one temperature,
experimental against relaxed cell (issue 24), through ``ionmd.run``.

Two campaigns that differ only in ``cell``: the 2x2x2 supercell (32 atoms,
``min_cell_length_A = 6``), 800 K, a short CPU run. Each prints D with its
95 % interval (kinisi) and the volume change results.json records; ``--compare``
then writes ``ionmd compare``'s page of the two (labelled by their cell mode).
A few tenths of a ps on 32 atoms cannot resolve a +0.5 % volume effect on D
(docs/cells.md says what it would take); this measures that the whole path
runs and how wide the intervals are.

``--cell npt`` takes the 800 K cell of an NPT stage already run
(``--npt-json``: the output of ``benchmarks.cells_li3n_npt``) instead of a
second stage: α-Li3N's unit cell scaled to that cell (the stage is isotropic:
a and c by the same factor), given to ``ionmd.run`` as ``{"alpha-Li3N":
structure}`` (the builtin's material id and site order, so the same
per-system seed), is run at that cell; its
results.json says ``experimental`` (the file's cell), the printout the
volume against the experimental cell. ``--model`` runs another model
(directories ``<cell>-<model>``).

    OMP_NUM_THREADS=1 python -m benchmarks.cells_li3n_d --cell experimental --out OUT
    OMP_NUM_THREADS=1 python -m benchmarks.cells_li3n_d --cell relaxed --out OUT
    python -m benchmarks.cells_li3n_d --compare --out OUT
    OMP_NUM_THREADS=1 python -m benchmarks.cells_li3n_d --model chgnet \
        --cell npt --npt-json li3n-npt.json --out OUT
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

TEMPERATURE_K = 800.0
DURATION_PS = 0.3


def run_one(
    *, cell: str, out: Path, model: str = "sevennet-0", npt_json: Path | None = None
) -> None:
    import ionmd

    run_dir = out / (cell if model == "sevennet-0" else f"{cell}-{model}")
    material: Any = "builtin:alpha-Li3N"
    if cell == "npt":  # the same material id as the builtin: the same seeds
        material = {"alpha-Li3N": npt_cell_structure(npt_json=npt_json)}
    t0 = time.perf_counter()
    ionmd.run(
        material,
        model=model,
        cell="experimental" if cell == "npt" else cell,
        temperatures_K=[TEMPERATURE_K],
        min_cell_length_A=6.0,
        timestep_fs=2.0,
        duration_ps=DURATION_PS,
        equilibration_ps=0.02,
        sample_every_fs=4.0,
        msd_every_fs=2.0,
        thermo_every_fs=10.0,
        device="cpu",
        progress=False,
        out=run_dir,
    )
    print(f"{cell}, {model}: {time.perf_counter() - t0:.0f} s on this CPU")
    show(run_dir)


def npt_cell_structure(*, npt_json: Path | None) -> Any:
    """α-Li3N's unit cell (the builtin's sites and order) at the NPT stage's
    mean cell at ``TEMPERATURE_K`` (isotropic: a and c scaled by (V/V_exp)^(1/3))."""
    import numpy as np

    from ionmd.errors import InputError
    from ionmd.structures.builders import ALPHA_LI3N_A_A, ALPHA_LI3N_C_A, alpha_li3n

    if npt_json is None:
        raise InputError("--cell npt needs --npt-json (benchmarks.cells_li3n_npt's output)")
    doc = json.loads(npt_json.read_text())
    key = doc["meta"]["keys"][doc["meta"]["temperatures_K"].index(TEMPERATURE_K)]
    row = doc["cells"][key]
    ratio = abs(np.linalg.det(row["cell_A"]) / np.linalg.det(row["experimental_cell_A"]))
    f = float(ratio) ** (1.0 / 3.0)
    print(f"npt cell from {npt_json} ({doc['meta']['model']}, {key}): ΔV/V_exp "
          f"{100 * (ratio - 1):+.2f} %, a and c x {f:.5f}")  # fmt: skip
    return alpha_li3n(a_A=ALPHA_LI3N_A_A * f, c_A=ALPHA_LI3N_C_A * f)


def show(run_dir: Path) -> None:
    doc = json.loads((run_dir / "results.json").read_text())
    for mid, m in doc["materials"].items():
        for t in m["temperatures"]:
            lo, hi = t["D_ci95_cm2_s"]
            print(
                f"  {mid} {t['temperature_K']:g} K, cell {t['cell_source']} "
                f"(ΔV/V_exp {t['volume_change_pct']:+.2f} %): D = {t['D_cm2_s']:.3g} "
                f"[{lo:.3g}, {hi:.3g}] cm²/s ({t['D_method']}), Li MSD max "
                f"{t['msd_max_A2']:.2f} Å², {t['duration_ps']:.2f} ps"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell", choices=("experimental", "relaxed", "npt"))
    ap.add_argument("--model", default="sevennet-0")
    ap.add_argument("--npt-json", type=Path, help="--cell npt: cells_li3n_npt's output")
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("cells-li3n-d-out"))
    args = ap.parse_args()
    if args.cell:
        run_one(cell=args.cell, out=args.out, model=args.model, npt_json=args.npt_json)
    if args.compare:
        from ionmd.report.compare import write_comparison

        dirs = [args.out / "experimental", args.out / "relaxed"]
        for d in dirs:
            show(d)
        write_comparison(run_dirs=dirs, out_dir=args.out / "comparison", figures=False)
        print(f"comparison: {args.out / 'comparison' / 'comparison.md'}")


if __name__ == "__main__":
    main()
