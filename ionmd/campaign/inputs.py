"""What a campaign's data were made from, and the refusal to mix inputs.

campaign.json keeps ``inputs``: the protocol (``MDSettings.fingerprint_fields()``), the
model (name, version with package versions and the weights' sha256) and every
system's content hash (``SystemSpec.content_sha256()``: atoms, cell,
supercell, temperature, seed). A re-run compares its own inputs with them for
every system that already has data in OUT (a finished batch or one with a run
file to resume) and refuses, in one line naming what changed, rather than label
old data with new settings or continue a trajectory on a changed structure.
Systems that are new (a material added) are simply run; the others' batches
and files stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ionmd.caller import option
from ionmd.errors import InputError


def _how() -> str:
    """What the user can do, in the caller's spelling (:mod:`ionmd.caller`)."""
    return (
        f"re-run with {option('--force')} to start again from scratch, or choose "
        f"another {option('--out')}"
    )


#: what a fingerprint key left out means (``CampaignConfig.protocol_fingerprint``
#: leaves out one replica), so that a change names the value, not None
_ABSENT: dict[str, Any] = {"n_replicas": 1}


class InputsChangedError(InputError):
    """The inputs differ from those the data in OUT were made from."""


def campaign_inputs(
    *, protocol: Mapping[str, Any], model: Mapping[str, str], systems: Mapping[str, str]
) -> dict[str, Any]:
    """The record stored as ``inputs`` in campaign.json."""
    return {
        "protocol": dict(protocol),
        "model": {k: model[k] for k in ("model_name", "model_version")},
        "systems": dict(systems),
    }


def check_protocol_and_model(
    previous: Mapping[str, Any] | None,
    *,
    protocol: Mapping[str, Any],
    model: Mapping[str, str],
    out: Path,
) -> None:
    """Refuse a protocol or model other than the one OUT's data were made with."""
    if not previous:
        return
    was = previous.get("protocol", {})
    mode_was = was.get("protocol") or "study"  # a study fingerprint has no "protocol"
    mode = protocol.get("protocol") or "study"
    if mode_was != mode:  # one cause, not every adaptive key listed as "-> None"
        raise InputsChangedError(
            f'{out} holds a campaign run with protocol = "{mode_was}", not "{mode}" '
            f"(the two protocols' data cannot be mixed); {_how()}"
        )
    cell_was = was.get("cell") or "experimental"  # absent: the experimental cell
    cell = protocol.get("cell") or "experimental"
    if cell_was != cell:  # one cause, not every relax_* key listed as "-> None"
        raise InputsChangedError(
            f'{out} holds a campaign run with cell = "{cell_was}", not "{cell}"; {_how()}'
        )
    changed = [
        f"{k} {was.get(k, _ABSENT.get(k))!r} -> {protocol.get(k, _ABSENT.get(k))!r}"
        for k in sorted(set(was) | set(protocol))
        if _norm(was.get(k, _ABSENT.get(k))) != _norm(protocol.get(k, _ABSENT.get(k)))
    ]
    if changed:
        raise InputsChangedError(
            f"{out} holds data made with another protocol ({'; '.join(changed)}); {_how()}"
        )
    old_model = previous.get("model", {})
    if {k: old_model.get(k) for k in ("model_name", "model_version")} != {
        k: model.get(k) for k in ("model_name", "model_version")
    }:
        same_name = old_model.get("model_name") == model.get("model_name")
        what = (
            f"other weights or package versions of {model.get('model_name')} "
            f"({old_model.get('model_version')} -> {model.get('model_version')})"
            if same_name
            else f"{old_model.get('model_name')}, not {model.get('model_name')}"
        )
        raise InputsChangedError(f"{out} holds data made with {what}; {_how()}")


def check_systems(
    previous: Mapping[str, Any] | None,
    *,
    systems: Mapping[str, str],
    keys_with_data: Iterable[str],
    out: Path,
) -> None:
    """Refuse when a system with data in OUT is no longer asked for (other
    temperatures or materials) or was made from other content (a structure file,
    supercell or occupancy that changed)."""
    if not previous:
        return
    was = previous.get("systems", {})
    with_data = sorted(set(keys_with_data))
    gone = [k for k in with_data if k not in systems]
    if gone:
        shown = ", ".join(gone[:4]) + (
            f" and {len(gone) - 4} more" if len(gone) > 4 else ""
        )
        raise InputsChangedError(
            f"{out} holds data for {shown}, which this config no longer asks for "
            f"(other temperatures or materials); {_how()}"
        )
    changed = [k for k in with_data if k in was and was[k] != systems[k]]
    if changed:
        materials = sorted({k.rsplit("_", 1)[0] for k in changed})
        raise InputsChangedError(
            f"{out} holds data for {', '.join(changed[:4])} made from another structure "
            f"of {', '.join(materials)} (its file, supercell or occupancies changed "
            f"since); {_how()}"
        )


def _norm(value: Any) -> Any:
    """JSON round-trip form (tuples are lists once read back)."""
    if isinstance(value, tuple | list):
        return [_norm(v) for v in value]
    return value
