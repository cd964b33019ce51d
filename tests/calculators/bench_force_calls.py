"""Force-call cost: torch-sim batched (5 copies) vs ASE one system per call.

Run: python -m tests.calculators.bench_force_calls [--models ...] [--threads 1 2]
Prints ms per atom-step (one force call on one atom) for ~100- and ~400-atom
α-Li3N supercells. mace-mpa0-arch is random weights with MACE-MPA-0's
architecture: its cost is the real model's cost, its forces mean nothing.
"""

import argparse
import json
import time

import numpy as np
import torch
import torch_sim as ts

from ionmd.calculators import load_ase_calculator, load_model
from tests.calculators.helpers import li3n_supercell

SIZES = {"108": (3, 3, 3), "400": (5, 5, 4)}
N_COPIES = 5


def _time_calls(fn, *, n_repeat: int) -> float:
    fn()  # warm-up (first call: lazy set-up, code generation)
    times = []
    for _ in range(n_repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def bench(
    name: str,
    *,
    reps: tuple[int, int, int],
    n_threads: int,
    n_repeat: int,
    dtype: torch.dtype,
) -> dict:
    """Median seconds per call and ms per atom-step for both ways."""
    torch.set_num_threads(n_threads)
    copies = [li3n_supercell(reps, seed=i) for i in range(N_COPIES)]
    n_atoms = len(copies[0])
    model = load_model(name, dtype=dtype)
    state = ts.io.atoms_to_state(copies, device="cpu", dtype=dtype)
    t_batch = _time_calls(lambda: model(state), n_repeat=n_repeat)

    calc = load_ase_calculator(name, dtype=dtype)
    atoms = copies[0].copy()
    atoms.calc = calc
    rng = np.random.default_rng(0)

    def ase_call() -> None:
        atoms.positions += rng.normal(scale=1e-4, size=atoms.positions.shape)
        atoms.get_forces()

    t_ase = _time_calls(ase_call, n_repeat=n_repeat)
    return {
        "model": name,
        "n_atoms": n_atoms,
        "threads": n_threads,
        "dtype": str(dtype).removeprefix("torch."),
        "torchsim_batch_s": round(t_batch, 4),
        "torchsim_ms_per_atom_step": round(1e3 * t_batch / (N_COPIES * n_atoms), 4),
        "ase_call_s": round(t_ase, 4),
        "ase_ms_per_atom_step": round(1e3 * t_ase / n_atoms, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", default=["mace-tiny", "sevennet-0", "mace-mpa0-arch"]
    )
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    args = parser.parse_args()
    dtype = getattr(torch, args.dtype)
    for name in args.models:
        for size in args.sizes:
            for n_threads in args.threads:
                row = bench(
                    name,
                    reps=SIZES[size],
                    n_threads=n_threads,
                    n_repeat=args.repeat,
                    dtype=dtype,
                )
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
