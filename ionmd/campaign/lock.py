"""One ``ionmd run`` per output directory: an exclusive lock on ``OUT/.lock``.

The lock is an ``flock`` held by the driver process for the whole run (MD,
analysis, report). The operating system releases it when the process ends,
however it ends, so a lock left by a killed run never blocks the next one; the
file itself stays (removing it would race with a run that just opened it).
Executor workers write their run files under OUT without taking it: they run
for the driver that holds it. The file records the holder's pid for the message.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ionmd.caller import option
from ionmd.errors import InputError

LOCK_NAME = ".lock"


class OutInUseError(InputError):
    """Another ionmd run holds the output directory."""


@contextmanager
def lock_out_dir(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the exclusive lock of ``out`` (which must exist) while inside."""
    path = Path(out) / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise OutInUseError(
                f"{out} is in use by another ionmd run (pid {holder}); wait for it to "
                f"finish or choose another {option('--out')}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock
