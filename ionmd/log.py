"""One logger tree for ionmd: modules log through ``get_logger(__name__)``; only
the command line (and :func:`configure` for a notebook) installs a handler.

A library user who installs nothing sees warnings only (Python's last-resort
handler); ``ionmd ...`` on the command line prints INFO and above as
``ionmd: message`` on stderr, as the print-based messages did.
"""

from __future__ import annotations

import logging
import sys

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


__all__ = ["configure", "get_logger"]
