"""DFT against ML on the same alpha-Li3N cell and cores: the step-time ratio,
a markdown table, and ``python -m benchmarks.dft``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.dft.codes import DFTCodeMissingError, measure_dft_step
from benchmarks.dft.common import alpha_li3n
from benchmarks.dft.ml import measure_ml_step
from ionmd.structures.builders import ALPHA_LI3N_A_A as LI3N_A_A
from ionmd.structures.builders import ALPHA_LI3N_C_A as LI3N_C_A

#: quick: primitive alpha-Li3N (4 atoms); full: 2x2x2 (32 atoms, 7.3 x 7.3 x 7.75 A),
#: the largest cell whose AIMD steps take seconds, not minutes, on 2 cores. The study's
#: 10 A rule needs 3x3x3 (108 atoms): pass ``repeat=(3, 3, 3)`` (15-25 min on 2 cores).
QUICK_REPEAT = (1, 1, 1)
FULL_REPEAT = (2, 2, 2)


def dft_vs_ml(
    *,
    quick: bool,
    code: str = "auto",
    n_cores: int = 2,
    repeat: tuple[int, int, int] | None = None,
    dft_n_steps: int | None = None,
    ml_n_steps: int | None = None,
    timeout_s: float | None = None,
    model_name: str = "mace-mpa0-arch",
) -> dict[str, Any]:
    """Measure DFT and ML step times on alpha-Li3N and their ratio.

    ``quick``: the 4-atom primitive cell (< 1 min on 2 cores). Full: the 2x2x2
    32-atom supercell (a few minutes); ``repeat=(3, 3, 3)`` gives the 108-atom cell of
    the study's 10 A rule (15-25 min of DFT on 2 shared cores). ``dft_vs_ml_step_ratio`` =
    DFT ``step_time_s`` / ML ``step_time_s`` (float64 MACE, as ionmd runs it), both on
    ``n_cores`` CPU cores of this machine; ``ml_float32`` and its ratio are reported too.
    """
    if repeat is None:
        repeat = QUICK_REPEAT if quick else FULL_REPEAT
    atoms = alpha_li3n(repeat=repeat)
    dft = measure_dft_step(
        atoms=atoms,
        code=code,
        n_cores=n_cores,
        n_steps=dft_n_steps or (5 if quick else 3),
        timeout_s=timeout_s or (300 if quick else 1800),
    )
    ml_steps = ml_n_steps or (20 if quick else 10)
    ml = measure_ml_step(
        atoms=atoms, model_name=model_name, n_steps=ml_steps, n_threads=n_cores
    )
    ml32 = measure_ml_step(
        atoms=atoms,
        model_name=model_name,
        n_steps=ml_steps,
        n_threads=n_cores,
        dtype="float32",
    )
    result: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "structure": f"alpha-Li3N {'x'.join(map(str, repeat))} ({len(atoms)} atoms), "
        f"a = {LI3N_A_A} A, c = {LI3N_C_A} A",
        "n_atoms": len(atoms),
        "n_cores": n_cores,
        "dft_vs_ml_step_ratio": dft["step_time_s"] / ml["step_time_s"],
        "dft_vs_ml_float32_step_ratio": dft["step_time_s"] / ml32["step_time_s"],
        # fastest step of each: the least disturbed by other jobs on a shared machine
        "dft_vs_ml_min_step_ratio": dft["step_time_min_s"] / ml["step_time_min_s"],
        "dft": dft,
        "ml": ml,
        "ml_float32": ml32,
        "cpu_count": os.cpu_count(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if dft.get("step_cpu_s"):
        cpu_dft = statistics.median(dft["step_cpu_s"])
        cpu_ml = statistics.median(ml["step_cpu_s"])
        result["dft_vs_ml_cpu_time_ratio"] = cpu_dft / cpu_ml
    return result


def markdown_table(result: dict[str, Any]) -> str:
    """A small markdown table of one :func:`dft_vs_ml` result."""
    dft, ml = result["dft"], result["ml"]
    rows = [
        "| what | code | first step (s) | step, median (s) | step, min (s) | SCF/step |",
        "|---|---|---:|---:|---:|---:|",
        f"| DFT AIMD, {result['n_atoms']} atoms | {dft['version']} | "
        f"{dft['first_step_s']:.2f} | {dft['step_time_s']:.3f} | "
        f"{dft['step_time_min_s']:.3f} | {statistics.median(dft['scf_iterations']):g} |",
        *(
            f"| ML MD, {result['n_atoms']} atoms | {m['model']} ({m['settings']['dtype']}) "
            f"| {m['first_step_s']:.2f} | {m['step_time_s']:.4f} | "
            f"{m['step_time_min_s']:.4f} | - |"
            for m in (ml, result.get("ml_float32"))
            if m is not None
        ),
        "",
        f"**DFT/ML step-time ratio: {result['dft_vs_ml_step_ratio']:.1f}x** "
        f"(fastest steps: {result['dft_vs_ml_min_step_ratio']:.1f}x) "
        f"({result['mode']}, {result['n_cores']} CPU cores; "
        f"load avg before DFT {dft['load_avg_before']}, before ML {ml['load_avg_before']})",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.dft",
        description="Measured cost of one AIMD step (DFT) against one ML-MD step "
        "(MACE): same cell, cores.",
    )
    parser.add_argument("--quick", action="store_true", help="4-atom primitive cell")
    parser.add_argument("--out", type=Path, default=Path("."), help="writes DIR/dft.json")
    parser.add_argument("--code", default="auto", choices=["auto", "gpaw", "cp2k"])
    parser.add_argument("--n-cores", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, nargs=3, default=None, help="supercell, e.g. 3 3 3"
    )
    parser.add_argument("--dft-steps", type=int, default=None, help="timed MD steps")
    parser.add_argument("--timeout-s", type=float, default=None, help="DFT run limit")
    args = parser.parse_args(argv)
    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the MPI ranks are killed too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        result = dft_vs_ml(
            quick=args.quick,
            code=args.code,
            n_cores=args.n_cores,
            repeat=tuple(args.repeat) if args.repeat else None,
            dft_n_steps=args.dft_steps,
            timeout_s=args.timeout_s,
        )
    except DFTCodeMissingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dft.json").write_text(json.dumps(result, indent=2))
    print(markdown_table(result))
    print(f"\nwrote {args.out / 'dft.json'}")
    return 0
