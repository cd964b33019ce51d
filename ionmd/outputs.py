"""Writing output files: whole or not at all, and one line when the disk says no.

Every file ionmd writes (campaign.json, results.json, reports, figures,
checkpoints) goes through :func:`atomic_output`: it is written to a temporary
file next to the target and renamed over it only once complete, and the
temporary file is removed on any failure (a full disk, a signal). The run file
(HDF5, appended in place) goes through :func:`writing`. Both turn an
``OSError`` into :class:`OutputError`, whose message names the file and says
what to do, so the CLI prints one line instead of a traceback.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ionmd.errors import IonmdError

#: errno values that mean "the disk (or quota) is full"
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class OutputError(IonmdError, OSError):
    """A file could not be written (disk full, read-only, permissions)."""


def is_no_space(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk is full (also as HDF5 reports it)."""
    if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
        return True
    text = str(exc)
    return "No space left on device" in text or "errno = 28" in text


def output_error(path: str | os.PathLike[str], exc: BaseException) -> OutputError:
    """The one-line error for a failed write of ``path``."""
    if is_no_space(exc):
        return OutputError(
            f"cannot write {path}: no space left on device; nothing half-written was "
            "kept: free some space and re-run the same command to resume"
        )
    reason = getattr(exc, "strerror", None) or str(exc).strip().splitlines()[0]
    return OutputError(f"cannot write {path}: {reason}")


#: free space kept in hand before an in-place (HDF5) write: HDF5 cannot undo a
#: write that fails half-way, and allocates whole chunks (up to 1 MiB each)
RESERVE_BYTES = 1 << 20


def free_bytes(path: str | os.PathLike[str]) -> int | None:
    """Free bytes for an unprivileged writer on the file system of ``path``."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        st = os.statvfs(p)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def ensure_free_space(path: str | os.PathLike[str], *, need_bytes: int) -> None:
    """Refuse (OutputError, before anything is written) when fewer than
    ``need_bytes`` + :data:`RESERVE_BYTES` are free for ``path``."""
    free = free_bytes(path)
    if free is not None and free < need_bytes + RESERVE_BYTES:
        raise output_error(path, OSError(errno.ENOSPC, "No space left on device"))


def disk_nearly_full(path: str | os.PathLike[str]) -> bool:
    """Whether the disk of ``path`` has less than :data:`RESERVE_BYTES` free (a
    failed write there is taken for a full disk, whatever the library said)."""
    free = free_bytes(path)
    return free is not None and free < RESERVE_BYTES


@contextmanager
def collect_unraisable() -> Iterator[list[Any]]:
    """Collect the exceptions Python would print as "Exception ignored in ..."
    (h5py prints dozens when HDF5 objects are freed after a failed write) instead
    of printing them; the caller decides. Main use: :func:`writing` callers."""
    caught: list[Any] = []
    previous, previous_except = sys.unraisablehook, sys.excepthook

    def excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        # Cython prints a destructor's error in full through sys.excepthook
        caught.append(SimpleNamespace(exc_value=value))

    sys.unraisablehook, sys.excepthook = caught.append, excepthook
    try:
        yield caught
    finally:
        sys.unraisablehook, sys.excepthook = previous, previous_except


@contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Map an ``OSError`` raised while writing ``path`` in place to OutputError."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise output_error(path, exc) from None


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path``.

    On any exception (or signal) the temporary file is removed and ``path`` is
    left as it was; an ``OSError`` becomes :class:`OutputError`.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        yield tmp
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OutputError):
            raise
        if isinstance(exc, OSError):
            raise output_error(target, exc) from None
        if isinstance(exc, Exception) and (is_no_space(exc) or disk_nearly_full(target)):
            # torch.save says "file write failed" in a RuntimeError
            raise output_error(target, OSError(errno.ENOSPC, "disk full")) from None
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all."""
    with atomic_output(path) as tmp:
        tmp.write_text(text)
