"""``ionmd status OUT`` for an adaptive campaign run in-process: where the loop is,
from OUT/adaptive.json (written at every chunk boundary, so it is current while
the run goes on and final after it)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from ionmd.campaign.adaptive.loop import STATE_FILE
from ionmd.errors import InputError

#: running systems and queued ones named before the rest are only counted
SHOWN = 8


def read_adaptive_state(out_dir: Path) -> dict[str, Any] | None:
    """OUT/adaptive.json as a dict; None when there is none; one line if unreadable."""
    path = Path(out_dir) / STATE_FILE
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} cannot be read ({exc})") from None
    ok = isinstance(doc, dict) and all(
        isinstance(doc.get(k), dict) for k in ("systems", "materials")
    )
    if not ok:
        raise InputError(
            f"{path} is not an adaptive campaign's state (no systems/materials)"
        )
    return doc


def format_adaptive_status(doc: dict[str, Any], *, out_dir: Path) -> str:
    """A few lines: progress, occupancy, running and queued systems, materials."""
    systems, materials = doc["systems"], doc["materials"]
    dt = float(doc.get("timestep_fs") or 0.0)
    step = int(doc.get("step") or 0)
    budget = float((doc.get("settings") or {}).get("max_atom_steps") or 0.0)
    spent = float(doc.get("atom_steps") or 0.0)
    occ, occ_q = doc.get("occupancy_mean"), doc.get("occupancy_mean_while_queued")
    lines = [
        f"adaptive campaign {out_dir}: {'done' if doc.get('done') else 'not finished'}; "
        f"batch step {step} ({step * dt * 1e-3:g} ps), {spent:.3g} atom-steps"
        + (f" of a budget of {budget:.3g}" if budget else "")
        + f"; capacity {doc.get('capacity_atoms')} atoms, occupancy "
        + (f"{occ:.0%}" if isinstance(occ, (int, float)) else "–")
        + (f" ({occ_q:.0%} while systems were queued)" if isinstance(occ_q, float) else "")
    ]
    runner = runner_line(out_dir, doc)
    if runner:
        lines.append(runner)
    running = [k for k, r in systems.items() if r.get("outcome") == "running"]
    queued = list(doc.get("queue") or [])
    for label, keys in (("running", running), ("queued", queued)):
        if keys:
            named = ", ".join(
                _running(k, systems[k]) if label == "running" else k for k in keys[:SHOWN]
            )
            more = f" and {len(keys) - SHOWN} more" if len(keys) > SHOWN else ""
            lines.append(f"{label} ({len(keys)}): {named}{more}")
    counts = Counter(r.get("outcome", "?") for r in systems.values())
    lines.append("systems: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    width = max((len(m) for m in materials), default=8)
    for mid, m in materials.items():
        reason = f"  {m['reason']}" if m.get("reason") else ""
        lines.append(f"  {mid:<{width}}  {m.get('status', '?'):<10}{reason}")
    return "\n".join(lines)


def runner_line(out_dir: Path, doc: dict[str, Any]) -> str | None:
    """Whether the run that writes ``doc`` is alive: the pid the last ``ionmd run``
    wrote into OUT/.lock (:mod:`ionmd.campaign.lock`), checked on this host
    without touching the lock; None when done or unknown."""
    from ionmd.campaign.lock import LOCK_NAME

    if doc.get("done"):
        return None
    try:
        pid = int((Path(out_dir) / LOCK_NAME).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return f"runner: pid {pid} is gone (interrupted): re-run the same command to resume"
    except PermissionError:
        pass  # alive, another user's
    return f"runner: running (pid {pid}, this host)"


def adaptive_status_exit(doc: dict[str, Any]) -> int:
    """1 when a system failed (as ``ionmd status`` does for failed tasks), else 0."""
    return int(any(r.get("outcome") == "failed" for r in doc["systems"].values()))


def _running(key: str, rec: dict[str, Any]) -> str:
    """A running system and its production's time, or that it is in its NPT
    stage (``cell = "npt"``: it entered its stage, not yet its production)."""
    if rec.get("stage_entered_step") is not None and rec.get("entered_step") is None:
        return f"{key} (in its NPT stage)"
    return f"{key} ({rec.get('run_ps', 0):g} ps)"
