"""Engine benchmarks, measured in one run on one device with one model:

- overhead ratio: ionmd engine step time / pure model evaluation time for the
  same batch (the limit is 1.0; target <= 1.05);
- the study's way: ASE + the same model as an ASE calculator + ASE's
  Nosé–Hoover chain, one (material, temperature) after the other, against the
  batched engine on the same systems: wall-time ratio;
- memory against run length (the same batch 10x longer);
- throughput against batch size.

The timed parts are interleaved (model, engine, ASE, model, engine, ASE, ...)
``repeats`` times; each ratio is the median of the per-repeat ratios, with its
spread and a warning when the spread is too large to trust
(:mod:`benchmarks.timing`).

Not timed tests: scripts that print ratios measured in one run.
    python -m benchmarks.engine --model mace-tiny --steps 20 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch


def li3n_systems(
    *,
    temperatures_K: tuple[float, ...],
    min_cell_length_A: float,
    material_id: str = "alpha-Li3N",
) -> list:
    """α-Li3N (built in code) at each temperature on the ≥ L supercell."""
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.plan import systems_for_material
    from ionmd.structures.builders import alpha_li3n

    cfg = RunConfig(
        materials=(material_id,),
        temperatures_K=temperatures_K,
        min_cell_length_A=min_cell_length_A,
    )
    return systems_for_material(material_id, alpha_li3n(), config=cfg)


#: the first ~10 calls of a model are slower (allocator, buffers, kernels):
#: measured 0.13 s vs 0.055 s per call for mace-tiny on 96 atoms
WARMUP_CALLS = 10


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def model_only_step_s(systems: list, model: Any, *, n_steps: int) -> float:
    """Seconds per evaluation of ``model`` on the whole batch (forces only)."""
    from ionmd.engine.systems import build_state

    state, _, _ = build_state(systems, device=model.device, dtype=model.dtype)
    for _ in range(WARMUP_CALLS):  # neighbour-list buffers, allocator, CUDA kernels
        state.positions = state.positions + 1e-4
        model(state)
    _sync(model.device)
    t0 = time.perf_counter()
    for _ in range(n_steps):
        state.positions = state.positions + 1e-4  # new positions each call
        model(state)
    _sync(model.device)
    return (time.perf_counter() - t0) / n_steps


def engine_step_s(
    systems: list, model: Any, *, n_steps: int, timestep_fs: float = 2.0, out_dir: Path
) -> tuple[float, Any]:
    """Seconds per engine step (NH + MSD + buffers + HDF5 flushes)."""
    from ionmd.campaign.config import RunConfig
    from ionmd.engine.runner import run_batch

    duration_ps = n_steps * timestep_fs * 1e-3
    # strides of 5 steps, or the whole run when it is shorter (a config whose
    # production holds no stride is refused)
    stride_fs = timestep_fs * max(1, min(5, round(duration_ps * 1000.0 / timestep_fs)))
    cfg = RunConfig(
        materials=("bench",),
        temperatures_K=(1000.0,),
        timestep_fs=timestep_fs,
        duration_ps=duration_ps,
        equilibration_ps=0.0,
        sample_every_fs=stride_fs,
        msd_every_fs=stride_fs,
        thermo_every_fs=stride_fs,
        flush_every_ps=duration_ps / 2,
        progress=False,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / f"bench-{len(list(out_dir.glob('bench-*.h5')))}.h5"
    summary = run_batch(systems, model, md=cfg.md, out_path=out_path, model_name="bench")
    return summary.wall_s / summary.steps, summary


def ase_sequential_s(
    systems: list,
    calc: Any,
    *,
    n_steps: int,
    timestep_fs: float = 2.0,
    tdamp_fs: float = 100.0,
) -> float:
    """The study's way: each system alone, ASE MD with ASE's NH chain."""
    from ase import units
    from ase.md.nose_hoover_chain import NoseHooverChainNVT
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    warm = systems[0].atoms.copy()
    warm.calc = calc
    for _ in range(WARMUP_CALLS):
        warm.rattle(1e-3)
        warm.get_forces()
    total = 0.0
    for s in systems:
        atoms = s.atoms.copy()
        atoms.calc = calc
        MaxwellBoltzmannDistribution(
            atoms, temperature_K=s.temperature_K, rng=np.random.default_rng(0)
        )
        Stationary(atoms)
        dyn = NoseHooverChainNVT(
            atoms,
            timestep=timestep_fs * units.fs,
            temperature_K=s.temperature_K,
            tdamp=tdamp_fs * units.fs,
        )
        atoms.get_forces()  # setup outside the timing, as the engine's init
        t0 = time.perf_counter()
        dyn.run(n_steps)
        total += time.perf_counter() - t0
    return total


def peak_rss_of_run(*, model: str, n_steps: int, min_cell_length_A: float) -> float:
    """Peak host RSS (GB) of a fresh process running ``n_steps`` engine steps."""
    code = (
        "import sys, resource, tempfile, pathlib, torch;"
        "torch.set_num_threads(1);"
        "from benchmarks.engine import li3n_systems, engine_step_s;"
        "from ionmd.calculators import load_model;"
        f"m = load_model({model!r}, device='cuda' if torch.cuda.is_available() else 'cpu');"
        "s = li3n_systems(temperatures_K=(800.,1200.),"
        f" min_cell_length_A={min_cell_length_A});"
        f"engine_step_s(s, m, n_steps={n_steps}, out_dir=pathlib.Path(tempfile.mkdtemp()));"
        "dev = torch.cuda.max_memory_allocated()/1e9 if torch.cuda.is_available() else 0.0;"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1e6, dev)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    host, dev = (float(x) for x in out.stdout.split()[-2:])
    return max(host, dev) if dev > 0 else host


def run(
    *,
    model_name: str,
    n_steps: int,
    temperatures_K: tuple[float, ...],
    min_cell_length_A: float,
    device: str,
    with_ase: bool = True,
    with_memory: bool = True,
    repeats: int = 3,
) -> dict[str, Any]:
    from benchmarks.timing import interleave, ratio_stats
    from ionmd.calculators import load_ase_calculator, load_model

    dev = torch.device(device)
    model = load_model(model_name, device=dev)
    systems = li3n_systems(
        temperatures_K=temperatures_K, min_cell_length_A=min_cell_length_A
    )
    n_atoms = sum(len(s.atoms) for s in systems)
    summaries: list[Any] = []

    def engine() -> float:
        t, summary = engine_step_s(systems, model, n_steps=n_steps, out_dir=Path(tmp))
        summaries.append(summary)
        return t

    parts = {
        "model": lambda: model_only_step_s(systems, model, n_steps=n_steps),
        "engine": engine,
    }
    if with_ase:
        calc = load_ase_calculator(model_name, device=dev, dtype=model.dtype)
        parts["ase"] = lambda: ase_sequential_s(systems, calc, n_steps=n_steps)
    with tempfile.TemporaryDirectory() as tmp:
        times = interleave(parts, repeats=repeats)
    overhead = ratio_stats(times["engine"], times["model"])
    t_model = float(np.median(times["model"]))
    t_engine = float(np.median(times["engine"]))
    summary = summaries[-1]
    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "torch_threads": torch.get_num_threads(),
        "model": model_name,
        "dtype": str(model.dtype),
        "n_systems": len(systems),
        "n_atoms": n_atoms,
        "n_steps": n_steps,
        "model_step_s": t_model,
        "engine_step_s": t_engine,
        "repeats": repeats,
        "times_s": times,
        "overhead_ratio": overhead["median"],
        "overhead": overhead,
        "atom_steps_per_s": n_atoms / t_engine,
        "ns_per_day_per_system": 2.0e-6 / (t_engine / 86400.0),
        "peak_host_GB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "peak_device_GB": summary.peak_device_bytes / 1e9,
    }
    if with_ase:
        vs_ase = ratio_stats(times["ase"], [t * n_steps for t in times["engine"]])
        result["ase_sequential_s"] = float(np.median(times["ase"]))
        result["engine_s"] = t_engine * n_steps
        result["batched_vs_ase_ratio"] = vs_ase["median"]
        result["batched_vs_ase"] = vs_ase
    result["warnings"] = [
        f"{name}: {stats['warning']}"
        for name, stats in (
            ("overhead", overhead),
            ("batched/ASE", result.get("batched_vs_ase")),
        )
        if stats and stats.get("warning")
    ]
    if with_memory:
        short = peak_rss_of_run(
            model=model_name, n_steps=n_steps, min_cell_length_A=min_cell_length_A
        )
        long = peak_rss_of_run(
            model=model_name, n_steps=10 * n_steps, min_cell_length_A=min_cell_length_A
        )
        result["peak_GB_short"], result["peak_GB_long"] = short, long
        result["memory_flat_ratio"] = long / short
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", default="mace-tiny")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument(
        "--temperatures-K",
        type=float,
        nargs="+",
        default=[800.0, 900.0, 1000.0, 1100.0, 1200.0],
    )
    p.add_argument("--min-cell-length-A", type=float, default=10.0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--no-ase", action="store_true")
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    res = run(
        model_name=args.model,
        n_steps=args.steps,
        temperatures_K=tuple(args.temperatures_K),
        min_cell_length_A=args.min_cell_length_A,
        device=args.device,
        with_ase=not args.no_ase,
        with_memory=not args.no_memory,
        repeats=args.repeats,
    )
    print(json.dumps(res, indent=2))
    for line in res["warnings"]:
        print(f"WARNING {line}", file=sys.stderr)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "engine.json").write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
