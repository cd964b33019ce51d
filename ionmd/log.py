"""One logger tree for ionmd: modules log through ``get_logger(__name__)``; only
the command line (and :func:`configure` for a notebook) installs a handler.

A library user who installs nothing sees warnings only (Python's last-resort
handler); ``ionmd ...`` on the command line prints INFO and above as
``ionmd: message`` on stderr, as the print-based messages did.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = "ionmd"
_HANDLER_NAME = "ionmd-cli"


def get_logger(name: str) -> logging.Logger:
    """The logger of module ``name`` (under the ``ionmd`` tree)."""
    if name != ROOT and not name.startswith(ROOT + "."):
        name = f"{ROOT}.{name}"
    return logging.getLogger(name)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (pytest's capture, a
    redirected stream), not to the stream that was current at set-up."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        # not setStream(): it flushes the previous stream, which may be closed by
        # now (pytest's capture of an earlier test, a notebook's replaced stderr)
        self.stream = sys.stderr
        bars = sys.modules.get("tqdm.std")  # imported only by a progress bar
        if bars is not None and bars.tqdm._instances:
            # a bar is drawn: clear it, write the line, draw it again below, or
            # the line runs on after the bar's "…, 14.6 ns/day]"
            try:
                bars.tqdm.write(self.format(record), file=self.stream)
            except Exception:  # as logging.StreamHandler.emit does
                self.handleError(record)
            return
        super().emit(record)


def configure(*, level: int = logging.INFO) -> None:
    """Print ionmd's messages (``level`` and above) on stderr as ``ionmd: ...``.

    Idempotent: the CLI calls it once per command; a notebook may call it too.
    """
    root = logging.getLogger(ROOT)
    root.setLevel(level)
    for h in root.handlers:
        if h.get_name() == _HANDLER_NAME:
            h.setLevel(level)
            return
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("ionmd: %(message)s"))
    handler.setLevel(level)
    root.addHandler(handler)
    root.propagate = False


_PACKAGE = str(Path(__file__).resolve().parent)


@contextlib.contextmanager
def _native_stderr(captured: list[str]) -> Iterator[None]:
    """Inside, what native code writes on file descriptor 2 (Warp's "CUDA
    warning" from C++) is appended to ``captured`` instead of reaching the
    terminal; Python's ``sys.stderr`` (ionmd's log lines, progress bars) still
    writes where it did."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no fd 2 (some embedded interpreters)
        yield
        return
    stream = sys.stderr
    try:
        python_on_fd2 = stream.fileno() == 2
    except (OSError, ValueError, AttributeError):  # a notebook's or pytest's stream
        python_on_fd2 = False
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        if python_on_fd2:  # keep Python's writes on the terminal
            sys.stderr = open(os.dup(saved), "w", buffering=1, closefd=True)
        try:
            yield
        finally:
            if python_on_fd2:
                sys.stderr.close()
                sys.stderr = stream
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured += tmp.read().decode(errors="replace").splitlines()


@contextlib.contextmanager
def library_chatter_to_debug(logger: logging.Logger) -> Iterator[None]:
    """Inside, the warnings and the output of third-party libraries (torch.jit's
    deprecation, e3nn's TorchScript notes, Warp's start-up lines, mace's
    "cuequivariance ... not available" on stdout) become DEBUG lines of
    ``logger`` instead of the user's terminal; ionmd's own warnings are
    re-issued as they were."""
    out = io.StringIO()
    native: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with contextlib.redirect_stdout(out), _native_stderr(native):
                yield
        finally:
            mine = [w for w in caught if str(w.filename).startswith(_PACKAGE)]
            lines = [
                f"{w.category.__name__}: {str(w.message).strip()} ({w.filename})"
                for w in caught
                if w not in mine
            ]
            lines += [f"stdout: {s.strip()}" for s in out.getvalue().splitlines()]
            lines += [f"stderr: {s.strip()}" for s in native]
            for line in dict.fromkeys(lines):  # each once, in order
                if not line.endswith(": "):
                    logger.debug(line)
    for w in mine:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def quiet_libraries[F: Callable[..., Any]](func: F) -> F:
    """Run ``func`` inside :func:`library_chatter_to_debug` (its module's logger)."""
    logger = get_logger(func.__module__)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with library_chatter_to_debug(logger):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


__all__ = ["configure", "get_logger", "library_chatter_to_debug", "quiet_libraries"]
