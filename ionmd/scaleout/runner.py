"""The old path of :mod:`ionmd.scaleout.parsl_run`, kept for what was queued
before the rename: Parsl pickles a task's worker-side callable by its module path
(``ionmd.scaleout.runner._run_func`` / ``_run_shell``), so a task submitted by an
earlier ionmd and run by a worker on this one still finds it here."""

from ionmd.scaleout.parsl_run import _run_func, _run_shell, run_tasks

__all__ = ["_run_func", "_run_shell", "run_tasks"]
