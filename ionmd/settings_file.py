"""One TOML reader and one key checker for every layer's settings.

``ionmd run`` (:mod:`ionmd.campaign.config`, whose protocol part is
:mod:`ionmd.engine.md_settings`), ``ionmd vasp`` (:mod:`ionmd.vasp_bridge.config`) and
the ``[executor]`` table (:mod:`ionmd.scaleout.config`) read the same flat TOML
file through :func:`read_toml`, refuse unknown keys through :func:`check_keys`
(with the nearest valid name) and check value types against their dataclass
defaults through :func:`check_type`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ionmd.errors import InputError
from ionmd.unit_hint import unit_note

#: a TOML config larger than this is refused unread (a run config is a few kB,
#: 100,000 materials 2 MiB; Python's TOML parser takes seconds per MiB of a long
#: array of short numbers)
MAX_CONFIG_BYTES = 4 * 1024 * 1024


def read_toml(path: str | Path, *, what: str = "run config") -> dict[str, Any]:
    """The parsed TOML file, or one-line InputError (missing, too large, not TOML,
    nested too deeply)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such config file")
    if p.stat().st_size > MAX_CONFIG_BYTES:
        raise InputError(
            f"{p}: {p.stat().st_size / 2**20:.0f} MiB is not a {what} "
            f"(limit {MAX_CONFIG_BYTES // 2**20} MiB)"
        )
    text = ""
    try:
        text = p.read_text()
        _check_key_depth(text, source=p, what=what)
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{p}: {_twice(exc, text=text) or f'not valid TOML ({exc})'}"
        ) from None
    except RecursionError:  # tomllib recurses once per level of [[[...]]] / {a = {...}}
        raise InputError(
            f"{p}: not a {what} (arrays or tables nested too deeply)"
        ) from None


def _twice(exc: Exception, *, text: str) -> str | None:
    """The line and key for tomllib's "Cannot overwrite a value (at line 16,
    ...)", which does not say that a key was set twice (the common slip of
    adding a key at the end of a file that sets it above)."""
    m = re.match(r"Cannot overwrite a value \(at line (\d+)", str(exc))
    if m is None:
        return None
    line = int(m.group(1))
    lines = text.splitlines()
    key = lines[line - 1].split("=")[0].strip() if 0 < line <= len(lines) else ""
    return f"line {line}: {key!r} sets a key that is already set above (one value per key)"


#: dotted keys and table headers deeper than this are refused unparsed: Python's
#: TOML parser takes time quadratic in the depth (minutes for 200,000 levels)
MAX_KEY_DEPTH = 64
_PART = r"""(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')"""
#: a run of dotted key parts (``a.b."c".d``), found in one linear pass
_DOTTED = re.compile(rf"{_PART}(?:[ \t]*\.[ \t]*{_PART})*")
#: a quoted part (skipped) or a separating dot (counted)
_SEPARATOR = re.compile(r"""("[^"\n]*"|'[^'\n]*')|\.""")


def _check_key_depth(text: str, *, source: Path, what: str) -> None:
    """InputError when a dotted key or table header has more than
    :data:`MAX_KEY_DEPTH` parts (measured on the text, before parsing)."""
    for m in _DOTTED.finditer(text):
        if m.group().count(".") < MAX_KEY_DEPTH:
            continue  # cheap bound first: dots inside quotes count here
        dots = sum(s.group(1) is None for s in _SEPARATOR.finditer(m.group()))
        if dots >= MAX_KEY_DEPTH:
            line = text.count("\n", 0, m.start()) + 1
            raise InputError(
                f"{source}:{line}: a key or table header more than {MAX_KEY_DEPTH} "
                f"levels deep is not a {what}"
            )


def nearest(key: str, valid: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The valid name closest to ``key`` (a typo's likely meaning), if any. A
    valid name that ``key`` extends (``cell_mode``, ``out_dir``: ``cell``,
    ``out``) comes first: the closest spelling of ``cell_mode`` is
    ``compile_mode``, which is not what was meant; the longest such name wins."""
    names = list(valid)
    extended = [n for n in names if len(n) >= 3 and key.lower().startswith(n.lower() + "_")]
    if extended:
        return max(extended, key=len)
    close = difflib.get_close_matches(key, names, n=1, cutoff=cutoff)
    return close[0] if close else None


def check_keys(
    table: Mapping[str, Any],
    valid: Iterable[str],
    *,
    message: str = "{where}: unknown key {key!r}{hint}",
    where: str = "config",
    hint: str = "; did you mean {match!r}?",
    no_match: str = "",
    cutoff: float = 0.6,
) -> None:
    """InputError for the first key of ``table`` not in ``valid``, naming the
    nearest valid key (``hint``) or, without one, ``no_match`` (``{valid}``: the
    valid keys). The templates keep each table's established wording."""
    names = list(valid)
    for key in table:
        if key in names:
            continue
        match = nearest(key, names, cutoff=cutoff)
        tail = (
            hint.format(match=match) + unit_note(key, match)
            if match
            else no_match.format(valid=", ".join(names))
        )
        raise InputError(message.format(where=where, key=key, hint=tail))


def check_type(key: str, value: Any, *, default: Any, source: str) -> None:
    """InputError unless ``value`` has the type of ``default`` (ints pass as
    floats; bools never pass as numbers); other defaults are not checked."""
    if isinstance(default, bool):
        ok, want = isinstance(value, bool), "true or false"
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        want = "a number"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = "an integer"
    elif isinstance(default, str):
        ok, want = isinstance(value, str), "a string"
    else:
        return
    if not ok:
        raise InputError(f"{source}: {key} must be {want}, got {value!r}")
