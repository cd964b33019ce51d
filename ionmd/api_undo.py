"""What ``ionmd.run`` wrote before its campaign started, undone when the call is
refused.

The Python API writes in-memory structures into ``OUT/inputs/`` before the
campaign reads and checks them, and the campaign takes ``OUT/.lock`` as soon as
OUT exists. A call refused before the campaign starts (no Li, an unknown
element, other inputs than OUT's data were made from, ...) must leave OUT as it
was: no new ``OUT/``, ``OUT/inputs/`` or ``.lock``, and an input file it
overwrote restored (the data in OUT were made from the old one). The campaign
has started once its ``campaign.json`` was (re)written; from then on what was
written stays, so that the next call resumes.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["WrittenInputs"]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class WrittenInputs:
    """The state of ``out`` before a call, and the files the call wrote."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._existed = {p: p.exists() for p in (out, out / "inputs", out / ".lock")}
        self._record = _stamp(out / "campaign.json")
        #: file written -> its bytes before (None: it is new)
        self._before: dict[Path, bytes | None] = {}

    def remember(self, path: Path) -> None:
        """Call before writing ``path``."""
        if path not in self._before:
            self._before[path] = path.read_bytes() if path.is_file() else None

    def revert_if_not_started(self) -> None:
        """Undo this call's writes unless its campaign has started."""
        if _stamp(self.out / "campaign.json") != self._record:
            return
        for path, old in self._before.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(old)
        lock, inputs = self.out / ".lock", self.out / "inputs"
        if not self._existed[lock]:
            lock.unlink(missing_ok=True)
        for folder in (inputs, self.out):
            if not self._existed[folder] and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
