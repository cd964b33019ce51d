"""Run a set of :class:`~ionmd.scaleout.task.Task` through Parsl, resumably.

``run_tasks`` skips tasks finished by an earlier run (same inputs, output still
there, no dependency re-running), submits the rest as Parsl apps wired by their
dependencies, retries failures (a lost worker, a killed job, an exception), and
keeps ``<out_dir>/scaleout/state.json`` up to date for ``ionmd status``.
"""

from __future__ import annotations

import concurrent.futures as cf
import shlex
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ionmd.errors import InputError, IonmdError
from ionmd.scaleout import markers
from ionmd.scaleout.config import ExecutorConfig
from ionmd.scaleout.graph import ordered
from ionmd.scaleout.parsl_config import EXECUTOR_LABEL, build_parsl_config
from ionmd.scaleout.task import Task, TaskResult


def _run_func(
    *, work: Any, work_kwargs: dict, key: str, out_dir: str, inputs: Any = ()
) -> Any:
    """Worker side of a python task: mark it started, then call it."""
    markers.mark_started(Path(out_dir), key)
    return work(**work_kwargs)


def _run_shell(
    *,
    command: str,
    cwd: str | None,
    key: str,
    out_dir: str,
    inputs: Any = (),
    stdout: str | None = None,
    stderr: str | None = None,
) -> str:
    """Worker side of a shell task: mark it started, return the line Parsl runs."""
    markers.mark_started(Path(out_dir), key)
    if cwd is None:
        return command
    return f"cd {shlex.quote(cwd)} && {command}"


def _reason(exc: BaseException) -> str:
    """One line saying why a task failed."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    name = type(exc).__name__
    if name == "ManagerLost":
        first = f"worker lost (its job was killed or its node died): {first}"
    elif name == "BashExitFailure":
        first = first or "command exited with an error"
    out = f"{name}: {first}" if first else name
    return out if len(out) <= 300 else out[:297] + "..."


def _absolute(task: Task, out_dir: Path) -> Task:
    output = task.output if task.output.is_absolute() else out_dir / task.output
    cwd = task.cwd
    if cwd is not None and not Path(cwd).is_absolute():
        cwd = out_dir / cwd
    return replace(task, output=output, cwd=cwd)


class _State:
    """The runner's picture of the campaign, mirrored to ``state.json``."""

    def __init__(self, out_dir: Path, tasks: list[Task]) -> None:
        self.out_dir = out_dir
        self.path = markers.state_path(out_dir)
        self.tasks = {
            t.key: {
                "state": "pending",
                "reason": None,
                "attempts": 0,
                "where": None,
                "depends_on": list(t.depends_on),
                "output": str(t.output),
                "resumed": False,
            }
            for t in tasks
        }
        self.runner = markers.here()
        self.dirty = True

    def set(self, key: str, **fields: Any) -> None:
        entry = self.tasks[key]
        for name, value in fields.items():
            if entry.get(name) != value:
                entry[name] = value
                self.dirty = True

    def flush(self, *, ended: str | None = None) -> None:
        """Write state.json if anything changed; ``ended``: ``"finished"`` or
        ``"interrupted"`` when the runner stops."""
        if not self.dirty and ended is None:
            return
        data = {
            "version": 1,
            "runner": {**self.runner, "ended": ended},
            "updated": time.time(),
            "tasks": self.tasks,
        }
        markers.write_json_atomic(self.path, data)
        self.dirty = False


def _resume(
    order: list[Task],
    *,
    out_dir: Path,
    state: _State,
    results: dict[str, TaskResult],
) -> tuple[list[Task], set[str]]:
    """Record the tasks finished by an earlier run (whose dependencies are not rerun)
    in ``results``; return the tasks to run and their keys (their markers cleared)."""
    to_run: list[Task] = []
    rerun: set[str] = set()
    for task in order:
        finished = markers.is_done(
            out_dir, task.key, digest=task.digest(), output=task.output
        ) and not any(dep in rerun for dep in task.depends_on)
        if finished:
            record = markers.read_json(markers.done_path(out_dir, task.key)) or {}
            results[task.key] = TaskResult(
                key=task.key,
                state="done",
                output=task.output,
                resumed=True,
                value=record.get("value"),
                where=record.get("where"),
            )
            state.set(
                task.key,
                state="done",
                resumed=True,
                where=record.get("where"),
                attempts=int(record.get("attempts", 0)),
            )
        else:
            rerun.add(task.key)
            to_run.append(task)
            markers.started_path(out_dir, task.key).unlink(missing_ok=True)
            markers.done_path(out_dir, task.key).unlink(missing_ok=True)
    return to_run, rerun


