"""Helpers shared by the potential files: device/dtype choice, wrapping, hashing."""

import hashlib
import logging
from pathlib import Path

import torch

log = logging.getLogger(__name__)


def resolve_device_dtype(
    *, device: str | torch.device, dtype: torch.dtype | None
) -> tuple[torch.device, torch.dtype]:
    """`device` as a torch.device and the dtype (None: float32 on CUDA, else float64)."""
    device = torch.device(device)
    if dtype is None:
        dtype = torch.float32 if device.type == "cuda" else torch.float64
    if dtype not in (torch.float32, torch.float64):
        from ionmd.errors import ModelLoadError

        raise ModelLoadError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    return device, dtype


def wrapped_positions(state: "ts.SimState") -> torch.Tensor:  # noqa: F821
    """Positions of `state` wrapped into their cells, shape (n_atoms, 3).

    The engine keeps unwrapped positions (for MSD); neighbour lists must not
    care (torch-sim issue #423), so models wrap a copy before building one.
    """
    import torch_sim as ts

    if not bool(state.pbc.any()):
        return state.positions
    return ts.transforms.pbc_wrap_batched(
        state.positions, state.cell, state.system_idx, state.pbc
    )


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_mace_first() -> None:
    """Import mace before e3nn/sevenn: e3nn 0.4.4 fails under torch>=2.6 otherwise.

    mace 0.3.16's ``mace.tools`` imports its training code, which imports
    ``mace.cli.visualise_train`` (matplotlib and pandas) at import time. Where
    those are not installed (the GPU machine: no analysis packages) a stand-in
    module is registered first, so the models load without them; plotting a
    training run is the only thing that then fails (with ImportError).
    """
    _stub_mace_training_plots()
    import mace  # noqa: F401


def _module_missing(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return True


def _stub_mace_training_plots() -> None:
    import sys
    import types

    name = "mace.cli.visualise_train"
    if name in sys.modules or not (
        _module_missing("matplotlib") or _module_missing("pandas")
    ):
        return

    class TrainingPlotter:  # the only name mace.tools.train takes from it
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise ImportError("plotting MACE training needs matplotlib and pandas")

    stub = types.ModuleType(name)
    stub.TrainingPlotter = TrainingPlotter  # type: ignore[attr-defined]
    stub.__doc__ = "ionmd's stand-in: matplotlib or pandas is not installed"
    sys.modules[name] = stub
