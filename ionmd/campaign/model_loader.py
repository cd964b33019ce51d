"""The campaign's one model loader: the device, the dtype and the fast paths from
the config, for the in-process campaign and for an executor's workers alike;
and which elements a loaded model covers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ionmd.errors import InputError
from ionmd.log import get_logger

if TYPE_CHECKING:
    from ionmd.campaign.config import CampaignConfig

log = get_logger(__name__)


def resolve_device(name: str) -> str:
    """``auto``: CUDA when there is one, else the CPU; a CUDA device asked for on a
    machine without one: InputError."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device {name!r} requested but no CUDA device is available")
    return name


def load_campaign_model(config: CampaignConfig, *, device: str, fast_paths: bool) -> Any:
    """``config.model`` on ``device`` in the MD settings' dtype; ``fast_paths``: with
    their fast paths (cuEquivariance, compile; off where the model only
    says which elements it covers)."""
    import torch

    from ionmd.calculators import load_model

    dtype_name = config.md.dtype
    dtype = None if dtype_name == "auto" else getattr(torch, dtype_name)
    fast = config.md.fast_paths() if fast_paths else {}
    log.info(f"loading model {config.model} on {device}")
    return load_model(config.model, device=device, dtype=dtype, **fast)


def supported_numbers(model: object) -> set[int] | None:
    """Atomic numbers a model covers, where the model says (MACE, SevenNet)."""
    inner = getattr(model, "model", None)
    z = getattr(inner, "atomic_numbers", None)
    if z is not None:
        return {int(x) for x in z}
    type_map = getattr(model, "type_map", None)
    if type_map:
        return {int(x) for x in type_map}
    return None


__all__ = ["load_campaign_model", "resolve_device", "supported_numbers"]
