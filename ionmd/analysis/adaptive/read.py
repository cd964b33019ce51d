"""Read and check ``adaptive.json``: a file the report cannot use is one
:class:`InputError` line that names the file and what is wrong, never a traceback
from deep inside the tables or figures."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ionmd.errors import InputError

#: the file the adaptive loop writes next to the run file
ADAPTIVE_FILE = "adaptive.json"
SCHEMA = 1
#: what a system can end as (``running``/``queued``: the run is not over;
#: ``sub_diffusive``: an adaptive.json written before slow_diffusive/caged)
OUTCOMES = (
    "reliable",
    "slow_diffusive",
    "caged",
    "sub_diffusive",
    "uncertain",
    "melted",
    "budget",
    "failed",
    "running",
    "queued",
    "cancelled",
)
#: events that concern one system (they carry its ``key``)
SYSTEM_EVENTS = ("enter", "extend", "stop", "add_temperature")


class _BadError(Exception):
    """What is wrong, as the tail of the one-line message."""


def _number(x: Any, what: str, *, minimum: float | None = None) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise _BadError(f"{what} is not a finite number ({x!r})")
    if minimum is not None and x < minimum:
        raise _BadError(f"{what} is {x!r}, below {minimum:g}")
    return float(x)


def _step(x: Any, what: str, *, optional: bool = False) -> int | None:
    if x is None and optional:
        return None
    if isinstance(x, bool) or not isinstance(x, int) or x < 0:
        raise _BadError(f"{what} is not a step (an integer >= 0): {x!r}")
    return x


def _table(x: Any, what: str) -> dict[str, Any]:
    if not isinstance(x, dict):
        raise _BadError(f"{what} is not an object")
    return x


def _text(x: Any, what: str, *, optional: bool = False) -> str | None:
    if x is None and optional:
        return None
    if not isinstance(x, str):
        raise _BadError(f"{what} is not text ({x!r})")
    return x


def _check_numbers(x: Any, what: str) -> None:
    """``numbers``: name → number, null, or a list of them (an interval)."""
    if x is None:
        return
    for k, v in _table(x, what).items():
        items = v if isinstance(v, list) else [v]
        for item in items:
            if item is not None and (
                isinstance(item, bool) or not isinstance(item, int | float)
            ):
                raise _BadError(f"{what}.{k} is not a number ({v!r})")


def _check_event(i: int, ev: Any) -> None:
    where = f"events[{i}]"
    ev = _table(ev, where)
    _step(ev.get("step"), f"{where}.step")
    name = _text(ev.get("event"), f"{where}.event")
    _text(ev.get("material_id"), f"{where}.material_id")
    if name in SYSTEM_EVENTS:
        _text(ev.get("key"), f"{where}.key")
        _number(ev.get("temperature_K"), f"{where}.temperature_K", minimum=0)
    _text(ev.get("reason"), f"{where}.reason", optional=True)
    _text(ev.get("outcome"), f"{where}.outcome", optional=True)
    _check_numbers(ev.get("numbers"), f"{where}.numbers")


def _check_system(key: str, s: Any) -> None:
    where = f"systems[{key!r}]"
    s = _table(s, where)
    _text(s.get("material_id"), f"{where}.material_id")
    _number(s.get("temperature_K"), f"{where}.temperature_K", minimum=0)
    outcome = _text(s.get("outcome"), f"{where}.outcome")
    if outcome not in OUTCOMES:
        raise _BadError(f"{where}.outcome {outcome!r} is none of {', '.join(OUTCOMES)}")
    _step(s.get("entered_step"), f"{where}.entered_step", optional=True)
    _step(s.get("left_step"), f"{where}.left_step", optional=True)
    if s.get("run_ps") is not None:
        _number(s["run_ps"], f"{where}.run_ps", minimum=0)
    _text(s.get("reason"), f"{where}.reason", optional=True)
    _check_numbers(s.get("numbers"), f"{where}.numbers")


def _check_material(mid: str, m: Any) -> None:
    where = f"materials[{mid!r}]"
    m = _table(m, where)
    _text(m.get("status"), f"{where}.status")
    _text(m.get("reason"), f"{where}.reason", optional=True)
    for name in ("temperatures_K", "fit_K", "reliable_K", "melted_K"):
        values = m.get(name) or []
        if not isinstance(values, list):
            raise _BadError(f"{where}.{name} is not a list")
        for t in values:
            _number(t, f"{where}.{name}")
    if m.get("sigma300_log10_ci") is not None:
        _number(m["sigma300_log10_ci"], f"{where}.sigma300_log10_ci", minimum=0)


def _check_occupancy(rows: Any) -> None:
    if not isinstance(rows, list):
        raise _BadError("occupancy is not a list")
    for i, row in enumerate(rows):
        where = f"occupancy[{i}]"
        row = _table(row, where)
        start = _step(row.get("step_start"), f"{where}.step_start")
        end = _step(row.get("step_end"), f"{where}.step_end")
        if end < start:  # type: ignore[operator]
            raise _BadError(f"{where} ends (step {end}) before it starts (step {start})")
        _number(row.get("atoms"), f"{where}.atoms", minimum=0)


def _check(doc: Any) -> dict[str, Any]:
    doc = _table(doc, "the document")
    if doc.get("schema") != SCHEMA:
        raise _BadError(f"schema {doc.get('schema')!r} (this ionmd reads schema {SCHEMA})")
    _table(doc.get("settings"), "settings")
    _number(doc.get("timestep_fs"), "timestep_fs", minimum=1e-9)
    _number(doc.get("capacity_atoms"), "capacity_atoms", minimum=1)
    _step(doc.get("step"), "step")
    _number(doc.get("atom_steps"), "atom_steps", minimum=0)
    if doc.get("occupancy_mean") is not None:
        _number(doc["occupancy_mean"], "occupancy_mean", minimum=0)
    _check_occupancy(doc.get("occupancy", []))
    events = doc.get("events", [])
    if not isinstance(events, list):
        raise _BadError("events is not a list")
    for i, ev in enumerate(events):
        _check_event(i, ev)
    for key, s in _table(doc.get("systems", {}), "systems").items():
        _check_system(key, s)
    for mid, m in _table(doc.get("materials", {}), "materials").items():
        _check_material(mid, m)
    return doc


def load_adaptive(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked document of one ``adaptive.json``; :class:`InputError` (one line,
    naming the file) when it is unreadable or not in the format."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise InputError(f"{p}: not a readable adaptive.json ({first})") from None
    try:
        return _check(doc)
    except _BadError as exc:
        raise InputError(f"{p}: malformed adaptive.json: {exc}") from None


def find_adaptive_json(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The ``adaptive.json`` of each run directory among ``paths`` (a run file
    ``*.h5`` stands for its directory), each once, in the order given."""
    found: list[Path] = []
    for p in map(Path, paths):
        folder = p if p.is_dir() else p.parent if p.suffix == ".h5" else None
        candidate = folder / ADAPTIVE_FILE if folder is not None else None
        if candidate is not None and candidate.is_file():
            if all(not candidate.samefile(f) for f in found):
                found.append(candidate)
    return found
