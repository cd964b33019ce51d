"""``ionmd vasp status`` and ``ionmd vasp submit``: resume a campaign after any failure.

``submit`` looks at each run directory, finds the first unfinished segment, and:

- skips the run if SLURM still knows one of its jobs (``jobs.json`` + ``squeue``);
- moves an ``incomplete`` segment (killed or crashed, no clean end) aside to
  ``seg_XXX.failed-N`` so that it reruns from the same start;
- re-plans the remaining steps from what was actually done (a ``partial`` segment
  stopped by STOPCAR leaves steps to add), rewriting the pending segments' INCAR
  and job script;
- submits the remaining segments as a dependency chain.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pymatgen.io.vasp.inputs import Incar

from ionmd.errors import InputError
from ionmd.vasp_bridge.config import vasp_settings_from_dict
from ionmd.vasp_bridge.jobs import (
    JOB_SCRIPT,
    active_jobs,
    log_jobs,
    submit_chain,
    write_job_scripts,
)
from ionmd.vasp_bridge.prepare import segment_max_steps
from ionmd.vasp_bridge.rundir import read_record, segment_name, write_record
from ionmd.vasp_bridge.segments import RunProgress, replan, run_progress
from ionmd.vasp_bridge.vasp_inputs import segment_incar


def progress_of(run_dir: str | Path) -> RunProgress:
    """The progress of one run directory against its recorded plan."""
    record = read_record(run_dir)
    return run_progress(
        run_dir, plan=list(record["segments"]), total_steps=int(record["total_steps"])
    )


def status_line(run_dir: Path) -> str:
    """One line of ``ionmd vasp status``."""
    record = read_record(run_dir)
    p = progress_of(run_dir)
    n = len(p.segments)
    pct = 100.0 * p.steps_done / max(1, p.total_steps)
    nxt = "-" if p.complete else segment_name(p.next_index)
    queued = active_jobs(run_dir)
    q = f", {len(queued)} job(s) in SLURM" if queued else ""
    return (
        f"{record['key']:<20} {p.state:<10} {p.steps_done:>7}/{p.total_steps} steps "
        f"({pct:5.1f} %), {len(p.finished)}/{n} segments, next {nxt}{q}"
    )


@dataclass(frozen=True, kw_only=True)
class SubmitResult:
    key: str
    action: str
    scripts: tuple[Path, ...] = ()
    job_ids: tuple[str, ...] = ()


def _set_aside(seg_dir: Path) -> Path:
    n = 1
    while (target := seg_dir.with_name(f"{seg_dir.name}.failed-{n}")).exists():
        n += 1
    seg_dir.rename(target)
    return target


def update_plan(run_dir: Path) -> tuple[dict, int]:
    """Re-plan a run from what its segments did; returns (record, first segment to run)."""
    record = read_record(run_dir)
    settings = vasp_settings_from_dict(dict(record["vasp_settings"]))
    progress = run_progress(
        run_dir, plan=list(record["segments"]), total_steps=int(record["total_steps"])
    )
    first = progress.next_index
    if first < len(progress.segments) and progress.segments[first].state == "incomplete":
        _set_aside(progress.segments[first].path)
    new_plan = replan(progress, max_steps=segment_max_steps(settings, record["overrides"]))
    template = Incar(dict(record["incar"]))
    for i in range(first, max(len(new_plan), len(record["segments"]))):
        seg = run_dir / segment_name(i)
        if i >= len(new_plan):
            if seg.exists() and not any(seg.glob("OUTCAR")):
                shutil.rmtree(seg)
            continue
        seg.mkdir(exist_ok=True)
        segment_incar(template, nsw=new_plan[i]).write_file(seg / "INCAR")
    record["segments"] = new_plan
    write_job_scripts(run_dir, record=record, settings=settings, first=first)
    write_record(run_dir, record)
    return record, first


@dataclass(frozen=True, kw_only=True)
class SubmissionPlan:
    """What is left of one run: ``skip`` says why nothing is (``done``, or jobs
    still in SLURM); else ``scripts`` are the job scripts of the segments to run,
    in order (the plan already rewritten by :func:`update_plan`)."""

    key: str
    skip: str | None = None
    scripts: tuple[Path, ...] = ()


def plan_submission(
    run_dir: str | Path, *, dry_run: bool = False, queued_names: Iterable[str] = ()
) -> SubmissionPlan:
    """Decide what to submit for one run (see the module docstring), the same for
    the afterok chain (:func:`submit_run`) and for ``submit --executor slurm``.

    ``queued_names``: names of jobs SLURM still knows; one called
    ``<key>-seg_...`` (an ``sbatch --wait`` of a stopped driver) counts as active.
    """
    run_dir = Path(run_dir)
    record = read_record(run_dir)
    key = record["key"]
    if active_jobs(run_dir) or any(n.startswith(f"{key}-seg_") for n in queued_names):
        return SubmissionPlan(key=key, skip="skipped: jobs still in SLURM")
    if progress_of(run_dir).complete:
        return SubmissionPlan(key=key, skip="done")
    if (
        not dry_run
        and record.get("potcar_file") != "POTCAR"
        and not (run_dir / "POTCAR").exists()
    ):
        raise InputError(
            f"{run_dir}: no POTCAR (only POTCAR.spec): configure "
            "PMG_VASP_PSP_DIR and run `ionmd vasp prepare --force`"
        )
    record, first = update_plan(run_dir)
    scripts = tuple(
        run_dir / segment_name(i) / JOB_SCRIPT
        for i in range(first, len(record["segments"]))
    )
    return SubmissionPlan(key=key, scripts=scripts)


def submit_run(
    run_dir: str | Path, *, dry_run: bool = False, sbatch: str = "sbatch"
) -> SubmitResult:
    """Submit what is left of one run as a chain of afterok jobs."""
    run_dir = Path(run_dir)
    plan = plan_submission(run_dir, dry_run=dry_run)
    key, scripts = plan.key, plan.scripts
    if plan.skip is not None:
        return SubmitResult(key=key, action=plan.skip)
    if dry_run:
        return SubmitResult(
            key=key, action=f"would submit {len(scripts)} segment(s)", scripts=scripts
        )
    ids = submit_chain(list(scripts), sbatch=sbatch)
    log_jobs(run_dir, {p.parent.name: j for p, j in zip(scripts, ids, strict=True)})
    return SubmitResult(
        key=key,
        action=f"submitted {len(ids)} segment(s)",
        scripts=scripts,
        job_ids=tuple(ids),
    )