def _submit(
    to_run: list[Task], *, out_dir: Path, py_app: Any, sh_app: Any
) -> dict[str, Any]:
    """Submit each task (after its dependencies' futures); key -> future."""
    futures: dict[str, Any] = {}
    for task in to_run:
        deps = [futures[d] for d in task.depends_on if d in futures]
        common = {"key": task.key, "out_dir": str(out_dir), "inputs": deps}
        if task.is_shell:
            log = task.output.parent / task.key
            task.output.parent.mkdir(parents=True, exist_ok=True)
            futures[task.key] = sh_app(
                command=task.command,
                cwd=None if task.cwd is None else str(task.cwd),
                stdout=f"{log}.stdout",
                stderr=f"{log}.stderr",
                **common,
            )
        else:
            futures[task.key] = py_app(
                work=task.func, work_kwargs=dict(task.kwargs), **common
            )
    return futures


def run_tasks(
    tasks: Iterable[Task],
    *,
    executor_config: ExecutorConfig | None = None,
    out_dir: Path,
    retries: int = 2,
    timeout_s: float | None = None,
    poll_s: float = 0.5,
) -> dict[str, TaskResult]:
    """Run ``tasks`` (resuming earlier runs in ``out_dir``) and return each one's result.

    Failures do not raise: a failed task (after ``retries`` more attempts; errors
    derived from :class:`~ionmd.errors.IonmdError` are not retried) and the tasks
    that need it come back with ``state == "failed"`` and a one-line ``reason``.
    ``timeout_s``: give up on what is still unfinished after that long (its
    blocks are cancelled; the tasks are ``failed`` with reason ``timed out``).
    """
    if retries < 0:
        raise InputError(f"retries must be >= 0, got {retries}")
    config = executor_config or ExecutorConfig()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    order = [_absolute(t, out_dir) for t in ordered(tasks)]
    state = _State(out_dir, order)
    results: dict[str, TaskResult] = {}

    to_run, rerun = _resume(order, out_dir=out_dir, state=state, results=results)
    state.flush()
    if not to_run:
        state.flush(ended="finished")
        return results

    n_ready = sum(1 for t in to_run if not any(d in rerun for d in t.depends_on))

    def retry_cost(exc: BaseException, record: Any) -> float:
        # an error in the user's input fails the same way every time: no retry
        return float(retries + 1) if isinstance(exc, IonmdError) else 1.0

    parsl_config = build_parsl_config(
        config,
        run_dir=markers.scaleout_dir(out_dir) / "runinfo",
        retries=retries,
        retry_handler=retry_cost,
        n_ready=n_ready,
    )
    from parsl.app.app import bash_app, python_app
    from parsl.dataflow.dflow import DataFlowKernel

    dfk = DataFlowKernel(parsl_config)
    ended = "interrupted"
    try:
        py_app = python_app(_run_func, data_flow_kernel=dfk, executors=[EXECUTOR_LABEL])
        sh_app = bash_app(_run_shell, data_flow_kernel=dfk, executors=[EXECUTOR_LABEL])
        futures = _submit(to_run, out_dir=out_dir, py_app=py_app, sh_app=sh_app)
        _wait(
            to_run,
            futures,
            state=state,
            results=results,
            timeout_s=timeout_s,
            poll_s=poll_s,
        )
        ended = "finished"
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM: ionmd.interrupts.Interrupted
        _forget_dead_interchanges(dfk)
        raise
    finally:
        dfk.cleanup()
        state.flush(ended=ended)
    return results


