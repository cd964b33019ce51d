"""Where an engine step's time goes, as issue 16 asks:

    python benchmarks/profile_step.py [--repo DIR] [--skin-A 1.0] [--steps 60]

3 × 32-atom α-Li3N (800, 1000, 1200 K), mace-tiny, float64, one thread on the
CPU. Shares of the run's wall time, nested parts subtracted: the model's forward
pass without its neighbour list, the neighbour list, torch-sim's integrator
without the model (the chain half-steps and the velocity-Verlet updates), ionmd's
per-step recording, its fault checks, flushes (HDF5 + checkpoint), and the rest
(set-up). Timed by wrapping those functions (perf_counter): cProfile's tree lost
the model's forward pass inside torch's frames (it listed e3nn's pieces with no
parent), so its shares did not add up. ``--repo`` runs another checkout's ionmd
(e.g. main, to compare before and after).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--skin-A", type=float, default=0.0)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.repo))
    import torch

    torch.set_num_threads(1)
    from benchmarks.engine import li3n_systems
    from ionmd.calculators import load_model
    from ionmd.campaign.config import RunConfig
    from ionmd.engine import integrator, runner

    kw = {"neighbor_skin_A": args.skin_A} if args.skin_A else {}
    model = load_model("mace-tiny", **kw)
    systems = li3n_systems(temperatures_K=(800.0, 1000.0, 1200.0), min_cell_length_A=6.0)
    cfg = RunConfig(
        materials=("p",),
        temperatures_K=(800.0,),
        timestep_fs=2.0,
        duration_ps=args.steps * 2e-3,
        equilibration_ps=0.0,
        sample_every_fs=10.0,
        msd_every_fs=10.0,
        thermo_every_fs=10.0,
        progress=False,
    )
    spent: dict[str, float] = defaultdict(float)

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.perf_counter() - t0

        return wrapper

    model.forward = timed("forward", model.forward)
    model.neighbor_list_fn = timed("nl", model.neighbor_list_fn)
    integrator.nh_step = timed("step", integrator.nh_step)
    integrator.nh_init = timed("init", integrator.nh_init)
    from ionmd.engine.inflight import InFlightBatch  # the one MD loop

    for name in ("_record", "_check", "flush"):
        setattr(InFlightBatch, name, timed(name, getattr(InFlightBatch, name)))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        runner.run_batch(
            systems,
            model,
            md=cfg.md,
            out_path=Path(tmp) / "p.h5",
            model_name="p",
        )
        total = time.perf_counter() - t0
    per_call_forward = spent["forward"] / (args.steps + 1)  # + the set-up's call
    step_forward = per_call_forward * args.steps
    step_nl = spent["nl"] * args.steps / (args.steps + 1)
    shares = {
        "model_without_neighbor_list": step_forward - step_nl,
        "neighbor_list": step_nl,
        "integrator_without_model": spent["step"] - step_forward,
        "ionmd_record": spent["_record"],
        # flush calls _check: fault checks outside flushes, then flushes whole
        "ionmd_fault_checks_and_flushes": spent["_check"] + spent["flush"],
    }
    shares["rest (set-up)"] = total - sum(shares.values())
    out = {
        "repo": str(args.repo),
        "steps": args.steps,
        "skin_A": args.skin_A,
        "wall_s": total,
        "ms_per_step": spent["step"] / args.steps * 1e3,
        "shares_of_wall": {k: round(v / total, 4) for k, v in shares.items()},
        "shares_of_steps": {
            k: round(v / spent["step"], 4)
            for k, v in shares.items()
            if k
            in ("model_without_neighbor_list", "neighbor_list", "integrator_without_model")
        },
    }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
