"""A part's time limit: SIGALRM in the main thread, and recognising the
timeout when a library (torch's inductor) re-raises it wrapped."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


class PartTimeoutError(Exception):
    pass


def caused_by_timeout(exc: BaseException | None) -> bool:
    """Whether ``exc`` or one of its causes (20 deep) is a part's timeout."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, PartTimeoutError) or "PartTimeoutError" in str(exc)[:2000]:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise PartTimeoutError in the main thread after ``seconds`` (SIGALRM)."""

    def handler(signum: int, frame: object) -> None:
        raise PartTimeoutError(f"part ran past its limit of {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, max(0.01, seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
