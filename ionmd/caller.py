"""Who is asking: the command line or the Python API, so that a message names
the option the user can actually give (``--force`` on the command line,
``force=True`` in Python).

The caller is a context variable set once at the entry point
(:func:`ionmd.cli.main` for every command, :func:`ionmd.run` and
:func:`ionmd.analyze` for Python); the outermost entry wins, so the command line
calling the API still says ``--force``. Messages are built with
:func:`option` where they are raised; nothing rewrites them afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["called_from", "caller", "entry_point", "option"]

F = TypeVar("F", bound=Callable[..., Any])

_CALLER: ContextVar[str | None] = ContextVar("ionmd_caller", default=None)

#: command-line option -> how the Python API spells it
_API_SPELLING = {
    "--force": "force=True",
    "--out": "out",
    "--model": "model",
    "--no-analysis": "analyze=False",
    "--obelix-data": "obelix_data",
}


@contextmanager
def called_from(name: str) -> Iterator[None]:
    """Inside, messages are worded for ``name`` ("cli" or "api"), unless an outer
    entry point already said who is asking."""
    if name not in ("cli", "api"):
        raise ValueError(f"caller must be 'cli' or 'api', not {name!r}")
    if _CALLER.get() is not None:
        yield
        return
    token = _CALLER.set(name)
    try:
        yield
    finally:
        _CALLER.reset(token)


def caller() -> str:
    """ "api" inside :func:`ionmd.run`/:func:`ionmd.analyze` called from Python,
    else "cli" (the command line, and code that calls the layers directly)."""
    return _CALLER.get() or "cli"


def option(cli_flag: str) -> str:
    """``cli_flag`` (e.g. ``"--force"``) as the caller gives it."""
    if cli_flag not in _API_SPELLING:
        raise KeyError(f"no API spelling for {cli_flag!r}")
    return _API_SPELLING[cli_flag] if caller() == "api" else cli_flag


def entry_point(name: str) -> Callable[[F], F]:
    """Decorate a function that callers enter by: runs it inside
    :func:`called_from` ``(name)``."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with called_from(name):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
