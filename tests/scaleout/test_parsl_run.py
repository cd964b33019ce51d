"""run_tasks on this machine: results, dependencies, failures, resume."""

from __future__ import annotations

import json
import os
import threading
import time

import numpy as np
import pytest

from ionmd.errors import InputError
from ionmd.scaleout import markers
from ionmd.scaleout.config import executor_config_from_table
from ionmd.scaleout.parsl_run import run_tasks
from ionmd.scaleout.smoke import smoke_campaign, toy_fail, toy_md_batch
from ionmd.scaleout.task import Task
from ionmd.scaleout.task_status import campaign_status

from .reference import outputs, serial_reference

THREADS = executor_config_from_table({"kind": "threads", "max_workers": 2})
#: a 3D walk of unit-variance steps has MSD = 3 t, so D = 1/2; 128 walkers x 200
#: steps estimate it to a few per cent (standard error of the fitted slope)
D_WALK = 0.5
D_RTOL = 0.25


def _started_mtimes(out_dir, tasks):
    paths = [markers.started_path(out_dir, t.key) for t in tasks]
    return {p.name: p.stat().st_mtime_ns for p in paths if p.exists()}


def test_threads_campaign_matches_serial_and_physics(tmp_path):
    tasks = smoke_campaign(tmp_path / "run", sleep_s=0.2)
    results = run_tasks(tasks, executor_config=THREADS, out_dir=tmp_path / "run")
    assert {k: r.state for k, r in results.items()} == {t.key: "done" for t in tasks}
    assert not any(r.resumed for r in results.values())
    assert outputs(tasks) == serial_reference(tasks, tmp_path / "serial")
    for key in ("analysis-0", "analysis-1", "analysis-2"):
        assert results[key].value == pytest.approx(D_WALK, rel=D_RTOL)
    # analysis ran after both of its MD batches had finished
    for j in range(3):
        a_start = markers.read_json(markers.started_path(tmp_path / "run", f"analysis-{j}"))
        for i in (2 * j, 2 * j + 1):
            batch = tasks[i].output.stat().st_mtime
            assert a_start["time"] >= batch - 1e-3


def test_local_pool_two_workers_same_results(tmp_path):
    """The default executor: a Parsl pool of 2 worker processes on this machine."""
    tasks = smoke_campaign(tmp_path / "run", sleep_s=1.0)
    config = executor_config_from_table({"max_workers": 2, "heartbeat_period_s": 5})
    assert config.kind == "local"
    results = run_tasks(
        tasks, executor_config=config, out_dir=tmp_path / "run", timeout_s=150
    )
    assert all(r.state == "done" for r in results.values()), {
        k: r.reason for k, r in results.items()
    }
    assert outputs(tasks) == serial_reference(tasks, tmp_path / "serial")
    pids = {
        markers.read_json(markers.started_path(tmp_path / "run", t.key))["pid"]
        for t in tasks
    }
    assert len(pids) == 2  # two workers shared the work
    assert os.getpid() not in pids  # ... in processes of their own


def test_rerun_skips_finished_tasks(tmp_path):
    out = tmp_path / "run"
    tasks = smoke_campaign(out, sleep_s=0.0)
    first = run_tasks(tasks, executor_config=THREADS, out_dir=out)
    before = _started_mtimes(out, tasks)
    second = run_tasks(
        smoke_campaign(out, sleep_s=0.0), executor_config=THREADS, out_dir=out
    )
    assert all(r.resumed and r.state == "done" for r in second.values())
    assert {k: r.value for k, r in second.items()} == {k: r.value for k, r in first.items()}
    assert _started_mtimes(out, tasks) == before  # nothing started again


def test_rerun_redoes_missing_output_and_what_depends_on_it(tmp_path):
    out = tmp_path / "run"
    tasks = smoke_campaign(out, sleep_s=0.0)
    run_tasks(tasks, executor_config=THREADS, out_dir=out)
    reference = outputs(tasks)
    tasks[2].output.unlink()  # md-002 lost: md-002 and analysis-1 must run again
    again = run_tasks(
        smoke_campaign(out, sleep_s=0.0), executor_config=THREADS, out_dir=out
    )
    rerun = {k for k, r in again.items() if not r.resumed}
    assert rerun == {"md-002", "analysis-1"}
    assert outputs(tasks) == reference


def test_changed_inputs_are_not_resumed(tmp_path):
    out = tmp_path / "run"
    task = Task(
        key="md-x",
        output=out / "x.json",
        func=toy_md_batch,
        kwargs={
            "seed": 1,
            "n_walkers": 4,
            "n_steps": 5,
            "sleep_s": 0,
            "output": str(out / "x.json"),
        },
    )
    run_tasks([task], executor_config=THREADS, out_dir=out)
    changed = Task(
        key="md-x",
        output=task.output,
        func=toy_md_batch,
        kwargs={**task.kwargs, "seed": 2},
    )
    result = run_tasks([changed], executor_config=THREADS, out_dir=out)["md-x"]
    assert not result.resumed
    assert json.loads(task.output.read_text())["seed"] == 2


