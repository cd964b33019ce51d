"""The toy campaign computed serially in this process, without the scale-out layer:
what every executor must reproduce exactly."""

from __future__ import annotations

import json
from pathlib import Path

from ionmd.scaleout.smoke import toy_analysis, toy_md_batch
from ionmd.scaleout.task import Task


def serial_reference(tasks: list[Task], out_dir: Path) -> dict[str, dict]:
    """Each task's output JSON, computed by calling the toy functions one by one
    with outputs redirected under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    moved: dict[str, str] = {}
    results = {}
    for task in tasks:  # smoke_campaign lists dependencies first
        target = out_dir / task.output.name
        moved[str(task.output)] = str(target)
        kwargs = dict(task.kwargs)
        kwargs["output"] = str(target)
        if task.func is toy_md_batch:
            toy_md_batch(**{**kwargs, "sleep_s": 0.0})
        elif task.func is toy_analysis:
            kwargs["batches"] = [moved[b] for b in kwargs["batches"]]
            toy_analysis(**kwargs)
        else:
            raise AssertionError(f"unexpected task {task.key}")
        results[task.key] = json.loads(target.read_text())
    return results


def outputs(tasks: list[Task]) -> dict[str, dict]:
    """Each task's output JSON as a run left it."""
    return {t.key: json.loads(Path(t.output).read_text()) for t in tasks}
