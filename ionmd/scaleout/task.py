"""What the scale-out layer runs: a :class:`Task`, and what it reports: a
:class:`TaskResult`.

A task is a key, work (a picklable module-level callable with keyword arguments,
or a shell command), the keys of the tasks it needs first, and an output path.
A task is finished when its output exists and the runner recorded it done with the
same inputs (see :mod:`ionmd.scaleout.markers`): re-running a campaign skips it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ionmd.errors import InputError

#: the four states a task is in, as the state file and the status command show them
STATES = ("pending", "running", "done", "failed")

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.=+@-]*$")


@dataclass(frozen=True, kw_only=True)
class Task:
    """One unit of work.

    Exactly one of ``func`` (called as ``func(**kwargs)`` on a worker; it must be
    importable there, i.e. defined at module level) or ``command`` (a shell line run
    in ``cwd``; stdout/stderr go to ``<output dir>/<key>.stdout|.stderr``).
    ``output`` is the file or directory the task writes (relative paths are taken
    under the campaign's ``out_dir``); the work should write it last, or atomically.
    ``fingerprint`` identifies the inputs for resume; default: a digest of the
    callable's name, ``kwargs`` (JSON-able parts), ``command`` and ``cwd``.
    """

    key: str
    output: Path
    func: Callable[..., Any] | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    command: str | None = None
    cwd: Path | None = None
    depends_on: tuple[str, ...] = ()
    fingerprint: str | None = None

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise InputError(
                f"task key '{self.key}' must be letters, digits and _ . = + @ - "
                "(it names files)"
            )
        if (self.func is None) == (self.command is None):
            raise InputError(f"task '{self.key}' needs exactly one of func or command")
        if self.command is not None and self.kwargs:
            raise InputError(f"task '{self.key}': kwargs only go with func, not command")
        if isinstance(self.depends_on, str):
            raise InputError(f"task '{self.key}': depends_on must be a tuple of keys")
        object.__setattr__(self, "output", Path(self.output))
        object.__setattr__(self, "depends_on", tuple(self.depends_on))

    @property
    def is_shell(self) -> bool:
        return self.command is not None

    def digest(self) -> str:
        """The fingerprint of this task's inputs (stable across runs and machines)."""
        if self.fingerprint is not None:
            return self.fingerprint
        name = None
        if self.func is not None:
            name = f"{getattr(self.func, '__module__', '?')}.{self.func.__qualname__}"
        payload = {
            "func": name,
            "kwargs": dict(self.kwargs),
            "command": self.command,
            "cwd": None if self.cwd is None else str(self.cwd),
            "output": str(self.output),
        }
        text = json.dumps(payload, sort_keys=True, default=_stable)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stable(obj: object) -> object:
    """JSON stand-in for values json cannot write: no memory addresses, ever."""
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, tuple | set | frozenset):
        return sorted(obj, key=repr) if isinstance(obj, set | frozenset) else list(obj)
    tobytes = getattr(obj, "tobytes", None)
    if callable(tobytes):  # numpy arrays and scalars
        data = tobytes()
        return f"{type(obj).__name__}:{hashlib.sha256(data).hexdigest()[:16]}"
    if callable(obj):
        return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
    return f"<{type(obj).__module__}.{type(obj).__qualname__}>"


@dataclass(frozen=True, kw_only=True)
class TaskResult:
    """How a task ended in this run.

    ``state``: ``done`` or ``failed`` (a run returns only when nothing is pending or
    running). ``resumed``: done in an earlier run, skipped now. ``value``: what
    ``func`` returned, when JSON-able (kept in the done record), else ``None``.
    ``reason``: one line, for failures. ``attempts``: tries in this run.
    """

    key: str
    state: str
    output: Path
    resumed: bool = False
    value: Any = None
    reason: str | None = None
    attempts: int = 0
    where: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "done"
