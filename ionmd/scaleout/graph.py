"""Task dependencies: check them and order the tasks so each comes after its needs."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ionmd.errors import InputError
from ionmd.scaleout.task import Task


def ordered(tasks: Iterable[Task]) -> list[Task]:
    """The tasks in an order where every dependency comes first (stable: ties keep
    the given order). Raises :class:`InputError` for duplicate keys, unknown
    dependencies (with the nearest key) and cycles."""
    tasks = list(tasks)
    by_key: dict[str, Task] = {}
    for task in tasks:
        if task.key in by_key:
            raise InputError(f"two tasks have the key '{task.key}'")
        by_key[task.key] = task
    for task in tasks:
        for dep in task.depends_on:
            if dep not in by_key:
                near = difflib.get_close_matches(dep, list(by_key), n=1, cutoff=0.6)
                hint = f"; did you mean '{near[0]}'?" if near else ""
                raise InputError(f"task '{task.key}' depends on unknown task '{dep}'{hint}")
    done: list[Task] = []
    placed: set[str] = set()
    visiting: list[str] = []

    def visit(task: Task) -> None:
        if task.key in placed:
            return
        if task.key in visiting:
            cycle = visiting[visiting.index(task.key) :] + [task.key]
            raise InputError(f"tasks depend on each other in a cycle: {' -> '.join(cycle)}")
        visiting.append(task.key)
        for dep in task.depends_on:
            visit(by_key[dep])
        visiting.pop()
        placed.add(task.key)
        done.append(task)

    for task in tasks:
        visit(task)
    return done


def downstream(tasks: Iterable[Task], keys: Iterable[str]) -> set[str]:
    """``keys`` and every task that depends on them, directly or not."""
    children: dict[str, list[str]] = {}
    for task in tasks:
        for dep in task.depends_on:
            children.setdefault(dep, []).append(task.key)
    out: set[str] = set()
    stack = list(keys)
    while stack:
        key = stack.pop()
        if key in out:
            continue
        out.add(key)
        stack.extend(children.get(key, ()))
    return out
