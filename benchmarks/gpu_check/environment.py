"""Parts ``environment`` (device, versions, the neighbour-list backend torch-sim
picked) and ``model_load`` (building the check's model)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check

#: the distributions whose versions the JSON records (None: not installed)
DISTRIBUTIONS = (
    "torch",
    "torch-sim-atomistic",
    "mace-torch",
    "e3nn",
    "ase",
    "h5py",
    "numpy",
    "cuequivariance-torch",
    "nvalchemi-toolkit-ops",
    "vesin",
)


def environment(check: Check, _limit_s: float) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for dist in DISTRIBUTIONS:
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    import torch_sim.neighbors as nb

    backend = (
        "nvalchemiops"
        if nb.ALCHEMIOPS_AVAILABLE
        else "vesin"
        if nb.VESIN_AVAILABLE
        else "torch_nl_linked_cell"
    )
    env: dict[str, Any] = {
        "python": sys.version.split()[0],
        "versions": versions,
        "neighbor_list": backend,
        "torch_threads": torch.get_num_threads(),
        "cuda_available": torch.cuda.is_available(),
    }
    if check.device.type == "cuda":
        props = torch.cuda.get_device_properties(check.device)
        env |= {
            "gpu": props.name,
            "gpu_memory_GB": props.total_memory / 1e9,
            "cuda": torch.version.cuda,
            "capability": f"{props.major}.{props.minor}",
        }
    return env


def model_load(check: Check, _limit_s: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    m = check.model()
    return {"load_s": time.perf_counter() - t0, "dtype": str(m.dtype)}
