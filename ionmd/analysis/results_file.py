"""Read a results.json (written by :mod:`ionmd.report.results_json`): the one
reader of it, for the comparison of runs, the campaign and :class:`ionmd.Results`.
Reading is the analysis's side (like run files and campaign.json, a layout is its
contract); writing is the report's."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ionmd.errors import InputError


def _how_to_get_one(out: Path) -> str:
    """What makes a results.json in ``out``: a campaign that has not finished
    (stopped, killed, still running) needs its ``ionmd run``; ``ionmd analyze`` on
    it finds no complete trajectory."""
    try:
        status = json.loads((out / "campaign.json").read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        status = None
    if status is not None and status != "done":
        return f"its campaign has not finished (status {status}): re-run its `ionmd run`"
    return "run `ionmd analyze` on it first"


def read_results_json(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The results.json in ``out_dir``; InputError in one line when it is missing,
    unreadable or not a results document."""
    out = Path(out_dir)
    path = out / "results.json"
    if not path.is_file():
        raise InputError(f"{out}: no results.json ({_how_to_get_one(out)})")
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable results.json ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("materials"), dict):
        raise InputError(f"{path}: no 'materials' in this results.json")
    return doc


__all__ = ["read_results_json"]
