"""One check for every directory ionmd writes into (``ionmd run``'s ``out``,
``ionmd analyze --out``, ``ionmd vasp prepare --out``, ``ionmd demo --out``,
``ionmd bench --out``), run before anything is loaded or written, and one for
every file a command is told to write (``ionmd export --out``, ``ionmd plan
--json``, ``ionmd vasp collect --out``: :func:`output_file`, which creates the
missing parent folders).

Refused, each with one :class:`ionmd.errors.InputError` line naming the path:
an empty name; a path component longer than the file system's ``NAME_MAX``
(255 bytes) or a whole path longer than ``PATH_MAX``; a symlink loop; an existing
file (or a path under a file); ``/``, a system directory (``/etc``, ``/usr``, …),
the home directory itself or a path inside the installed ionmd package; a
directory (or nearest existing parent) that is not writable. Nothing is created
here: callers create the directory only once the rest of their input has been
validated.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path

from ionmd.errors import InputError

__all__ = ["SYSTEM_DIRS", "check_output_dir", "output_file"]

#: directories that are never an output directory themselves
SYSTEM_DIRS = frozenset(
    {
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib32",
        "/lib64",
        "/media",
        "/mnt",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/local",
        "/var",
        "/var/tmp",
    }
)
#: nothing is ever written below these
_VIRTUAL_ROOTS = ("/proc", "/sys", "/dev")
_NAME_MAX = 255
_PATH_MAX = 4096


def _short(path: object) -> str:
    text = str(path)
    return text if len(text) <= 100 else f"{text[:50]}…({len(text)} characters)"


def _limit(name: str, default: int) -> int:
    try:
        return int(os.pathconf("/", name))
    except (OSError, ValueError):
        return default


def check_output_dir(
    path: str | os.PathLike[str], *, what: str = "output directory"
) -> Path:
    """Return ``path`` as a ``Path`` if ionmd may create or fill it, else InputError."""
    text = _check_text(path, what=what)
    p = Path(text)
    try:
        resolved = p.resolve(strict=False)
        if os.path.lexists(p):
            os.stat(p)
    except RuntimeError:  # Python < 3.13: "Symlink loop from ..."
        raise InputError(f"the {what} {_short(p)} is a symlink loop") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"the {what} {_short(p)} is a symlink loop") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise InputError(f"the {what} {_short(p)} is too long a path") from None
        if exc.errno != errno.ENOENT:
            raise InputError(f"the {what} {_short(p)}: {exc.strerror or exc}") from None
        resolved = Path(os.path.abspath(text))
    _refuse_system(resolved, shown=p, what=what)
    if resolved.exists() and not resolved.is_dir():
        raise InputError(f"the {what} {_short(p)} is an existing file, not a directory")
    _check_parents(resolved, shown=p, what=what)
    return p


def output_file(
    path: str | os.PathLike[str],
    *,
    what: str,
    create: bool = True,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Return ``path`` as a ``Path`` if ionmd may write the file there, else one
    InputError line naming it (what :func:`check_output_dir` refuses that applies
    to a file, and an existing directory). ``create``: also make its missing
    parent folders, as ``mkdir -p`` would (what a user who names
    ``--out results/run1/x.xyz`` expects); False: check only, so that a command
    can refuse a bad path before minutes of work and create it when it writes.
    ``inputs``: files the command reads, refused as the target (``ionmd export
    OUT/md.h5 --out OUT/md.h5`` wrote its extxyz over the run file)."""
    text = _check_text(path, what=what)
    p = Path(text)
    resolved = Path(os.path.abspath(text))
    if any(str(resolved) == r or str(resolved).startswith(r + "/") for r in _VIRTUAL_ROOTS):
        raise InputError(
            f"the {what} {_short(p)} is inside {text.split('/')[1]!r}, not a disk"
        )
    if os.path.isdir(p):
        raise InputError(f"the {what} {_short(p)} is a directory; give a file name")
    _check_parents(resolved, shown=p, what=what)
    same = next((i for i in inputs if _same_file(resolved, i)), None)
    if same is not None:
        raise InputError(
            f"the {what} {_short(p)} is the input {_short(same)} itself: give another name"
        )
    if resolved.exists() and not os.access(resolved, os.W_OK):
        raise InputError(f"the {what} {_short(p)} exists and is read-only")
    if create and not resolved.parent.is_dir():
        try:
            resolved.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"the {what} {_short(p)}: cannot create its folder ({exc.strerror or exc})"
            ) from None
    return p


def _same_file(a: Path, b: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either missing: not the same file
        return False


def _check_text(path: str | os.PathLike[str], *, what: str) -> str:
    """The path's text, refusing an empty one, a NUL byte and names or paths
    longer than the file system allows."""
    text = os.fspath(path)
    if not str(text).strip():
        raise InputError(f"the {what} is empty")
    if "\0" in str(text):
        raise InputError(f"the {what} {_short(repr(text))} contains a NUL byte")
    raw = os.fsencode(text)
    name_max = _limit("PC_NAME_MAX", _NAME_MAX)
    path_max = _limit("PC_PATH_MAX", _PATH_MAX)
    long_part = next((c for c in raw.split(b"/") if len(c) > name_max), None)
    if long_part is not None:
        raise InputError(
            f"the {what} has a name of {len(long_part)} bytes "
            f"(the file system allows {name_max}): {os.fsdecode(long_part[:40])}…"
        )
    absolute = os.fsencode(os.path.abspath(text))
    if len(absolute) >= path_max:
        raise InputError(
            f"the {what} path is {len(absolute)} bytes long "
            f"(the file system allows {path_max - 1})"
        )
    return os.fsdecode(text) if isinstance(text, bytes) else text


def _check_parents(resolved: Path, *, shown: Path, what: str) -> None:
    """InputError when the nearest existing folder above ``resolved`` is a file
    or not writable."""
    existing = resolved
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing != resolved and not existing.is_dir():
        raise InputError(
            f"the {what} {_short(shown)} lies under {_short(existing)}, which is a file"
        )
    if existing.is_dir() and not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(
            f"the {what} {_short(shown)} cannot be written "
            f"({_short(existing)} is not writable)"
        )


def _refuse_system(resolved: Path, *, shown: Path, what: str) -> None:
    text = str(resolved)
    home = os.path.realpath(os.path.expanduser("~"))
    if text in SYSTEM_DIRS or text == home:
        kind = "the home directory" if text == home else "a system directory"
        raise InputError(
            f"the {what} {_short(shown)} is {kind} ({_short(text)}); "
            "give a directory of its own, e.g. ./ionmd-out"
        )
    package = str(Path(__file__).resolve().parent)
    if text == package or text.startswith(package + "/"):
        raise InputError(
            f"the {what} {_short(shown)} is inside the installed ionmd package "
            f"({_short(package)}); give a directory of its own, e.g. ./ionmd-out"
        )
    if any(text == r or text.startswith(r + "/") for r in _VIRTUAL_ROOTS):
        raise InputError(
            f"the {what} {_short(shown)} is inside {text.split('/')[1]!r}, not a disk"
        )
