"""The ML side: the same MD with ASE and an ionmd model (default
``mace-mpa0-arch``: random weights, the architecture and cost of MACE medium-mpa-0)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

import numpy as np
from ase import Atoms, units
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
from ase.md.verlet import VelocityVerlet

from benchmarks.dft.common import MD_SEED, MD_TEMPERATURE_K, MD_TIMESTEP_FS
from benchmarks.dft.process import load_avg


def measure_ml_step(
    *,
    atoms: Atoms,
    model_name: str = "mace-mpa0-arch",
    n_steps: int = 20,
    n_threads: int = 2,
    dtype: str = "float64",
) -> dict[str, Any]:
    """Wall time of one ML-MD step (forces + velocity Verlet) of ``atoms`` with ASE.

    Same MD as :func:`measure_dft_step` (2 fs NVE from Maxwell-Boltzmann velocities)
    on ``n_threads`` torch threads. ``first_step_s`` is the first force call (includes
    model warm-up); ``step_time_s`` is the median of the ``n_steps`` later steps.
    """
    if "torch" not in sys.modules:
        # Sleep, don't spin, in OpenMP barriers (read when torch loads libgomp): on a
        # shared, oversubscribed machine spinning threads cost 3-4x (measured, 32 atoms,
        # load 8 on 2 cores); the MPI side of the DFT run yields the same way.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    if n_steps < 1:
        raise ValueError("n_steps must be >= 1")
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        from ionmd.calculators import load_ase_calculator

        calc = load_ase_calculator(model_name, device="cpu", dtype=getattr(torch, dtype))
        source = "ionmd.calculators.load_ase_calculator"
        md_atoms = atoms.copy()
        md_atoms.calc = calc
        MaxwellBoltzmannDistribution(
            md_atoms,
            temperature_K=MD_TEMPERATURE_K,
            rng=np.random.default_rng(MD_SEED),
        )
        load_before = load_avg()
        t0 = time.perf_counter()
        md_atoms.get_forces()
        first_step_s = time.perf_counter() - t0
        dyn = VelocityVerlet(md_atoms, timestep=MD_TIMESTEP_FS * units.fs)
        step_times_s: list[float] = []
        step_cpu_s: list[float] = []
        for _ in range(n_steps):
            t0, c0 = time.perf_counter(), time.process_time()
            dyn.run(1)
            step_times_s.append(time.perf_counter() - t0)
            step_cpu_s.append(time.process_time() - c0)
    finally:
        torch.set_num_threads(previous_threads)
    return {
        "model": model_name,
        "model_source": source,
        "version": f"mace-torch {_version('mace-torch')}, torch {torch.__version__}",
        "settings": {
            "dtype": dtype,
            "device": "cpu",
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(libgomp default)"),
            "md": f"ASE velocity-Verlet NVE, {MD_TIMESTEP_FS} fs, MB start at "
            f"{MD_TEMPERATURE_K:g} K",
            "weights": "random (architecture of MACE medium-mpa-0; same cost)"
            if model_name == "mace-mpa0-arch"
            else "as loaded",
        },
        "n_atoms": len(atoms),
        "n_threads": n_threads,
        "first_step_s": first_step_s,
        "step_time_s": statistics.median(step_times_s),
        "step_time_min_s": min(step_times_s),
        "step_times_s": step_times_s,
        "step_cpu_s": step_cpu_s,
        "load_avg_before": load_before,
        "load_avg_after": load_avg(),
    }


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"
