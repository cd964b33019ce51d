"""``ionmd bench``: throughput and cost on this machine, side by side with the
study's way (ASE, one system after the other) and with DFT (measured)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ionmd.log import get_logger

log = get_logger(__name__)

#: The study's Table 1 (per (material, temperature) simulation of 100 ps).
STUDY_TABLE1 = {
    "MACE (ASE, 1x A100)": {
        "median_h": 47 / 60,
        "min_h": 20 / 60,
        "max_h": 2 + 27 / 60,
        "gpu_mem_GB": 40,
        "cpu_mem_GB": 1.2,
    },
    "DFT (VASP, 64 CPU)": {
        "median_h": 9 * 24 + 21 + 9 / 60,
        "min_h": 2 * 24 + 3,
        "max_h": 42 * 24 + 9 + 27 / 60,
        "gpu_mem_GB": 0,
        "cpu_mem_GB": 32,
    },
}
#: The full protocol: 5,716 atoms over the study's 22 materials at the 10 Å rule
#: (measured with ionmd.structures), x 5 temperatures x 50,000 steps.
STUDY_ATOM_STEPS = 5716 * 5 * 50_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmarks: engine vs the study's way, vs DFT",
        description=(__doc__ or "").replace("``", ""),
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a few minutes on two CPU cores (small cells, few steps)",
    )
    p.add_argument("--out", default="ionmd-bench", help="output directory")
    p.add_argument(
        "--model",
        default=None,
        help="model (default: mace-tiny with --quick, else mace-mpa0-arch)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="MD steps per timed run (default: 10 with --quick, else 50)",
    )
    p.add_argument("--no-dft", action="store_true", help="skip the DFT measurement")
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="interleaved repeats of the timed parts (median ratio and spread)",
    )
    p.set_defaults(func=main)


def projection(atom_steps_per_s: float) -> dict[str, Any]:
    """Wall time of the full study protocol at the measured throughput."""
    hours = STUDY_ATOM_STEPS / atom_steps_per_s / 3600.0
    return {
        "study_atom_steps": STUDY_ATOM_STEPS,
        "ionmd_campaign_h": hours,
        "study_mace_sequential_h_estimate": 105
        * STUDY_TABLE1["MACE (ASE, 1x A100)"]["median_h"],
        "study_table1": STUDY_TABLE1,
    }


def markdown(res: dict[str, Any]) -> str:
    rows = [
        ("device", res.get("device")),
        ("model", res.get("model")),
        ("systems x atoms", f"{res.get('n_systems')} x {res.get('n_atoms')} atoms total"),
        ("overhead ratio (engine step / model step)", _ratio(res.get("overhead"))),
        ("batched vs ASE sequential (wall-time ratio)", _ratio(res.get("batched_vs_ase"))),
        ("atom-steps per second", _f(res.get("atom_steps_per_s"))),
        ("ns/day per system", _f(res.get("ns_per_day_per_system"))),
        ("memory 10x longer run / short run", _f(res.get("memory_flat_ratio"))),
        ("DFT / ML step cost", _f(res.get("dft_vs_ml_step_ratio"))),
        (
            "full study protocol at this throughput (h)",
            _f(res.get("projection", {}).get("ionmd_campaign_h")),
        ),
    ]
    lines = ["| quantity | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", *(f"WARNING {w}" for w in res.get("warnings", []))]
    return "\n".join(lines) + "\n"


def _ratio(stats: dict[str, Any] | None) -> str:
    """``median (min–max, spread s over n repeats)``, flagged when not trusted."""
    if not stats or stats.get("median") is None:
        return "n/a"
    text = (
        f"{stats['median']:.3g} (range {stats['min']:.3g}–{stats['max']:.3g}, "
        f"spread {stats['spread']:.0%} over {stats['repeats']} repeats)"
    )
    return text if stats.get("trusted") else text + " NOT TRUSTED: too noisy"


def _f(x: object) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return "n/a" if x is None else str(x)


def main(args: argparse.Namespace) -> int:
    from ionmd.outdir import check_output_dir

    check_output_dir(args.out, what="output directory (--out)")  # before minutes of timing
    import torch

    from benchmarks.engine import run

    torch.set_num_threads(max(1, torch.get_num_threads()))
    quick = bool(args.quick)
    model = args.model or ("mace-tiny" if quick else "mace-mpa0-arch")
    steps = args.steps or (10 if quick else 50)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    res = run(
        model_name=model,
        n_steps=steps,
        temperatures_K=(800.0, 1000.0, 1200.0)
        if quick
        else (800.0, 900.0, 1000.0, 1100.0, 1200.0),
        min_cell_length_A=6.0 if quick else 10.0,
        device=device,
        repeats=args.repeats,
    )
    res["projection"] = projection(res["atom_steps_per_s"])
    res["dft_vs_ml_step_ratio"] = None
    if not args.no_dft:
        try:
            from benchmarks.dft import dft_vs_ml

            dft = dft_vs_ml(quick=quick)
            res["dft"] = dft
            res["dft_vs_ml_step_ratio"] = dft.get("dft_vs_ml_step_ratio")
        except Exception as exc:  # DFT code missing or failed: say so, keep the rest
            res["dft_error"] = f"{type(exc).__name__}: {exc}"
            log.warning(f"DFT measurement skipped: {exc}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from benchmarks.scaling import markdown as scaling_md
    from benchmarks.scaling import plot, scaling

    rows = scaling(
        model_name=model,
        sizes=[1, 2, 4] if quick else [1, 2, 4, 8, 16],
        n_steps=3 if quick else 10,
        min_cell_length_A=6.0 if quick else 10.0,
        device=device,
        probe_limit=not quick,
    )
    res["scaling"] = rows
    fits = [r for r in rows if r.get("fits")]
    res["largest_batch_atoms"] = max(r["n_atoms"] for r in fits) if fits else None
    plot(rows, out / "scaling.png", title=f"{model} on {res['device']}")
    (out / "bench.json").write_text(json.dumps(res, indent=2, default=str))
    text = markdown(res) + "\nScaling with the batch:\n\n" + scaling_md(rows)
    (out / "bench.md").write_text(text)
    print(text)
    print(f"wrote {out / 'bench.json'} and {out / 'bench.md'}")
    return 0
