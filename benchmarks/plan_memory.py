"""Host bytes per atom of one float32 force evaluation, per model: the memory
anchors of ``ionmd plan`` (``ionmd/campaign/cost_anchors.py``) where no GPU
figure exists.

Each model runs in a fresh process: it is loaded on the CPU in float32, called
once on a small system (warm-up) and once on a large one; the anchor is the rise
of the process's peak resident memory (``ru_maxrss``) between the two calls,
divided by the atoms added. That is an estimate of the device memory the model
needs per atom on a GPU (the same tensors, without CUDA's workspaces and
cuEquivariance), not a GPU measurement.

    python -m benchmarks.plan_memory                      # every model below
    python -m benchmarks.plan_memory --models sevennet-0  # one
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

#: model -> (structure, repeats of the small and the large system)
CASES = {
    "mace-mpa0-arch": ("li3n", (2, 2, 2), (4, 4, 4)),
    "mace-tiny": ("li3n", (2, 2, 2), (6, 6, 6)),
    "sevennet-0": ("li3n", (2, 2, 2), (4, 4, 4)),
    "chgnet": ("li3n", (2, 2, 2), (4, 4, 4)),
    "toy": ("toy", (1, 1, 1), (4, 4, 4)),
    "lj": ("toy", (1, 1, 1), (4, 4, 4)),
}


def _atoms(kind: str, repeats: tuple[int, int, int]) -> object:
    from pymatgen.io.ase import AseAtomsAdaptor

    from ionmd.structures.builders import alpha_li3n_atoms, toy_conductor

    if kind == "li3n":
        return alpha_li3n_atoms().repeat(repeats)
    return AseAtomsAdaptor.get_atoms(toy_conductor("toy-fast")).repeat(repeats)


def measure_one(model_name: str) -> dict[str, float]:
    """Peak-RSS rise per atom between a small and a large call (this process)."""
    import resource

    import torch

    from ionmd.calculators import load_model
    from ionmd.engine.systems import SystemSpec, build_state

    kind, small, large = CASES[model_name]
    model = load_model(model_name, device="cpu", dtype=torch.float32)
    peaks, sizes = [], []
    for repeats in (small, large):
        atoms = _atoms(kind, repeats)
        spec = SystemSpec(material_id="probe", atoms=atoms, temperature_K=800.0)
        state, _, _ = build_state([spec], device=torch.device("cpu"), dtype=torch.float32)
        model(state)
        peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        sizes.append(len(atoms))  # type: ignore[arg-type]
    per_atom = (peaks[1] - peaks[0]) / (sizes[1] - sizes[0])
    return {"atoms_small": sizes[0], "atoms_large": sizes[1], "bytes_per_atom": per_atom}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=list(CASES))
    p.add_argument("--one", help=argparse.SUPPRESS)  # the child process
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(args.one)))
        return 0
    for name in args.models:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.plan_memory", "--one", name],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{name:<15} {row['atoms_small']:>5} -> {row['atoms_large']:>6} atoms: "
            f"{row['bytes_per_atom'] / 1e6:.3g} MB per atom (float32, CPU peak RSS)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
