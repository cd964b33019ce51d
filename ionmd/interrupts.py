"""SIGINT and SIGTERM: stop cleanly, with a checkpoint, resumable.

SLURM sends SIGTERM at the walltime (then SIGKILL after ``KillWait``); Ctrl-C
sends SIGINT. The CLI installs one handler for both (:func:`install`). Outside
the MD loop it raises :class:`Interrupted` at once; inside it (the loop runs
under :func:`deferred`) it only records the signal, and the loop, at the end of
the step, flushes the run file, writes the checkpoint and raises
:class:`Interrupted` itself, so a stop never lands in the middle of a write.
A second signal while one is pending raises at once. The CLI prints one line
and exits with 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Stopped by a signal; ``detail`` says what was saved."""

    def __init__(self, signum: int, detail: str = "") -> None:
        self.signum = int(signum)
        self.detail = detail
        super().__init__(self.message)

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    @property
    def message(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"stopped by {self.signal_name}{detail}; re-run the same command to resume"


_lock = threading.Lock()
_defer_depth = 0
_pending: int | None = None


def _handler(signum: int, frame: object) -> None:
    global _pending
    if _defer_depth > 0 and _pending is None:
        _pending = signum
        return
    _pending = None
    raise Interrupted(signum)


def install() -> None:
    """Route SIGINT and SIGTERM to :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in HANDLED_SIGNALS:
        signal.signal(sig, _handler)


def pending_signal() -> int | None:
    """The signal received inside :func:`deferred`, if any (cleared on read)."""
    global _pending
    with _lock:
        sig, _pending = _pending, None
    return sig


@contextmanager
def deferred() -> Iterator[None]:
    """Inside: a signal is recorded for :func:`pending_signal` instead of raised
    (only in the main thread, where signal handlers run)."""
    global _defer_depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _defer_depth += 1
    try:
        yield
    finally:
        _defer_depth -= 1
    if _defer_depth == 0:
        sig = pending_signal()
        if sig is not None:
            raise Interrupted(sig)
