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
    """Import mace before e3nn/sevenn: e3nn 0.4.4 fails under torch>=2.6 otherwise."""
    import mace  # noqa: F401
