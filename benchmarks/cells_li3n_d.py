"""What the relaxed cell does to D: α-Li3N with SevenNet-0 at one temperature,
experimental against relaxed cell (issue 24), through ``ionmd.run``.

Two campaigns that differ only in ``cell``: the 2x2x2 supercell (32 atoms,
``min_cell_length_A = 6``), 800 K, a short CPU run. Each prints D with its
95 % interval (kinisi) and the volume change results.json records; ``--compare``
then writes ``ionmd compare``'s page of the two (labelled by their cell mode).
A few tenths of a ps on 32 atoms cannot resolve a +0.5 % volume effect on D
(docs/cells.md says what it would take); this measures that the whole path
runs and how wide the intervals are.

    OMP_NUM_THREADS=1 python -m benchmarks.cells_li3n_d --cell experimental --out OUT
    OMP_NUM_THREADS=1 python -m benchmarks.cells_li3n_d --cell relaxed --out OUT
    python -m benchmarks.cells_li3n_d --compare --out OUT
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

TEMPERATURE_K = 800.0
DURATION_PS = 0.3


def run_one(*, cell: str, out: Path) -> None:
    import ionmd

    t0 = time.perf_counter()
    ionmd.run(
        "builtin:alpha-Li3N",
        model="sevennet-0",
        cell=cell,
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
        out=out / cell,
    )
    print(f"{cell}: {time.perf_counter() - t0:.0f} s on this CPU")
    show(out / cell)


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
    ap.add_argument("--cell", choices=("experimental", "relaxed"))
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("cells-li3n-d-out"))
    args = ap.parse_args()
    if args.cell:
        run_one(cell=args.cell, out=args.out)
    if args.compare:
        from ionmd.report.compare import write_comparison

        dirs = [args.out / "experimental", args.out / "relaxed"]
        for d in dirs:
            show(d)
        write_comparison(run_dirs=dirs, out_dir=args.out / "comparison", figures=False)
        print(f"comparison: {args.out / 'comparison' / 'comparison.md'}")


if __name__ == "__main__":
    main()
