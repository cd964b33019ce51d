"""Throughput and memory against the atoms in one batch (α-Li3N systems at
different temperatures, 1 → as many as fit), as a table and a plot.

On a CUDA device memory is the peak allocated by torch; it grows until the
device is full, and the largest batch that fitted is reported. On the CPU the
batch sizes are given (no probing for the limit: the host would swap first).
    python -m benchmarks.scaling --model mace-tiny --sizes 1 2 4 8 --steps 5
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import torch

from benchmarks.engine import engine_step_s, li3n_systems


def scaling(
    *,
    model_name: str,
    sizes: list[int],
    n_steps: int,
    min_cell_length_A: float,
    device: str,
    probe_limit: bool = False,
) -> list[dict[str, Any]]:
    """One row per batch size: systems, atoms, step time, atom-steps/s, memory."""
    from ionmd.calculators import load_model
    from ionmd.campaign.memory import is_out_of_memory

    model = load_model(model_name, device=device)
    rows: list[dict[str, Any]] = []
    sizes = list(sizes)
    if probe_limit and device.startswith("cuda"):
        while sizes[-1] < 4096:
            sizes.append(sizes[-1] * 2)
    for n in sizes:
        temps = tuple(800.0 + 400.0 * i / max(1, n - 1) for i in range(n))
        systems = li3n_systems(temperatures_K=temps, min_cell_length_A=min_cell_length_A)
        n_atoms = sum(len(s.atoms) for s in systems)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                t, summary = engine_step_s(
                    systems, model, n_steps=n_steps, out_dir=Path(tmp)
                )
        except (RuntimeError, MemoryError) as exc:
            if is_out_of_memory(exc) or isinstance(exc, MemoryError):
                rows.append({"n_systems": n, "n_atoms": n_atoms, "fits": False})
                break
            raise
        rows.append(
            {
                "n_systems": n,
                "n_atoms": n_atoms,
                "fits": True,
                "step_s": t,
                "atom_steps_per_s": n_atoms / t,
                "peak_device_GB": summary.peak_device_bytes / 1e9,
            }
        )
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    return rows


def plot(rows: list[dict[str, Any]], path: Path, *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in rows if r.get("fits")]
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    ax.plot([r["n_atoms"] for r in ok], [r["atom_steps_per_s"] for r in ok], "o-")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("atoms in the batch")
    ax.set_ylabel("atom-steps per second")
    ax.set_title(title, fontsize=9)
    if any(r.get("peak_device_GB") for r in ok):
        ax2 = ax.twinx()
        ax2.plot(
            [r["n_atoms"] for r in ok],
            [r["peak_device_GB"] for r in ok],
            "s--",
            color="tab:red",
        )
        ax2.set_ylabel("peak device memory (GB)", color="tab:red")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| systems | atoms | step (s) | atom-steps/s | peak device GB |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        if not r.get("fits"):
            lines.append(f"| {r['n_systems']} | {r['n_atoms']} | out of memory | | |")
            continue
        lines.append(
            f"| {r['n_systems']} | {r['n_atoms']} | {r['step_s']:.4g} | "
            f"{r['atom_steps_per_s']:.4g} | {r['peak_device_GB']:.3g} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", default="mace-tiny")
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8])
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--min-cell-length-A", type=float, default=6.0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument(
        "--probe-limit",
        action="store_true",
        help="on a GPU, keep doubling the batch until it does not fit",
    )
    p.add_argument("--out", type=Path, default=Path("ionmd-bench"))
    args = p.parse_args(argv)
    rows = scaling(
        model_name=args.model,
        sizes=args.sizes,
        n_steps=args.steps,
        min_cell_length_A=args.min_cell_length_A,
        device=args.device,
        probe_limit=args.probe_limit,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scaling.json").write_text(json.dumps(rows, indent=2))
    plot(rows, args.out / "scaling.png", title=f"{args.model} on {args.device}")
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
