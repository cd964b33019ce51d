"""Checkpoints: everything needed to continue a batch bit-for-bit.

Written at every flush, after the run file, atomically (write to a temporary
file, flush, fsync, rename): a crash leaves either the old or the new
checkpoint, never half of one. The run file may hold data past the checkpoint
(crash between the two writes); a resume truncates it back to the checkpoint's
step. A fingerprint of the protocol, the model and the systems is stored so a
resume with a different model or protocol is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from ionmd.caller import option
from ionmd.engine.integrator import CHAIN_FIELDS
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError
from ionmd.outputs import atomic_output

#: the frame of the stored positions and MSDs (framework-relative): part of what
#: a checkpoint continues, so one written before they were is refused
POSITION_FRAME = "framework_com"


def batch_fingerprint(
    *,
    protocol: Mapping[str, Any],
    model_name: str,
    model_version: str,
    systems: Sequence[SystemSpec],
    checkpoint: bool = True,
    file: str | None = None,
) -> str:
    """The one fingerprint of a batch: sha256 of what it is made from, an
    allow-list (adding a material to a campaign leaves the other batches'
    fingerprints alone). ``protocol``: ``MDSettings.fingerprint_fields()`` or the
    campaign's ``protocol_fingerprint()``; the model: name, and version with
    package versions and the weights' sha256; its systems (key ->
    ``SystemSpec.content_sha256()``, in batch order).

    ``checkpoint``: what a checkpoint must match to be continued (both protocols),
    with the frame of its positions (:data:`POSITION_FRAME`); False with ``file``:
    an executor task's identity, which never had the frame and names its run file
    (the hex of each stays what it was, so old checkpoints and finished tasks are
    still accepted)."""
    fields = dict(protocol)
    if checkpoint:
        fields["position_frame"] = POSITION_FRAME
    keyed = {s.key: s.content_sha256() for s in systems}
    if file is not None:
        keyed["file"] = file
    inputs = {
        "protocol": fields,
        "model": {"model_name": model_name, "model_version": model_version},
        "systems": keyed,
    }
    blob = json.dumps({**inputs, "order": list(keyed)}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def same_numbers(value: Any) -> Any:
    """``value`` with every whole float written as an int (5.0 -> 5), in nested
    mappings and sequences: the protocol a checkpoint is fingerprinted with, so
    that a config saying ``timestep_fs = 5`` or ``pressure_GPa = 0`` (TOML
    integers) and one saying 5.0 or leaving the 0.0 default are the same run
    (their values are equal; only JSON's spelling differed, and a resume was
    refused as "another protocol")."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: same_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [same_numbers(v) for v in value]
    return value


def checkpoint_fingerprints(
    *,
    protocol: Mapping[str, Any],
    model_name: str,
    model_version: str,
    systems: Sequence[SystemSpec],
) -> tuple[str, str]:
    """The fingerprint a batch's checkpoints are written with (the protocol's
    numbers in their one spelling, :func:`same_numbers`), and the one a
    checkpoint written before may carry (the numbers as the config spelled
    them): both protocols resume from either."""
    kw = {"model_name": model_name, "model_version": model_version, "systems": systems}
    return (
        batch_fingerprint(protocol=same_numbers(protocol), **kw),
        batch_fingerprint(protocol=protocol, **kw),
    )


def save_checkpoint(
    path: str | Path,
    *,
    step: int,
    state: object,
    msd_state: dict[str, Any],
    fingerprint_hex: str,
    active_keys: list[str],
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Atomically write the NH state (positions, momenta, forces, energy,
    chain) and the MSD accumulators at ``step``; ``extra``: further entries of
    the payload (the in-flight batch's cohorts and its controller's state)."""
    st: Any = state
    chain = st.chain
    payload = {
        "step": int(step),
        "fingerprint": fingerprint_hex,
        "positions": st.positions.detach().cpu(),
        "momenta": st.momenta.detach().cpu(),
        "forces": st.forces.detach().cpu(),
        "energy": st.energy.detach().cpu(),
        "chain": {name: getattr(chain, name).detach().cpu() for name in CHAIN_FIELDS},
        "msd": msd_state,
        "active_keys": list(active_keys),
        **dict(extra or {}),
    }
    with atomic_output(path, fsync=True) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(
    path: str | Path, *, fingerprint_hex: str | Sequence[str]
) -> dict[str, Any]:
    """Read a checkpoint, refusing one written for another model or protocol
    (``fingerprint_hex``: the one it must have, or several it may have)."""
    accepted = (
        {fingerprint_hex} if isinstance(fingerprint_hex, str) else set(fingerprint_hex)
    )
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise InputError(f"{path}: unreadable checkpoint ({exc})") from None
    if payload.get("fingerprint") not in accepted:
        raise InputError(
            f"{path}: this checkpoint was written with another model, protocol or set "
            "of systems (or other structures); refusing to resume (use a new output "
            f"directory or {option('--force')})"
        )
    return payload


def upgrade_fixed_batch(
    payload: Mapping[str, Any], *, keys: Sequence[str]
) -> dict[str, Any]:
    """A checkpoint in the in-flight batch's layout (its cohorts and known keys).
    One written by the fixed-batch loop before there was one loop (one MSD
    state, no cohorts) becomes one cohort that entered at step 0 holding its
    active systems, with ``keys`` (the batch's systems) known; the whole-run
    origin it never had stays unset (only the adaptive protocol reads it)."""
    if "cohorts" in payload["msd"]:
        return dict(payload)
    active = list(payload.get("active_keys", keys))
    cohort = {"entry_step": 0, "keys": active, "msd": payload["msd"], "origin": None}
    return {
        **payload,
        "msd": {"cohorts": [cohort] if active else []},
        "known_keys": list(keys),
    }


def restore_into(state: object, payload: dict[str, Any]) -> None:
    """Overwrite a freshly initialised NH state with the checkpoint's tensors."""
    st: Any = state
    device, dtype = st.positions.device, st.positions.dtype
    st.positions = payload["positions"].to(device=device, dtype=dtype)
    st.momenta = payload["momenta"].to(device=device, dtype=dtype)
    st.forces = payload["forces"].to(device=device, dtype=dtype)
    st.energy = payload["energy"].to(device=device, dtype=dtype)
    for name, value in payload["chain"].items():
        setattr(st.chain, name, value.to(device=device, dtype=value.dtype))