def _forget_dead_interchanges(dfk: Any, *, wait_s: float = 5.0) -> None:
    """A terminal's Ctrl-C reaches the whole process group, parsl's interchange
    too, which exits; ``dfk.cleanup()`` then asks it to scale in and waits for
    its reply forever (parsl's command client has no timeout there). Found by a
    hostile test: Ctrl-C of ``ionmd run --executor local`` hung until a second
    signal. An executor whose interchange has exited (given ``wait_s`` to do so)
    is marked bad, which makes cleanup skip the scale-in, and its blocks (the
    worker pools, in sessions of their own) are cancelled through its provider
    (else they linger until their heartbeat times out, ~2 min)."""
    for ex in dfk.executors.values():
        proc = getattr(ex, "interchange_proc", None)
        if proc is None or getattr(ex, "bad_state_is_set", True):
            continue
        try:
            proc.wait(timeout=wait_s)
        except Exception:  # still running: it can answer
            continue
        ex.set_bad_state_and_fail_all(RuntimeError("parsl's interchange stopped"))
        try:
            ex.provider.cancel(list(ex.blocks_to_job_id.values()))
        except Exception:  # best effort: the pools also stop on their own
            pass


def _wait(
    to_run: list[Task],
    futures: dict[str, Any],
    *,
    state: _State,
    results: dict[str, TaskResult],
    timeout_s: float | None,
    poll_s: float,
) -> None:
    out_dir = state.out_dir
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    open_keys = [t.key for t in to_run]  # in dependency order
    by_key = {t.key: t for t in to_run}
    while open_keys:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            for key in open_keys:
                reason = f"timed out after {timeout_s:g} s"
                state.set(key, state="failed", reason=reason)
                results[key] = TaskResult(
                    key=key, state="failed", output=by_key[key].output, reason=reason
                )
            state.flush()
            return
        wait_s = poll_s if remaining is None else min(poll_s, remaining)
        cf.wait(
            [futures[k] for k in open_keys], timeout=wait_s, return_when="FIRST_COMPLETED"
        )
        still_open = []
        for key in open_keys:
            future = futures[key]
            started = markers.read_json(markers.started_path(out_dir, key))
            where = markers.describe_where(started)
            if not future.done():
                if started is not None:
                    state.set(key, state="running", where=where)
                still_open.append(key)
                continue
            results[key] = _finish(by_key[key], future, state=state, where=where)
        open_keys = still_open
        state.flush()


def _finish(task: Task, future: Any, *, state: _State, where: str | None) -> TaskResult:
    record = getattr(future, "task_record", None) or {}
    fail_count = int(record.get("fail_count", 0))
    exc = future.exception()
    if exc is None:
        value = future.result()
        if task.is_shell or not _json_able(value):
            value = None
        attempts = fail_count + 1
        if not task.output.exists():
            reason = f"finished but its output {task.output} does not exist"
            return _ended(
                task,
                state=state,
                outcome="failed",
                reason=reason,
                attempts=attempts,
                where=where,
            )
        markers.write_json_atomic(
            markers.done_path(state.out_dir, task.key),
            {
                "key": task.key,
                "digest": task.digest(),
                "value": value,
                "where": where,
                "attempts": attempts,
                "time": time.time(),
            },
        )
        return _ended(
            task, state=state, outcome="done", value=value, attempts=attempts, where=where
        )
    failed_deps = [
        d for d in task.depends_on if state.tasks.get(d, {}).get("state") == "failed"
    ]
    if failed_deps:
        noun = "dependency" if len(failed_deps) == 1 else "dependencies"
        reason = f"not run: {noun} {', '.join(failed_deps)} failed"
        attempts = 0
    else:
        reason = _reason(exc)
        attempts = max(fail_count, 1)
    return _ended(
        task, state=state, outcome="failed", reason=reason, attempts=attempts, where=where
    )


def _ended(
    task: Task,
    *,
    state: _State,
    outcome: str,
    attempts: int,
    where: str | None,
    reason: str | None = None,
    value: Any = None,
) -> TaskResult:
    """Record how ``task`` ended (``done``, or ``failed`` with a one-line ``reason``)."""
    state.set(task.key, state=outcome, reason=reason, attempts=attempts, where=where)
    return TaskResult(
        key=task.key,
        state=outcome,
        output=task.output,
        value=value,
        reason=reason,
        attempts=attempts,
        where=where,
    )


def _json_able(value: Any) -> bool:
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
