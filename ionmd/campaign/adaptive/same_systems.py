"""An adaptive OUT runs the initial systems it was started with, no others.

The study's campaign runs a material added to OUT in a batch of its own; the
adaptive loop cannot: its queue, batch and decisions are one state, checkpointed
together, and a finished loop is not reopened. So a re-run whose initial systems
(materials x temperatures_K the model can run) differ from those in OUT's
campaign.json is refused in one line, before any MD, instead of being silently
ignored ("adaptive run already done") or mixed into a state that did not plan them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ionmd.caller import option
from ionmd.errors import InputError


def check_same_initial_systems(
    previous_inputs: Mapping[str, Any] | None, *, keys: Iterable[str], out: Path
) -> None:
    """Refuse initial systems other than those OUT's adaptive campaign started with."""
    if not previous_inputs or not isinstance(previous_inputs.get("systems"), Mapping):
        return
    old, new = set(previous_inputs["systems"]), set(keys)
    if old == new:
        return
    parts = []
    if new - old:
        parts.append("adds " + ", ".join(sorted(new - old)[:4]))
    if old - new:
        parts.append("drops " + ", ".join(sorted(old - new)[:4]))
    raise InputError(
        f"{out} holds an adaptive campaign of {len(old)} initial systems; this config "
        f"{' and '.join(parts)} (an adaptive loop's queue cannot change): run them into "
        f"another {option('--out')}, or re-run with {option('--force')} to start again "
        "from scratch"
    )