def test_failure_is_reported_and_others_complete(tmp_path):
    out = tmp_path / "run"
    tasks = smoke_campaign(out, n_batches=4, sleep_s=0.0)
    bad = Task(
        key="md-bad", output=out / "bad.json", func=toy_fail, kwargs={"message": "boom"}
    )
    needs_bad = Task(
        key="analysis-bad",
        output=out / "analysis-bad.json",
        func=toy_fail,
        kwargs={"message": "never"},
        depends_on=("md-bad", "md-000"),
    )
    results = run_tasks(
        [*tasks, bad, needs_bad], executor_config=THREADS, out_dir=out, retries=1
    )
    assert results["md-bad"].state == "failed"
    assert results["md-bad"].reason == "RuntimeError: boom"
    assert results["md-bad"].attempts == 2  # the first try and one retry
    assert results["analysis-bad"].state == "failed"
    assert results["analysis-bad"].reason == "not run: dependency md-bad failed"
    assert results["analysis-bad"].attempts == 0
    assert all(results[t.key].state == "done" for t in tasks)
    status = campaign_status(out)
    assert status.counts == {"pending": 0, "running": 0, "done": 6, "failed": 2}
    text = status.format()
    assert "RuntimeError: boom" in text and "runner: finished" in text


def _raise_input_error() -> None:
    raise InputError("bad structure")


def test_input_errors_are_not_retried(tmp_path):
    task = Task(key="t", output=tmp_path / "t.json", func=_raise_input_error)
    result = run_tasks([task], executor_config=THREADS, out_dir=tmp_path, retries=3)["t"]
    assert result.state == "failed"
    assert result.attempts == 1
    assert result.reason == "InputError: bad structure"


def test_success_without_output_is_a_failure(tmp_path):
    task = Task(key="t", output=tmp_path / "never.json", func=np.sum, kwargs={"a": [1, 2]})
    result = run_tasks([task], executor_config=THREADS, out_dir=tmp_path)["t"]
    assert result.state == "failed"
    assert "does not exist" in result.reason


def test_timeout_marks_unfinished_tasks_failed(tmp_path):
    slow = Task(
        key="slow",
        output=tmp_path / "slow.json",
        func=toy_md_batch,
        kwargs={
            "seed": 0,
            "n_walkers": 2,
            "n_steps": 3,
            "sleep_s": 3.0,
            "output": str(tmp_path / "slow.json"),
        },
    )
    result = run_tasks([slow], executor_config=THREADS, out_dir=tmp_path, timeout_s=0.5)
    assert result["slow"].state == "failed"
    assert result["slow"].reason == "timed out after 0.5 s"


def test_shell_task_runs_in_its_directory(tmp_path):
    work = tmp_path / "seg"
    work.mkdir()
    task = Task(key="sh", output=work / "out.txt", command="pwd > out.txt", cwd=work)
    result = run_tasks([task], executor_config=THREADS, out_dir=tmp_path)["sh"]
    assert result.state == "done"
    assert (work / "out.txt").read_text().strip() == str(work)


def test_failing_shell_task_reports_exit(tmp_path):
    task = Task(key="sh", output=tmp_path / "o", command="exit 3", cwd=tmp_path)
    result = run_tasks([task], executor_config=THREADS, out_dir=tmp_path, retries=0)["sh"]
    assert result.state == "failed"
    assert result.reason.startswith("BashExitFailure")
    assert "3" in result.reason


def test_status_while_running(tmp_path):
    """While a task runs, status shows it running and its dependent pending."""
    out = tmp_path / "run"
    tasks = smoke_campaign(out, n_batches=2, sleep_s=2.0)
    seen: list = []

    def watch():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not seen:
            try:
                status = campaign_status(out)
            except InputError:
                time.sleep(0.05)
                continue
            states = {r.key: r.state for r in status.rows}
            if states.get("md-000") == "running":
                seen.append((states, status.runner_note))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    run_tasks(tasks, executor_config=THREADS, out_dir=out)
    watcher.join(timeout=5)
    assert seen, "status never showed md-000 running"
    states, note = seen[0]
    assert states["analysis-0"] == "pending"
    assert note.startswith("runner: running (pid")


def test_status_without_a_campaign_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no scale-out state"):
        campaign_status(tmp_path)


def test_interrupted_campaign_resumes(tmp_path):
    """Stop a campaign part-way (its time limit), re-run it: what finished is kept,
    the rest runs, and the outputs are the uninterrupted ones."""
    out = tmp_path / "run"
    first = run_tasks(
        smoke_campaign(out, sleep_s=0.6),
        executor_config=THREADS,
        out_dir=out,
        timeout_s=1.0,
    )
    done_first = {k for k, r in first.items() if r.ok}
    assert "md-000" in done_first and "analysis-2" not in done_first
    assert first["analysis-2"].reason == "timed out after 1 s"
    tasks = smoke_campaign(out, sleep_s=0.6)  # the same tasks: same inputs
    second = run_tasks(tasks, executor_config=THREADS, out_dir=out)
    assert {k for k, r in second.items() if r.resumed} == done_first
    assert all(r.ok for r in second.values())
    assert outputs(tasks) == serial_reference(tasks, tmp_path / "serial")


def _interrupt(*_: object, **__: object) -> None:
    raise KeyboardInterrupt


def test_status_says_when_the_runner_was_interrupted(tmp_path, monkeypatch):
    import ionmd.scaleout.parsl_run as runner

    monkeypatch.setattr(runner, "_wait", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_tasks(
            smoke_campaign(tmp_path, n_batches=2), executor_config=THREADS, out_dir=tmp_path
        )
    status = campaign_status(tmp_path)
    assert status.runner_note.startswith("runner: interrupted")
    counts = status.counts
    assert counts["pending"] + counts["running"] == 3  # as the runner last knew them
    assert counts["done"] == counts["failed"] == 0
