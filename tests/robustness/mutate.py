"""Hypothesis strategies that break a valid file, and the check every reader must pass.

A reader given a broken file may return a result (the fault was harmless or
tolerated, e.g. a truncated last frame) or raise a *user-facing* error
(:class:`ionmd.errors.IonmdError`, :class:`ionmd.fileformat.RunFileError`) whose
message is one non-empty line. Anything else (IndexError, a numpy error, a
pymatgen or h5py exception escaping) is a bug: the CLI would print a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from ionmd.errors import IonmdError
from ionmd.fileformat import RunFileError

USER_ERRORS = (IonmdError, RunFileError)

#: what a number in a file may be replaced by
GARBAGE_NUMBERS = [
    b"nan",
    b"NaN",
    b"inf",
    b"-inf",
    b"1e308",
    b"-1e308",
    b"1e999",
    b"0",
    b"-0.0",
    b"-1",
    b"abc",
    b"",
    b"1.2.3",
    b"***",
    b"99999999999999999999",
]

_NUMBER = re.compile(rb"-?\d+\.?\d*(?:[eE][-+]?\d+)?")


def _truncate(data: bytes, draw: Any) -> tuple[bytes, str]:
    cut = draw(st.integers(0, max(len(data) - 1, 0)))
    return data[:cut], f"truncate at byte {cut}/{len(data)}"


def _flip(data: bytes, draw: Any) -> tuple[bytes, str]:
    if not data:
        return data, "flip (empty)"
    n = draw(st.integers(1, 8))
    out = bytearray(data)
    where = []
    for _ in range(n):
        i = draw(st.integers(0, len(out) - 1))
        out[i] ^= 1 << draw(st.integers(0, 7))
        where.append(i)
    return bytes(out), f"flip bits at {where}"


def _insert(data: bytes, draw: Any) -> tuple[bytes, str]:
    i = draw(st.integers(0, len(data)))
    junk = draw(st.binary(min_size=1, max_size=16))
    return data[:i] + junk + data[i:], f"insert {junk!r} at {i}"


def _delete(data: bytes, draw: Any) -> tuple[bytes, str]:
    if not data:
        return data, "delete (empty)"
    i = draw(st.integers(0, len(data) - 1))
    n = draw(st.integers(1, 32))
    return data[:i] + data[i + n :], f"delete {n} bytes at {i}"


def _lines(data: bytes, draw: Any) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data, "line op (one line)"
    i = draw(st.integers(0, len(lines) - 1))
    op = draw(st.sampled_from(["drop", "dup", "swap", "blank"]))
    if op == "drop":
        del lines[i]
    elif op == "dup":
        lines.insert(i, lines[i])
    elif op == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        lines[i] = b""
    return b"\n".join(lines), f"{op} line {i}"


def _numbers(data: bytes, draw: Any) -> tuple[bytes, str]:
    spans = [m.span() for m in _NUMBER.finditer(data)]
    if not spans:
        return data, "numbers (none)"
    n = draw(st.integers(1, 4))
    picks = sorted({draw(st.integers(0, len(spans) - 1)) for _ in range(n)}, reverse=True)
    out = data
    what = []
    for k in picks:
        a, b = spans[k]
        new = draw(st.sampled_from(GARBAGE_NUMBERS))
        out = out[:a] + new + out[b:]
        what.append(f"{data[a:b]!r}->{new!r}")
    return out, "replace numbers " + ", ".join(what)


MUTATIONS: dict[str, Callable[[bytes, Any], tuple[bytes, str]]] = {
    "truncate": _truncate,
    "flip": _flip,
    "insert": _insert,
    "delete": _delete,
    "lines": _lines,
    "numbers": _numbers,
}


@st.composite
def broken(draw: Any, data: bytes, *, max_ops: int = 3) -> tuple[bytes, str]:
    """``(mutated bytes, description)``: 1..max_ops random mutations of ``data``."""
    out = data
    notes = []
    for _ in range(draw(st.integers(1, max_ops))):
        name = draw(st.sampled_from(sorted(MUTATIONS)))
        out, note = MUTATIONS[name](out, draw)
        notes.append(note)
    return out, "; ".join(notes)


@st.composite
def broken_text(draw: Any, data: bytes, *, max_ops: int = 3) -> tuple[bytes, str]:
    """Like :func:`broken` without binary bit flips/inserts: text stays mostly text,
    so the mutations reach deeper than the first line."""
    out = data
    notes = []
    for _ in range(draw(st.integers(1, max_ops))):
        name = draw(st.sampled_from(["truncate", "delete", "lines", "numbers", "numbers"]))
        out, note = MUTATIONS[name](out, draw)
        notes.append(note)
    return out, "; ".join(notes)


def check_clean(fn: Callable[[], Any], *, what: str) -> tuple[str, Any]:
    """Run ``fn``; ``("ok", result)`` or ``("refused", message)``. Any exception
    other than a user-facing one, or a message that is empty or several lines,
    fails the test with ``what`` (the mutation) in the message."""
    try:
        return "ok", fn()
    except USER_ERRORS as exc:
        msg = str(exc)
        assert msg.strip(), f"empty error message after {what}"
        assert "\n" not in msg.strip(), f"multi-line message after {what}: {msg!r}"
        return "refused", msg
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__} escaped after {what}: {exc}") from exc
