"""``ionmd vasp``: prepare, status, submit and collect VASP AIMD runs of a campaign."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ionmd.log import get_logger

log = get_logger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``vasp`` parser and its sub-subcommands."""
    p = subparsers.add_parser("vasp", help="run the study's AIMD reference with VASP")
    sub = p.add_subparsers(dest="vasp_command", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    prep = sub.add_parser("prepare", help="write one run directory per (material, T)")
    prep.add_argument("config", nargs="?", help="CONFIG.toml with a [vasp] section")
    prep.add_argument("--materials", nargs="+", help="OBELiX ids or structure files")
    prep.add_argument(
        "--temperatures-K",
        nargs="+",
        type=float,
        dest="temperatures_K",
        help="temperatures, K (with --materials, instead of a CONFIG)",
    )
    prep.add_argument("--obelix-data", help="OBELiX data directory")
    prep.add_argument("--out", default="vasp_runs", help="campaign directory (vasp_runs)")
    prep.add_argument(
        "--force",
        action="store_true",
        help="rewrite inputs of run directories that have no VASP output",
    )
    prep.set_defaults(func=_prepare)

    st = sub.add_parser("status", help="segments done per run")
    st.add_argument(
        "runs", nargs="?", default="vasp_runs", help="campaign or run directory"
    )
    st.set_defaults(func=_status)

    sb = sub.add_parser("submit", help="submit what is left of each run (resumes)")
    sb.add_argument(
        "runs", nargs="?", default="vasp_runs", help="campaign or run directory"
    )
    sb.add_argument("--dry-run", action="store_true", help="print, do not call sbatch")
    sb.add_argument("--sbatch", default="sbatch", help="sbatch executable")
    from ionmd.cli.executor_args import add_executor_arguments

    add_executor_arguments(sb)
    sb.set_defaults(func=_submit)

    co = sub.add_parser("collect", help="segments -> one ionmd run file (md.h5 layout)")
    co.add_argument(
        "runs", nargs="?", default="vasp_runs", help="campaign or run directory"
    )
    co.add_argument("--out", default="vasp_md.h5", help="run file to write (vasp_md.h5)")
    co.add_argument(
        "--equilibration-ps",
        type=float,
        default=None,
        help="override the recorded equilibration (ps)",
    )
    co.add_argument(
        "--keep-going",
        action="store_true",
        help="write the runs that pass the checks, report the others (exit 1)",
    )
    co.add_argument(
        "--no-drift-correction",
        action="store_true",
        help="store positions as simulated (default: framework drift removed)",
    )
    co.set_defaults(func=_collect)


def _prepare(args: argparse.Namespace) -> int:
    from ionmd.errors import InputError
    from ionmd.vasp_bridge.config import campaign_from_dict, load_campaign
    from ionmd.vasp_bridge.potcar import CONFIGURE_HINT, potcar_library
    from ionmd.vasp_bridge.prepare import prepare_campaign

    if args.config:
        campaign = load_campaign(args.config)
    elif args.materials and args.temperatures_K:
        campaign = campaign_from_dict(
            {
                "materials": args.materials,
                "temperatures_K": args.temperatures_K,
                **({"obelix_data": args.obelix_data} if args.obelix_data else {}),
            }
        )
    else:
        raise InputError("give CONFIG.toml, or --materials and --temperatures-K")
    if args.config and args.obelix_data:
        import dataclasses

        campaign = dataclasses.replace(campaign, obelix_data=args.obelix_data)
    runs = prepare_campaign(campaign, out_dir=args.out, force=args.force)
    for run in runs:
        print(run)
    if potcar_library() is None:
        print(f"note: wrote POTCAR.spec, not POTCAR ({CONFIGURE_HINT})")
    return 0


def _status(args: argparse.Namespace) -> int:
    from ionmd.vasp_bridge.rundir import find_run_dirs
    from ionmd.vasp_bridge.submit import status_line

    for run in find_run_dirs(args.runs):
        print(status_line(run))
    return 0


def _submit(args: argparse.Namespace) -> int:
    from ionmd.vasp_bridge.rundir import find_run_dirs
    from ionmd.vasp_bridge.submit import submit_run

    if args.executor is not None or args.executor_config is not None:
        return _submit_tasks(args)

    for run in find_run_dirs(args.runs):
        result = submit_run(run, dry_run=args.dry_run, sbatch=args.sbatch)
        ids = f" jobs {','.join(result.job_ids)}" if result.job_ids else ""
        print(f"{result.key}: {result.action}{ids}")
        if args.dry_run:
            for script in result.scripts:
                print(f"  sbatch {script}")
    return 0


def _segment_tasks(
    run_dir: Path, *, dry_run: bool, sbatch: str, queued: set[str]
) -> tuple[str, list]:
    """What is left of one run as a chain of ``sbatch --wait`` tasks, each after
    the previous one: (what to print, tasks). Same plan as the default
    (:func:`ionmd.vasp_bridge.submit.plan_submission`)."""
    from ionmd.scaleout import sbatch_segment_task
    from ionmd.vasp_bridge.submit import plan_submission

    plan = plan_submission(run_dir, dry_run=dry_run, queued_names=queued)
    if plan.skip is not None:
        return f"{plan.key}: {plan.skip}", []
    tasks, previous = [], None
    for script in plan.scripts:
        task_key = f"{plan.key}.{script.parent.name}"
        # VASP writes OUTCAR's closing block last; the bridge reads it as "ended"
        tasks.append(
            sbatch_segment_task(
                key=task_key,
                script=script.resolve(),
                output_name="OUTCAR",
                after=previous,
                sbatch=sbatch,
            )
        )
        previous = task_key
    verb = "would run" if dry_run else "running"
    return f"{plan.key}: {verb} {len(tasks)} segment(s) one after the other", tasks


def _submit_tasks(args: argparse.Namespace) -> int:
    """``submit --executor slurm``: this process drives each run's segments as
    scale-out tasks (``sbatch --wait``, each after the previous one), with resume
    and ``ionmd status RUNS``, instead of handing SLURM an afterok chain."""
    import shutil

    from ionmd.cli.executor_args import executor_config_from_args
    from ionmd.errors import InputError
    from ionmd.scaleout import executor_config_from_table, run_tasks
    from ionmd.vasp_bridge.jobs import queued_job_names
    from ionmd.vasp_bridge.rundir import find_run_dirs

    if executor_config_from_args(args).kind != "slurm":
        raise InputError(
            "ionmd vasp submit runs segments as SLURM jobs: use --executor slurm "
            "(or no --executor for a chain of afterok jobs)"
        )
    if not args.dry_run and shutil.which(args.sbatch) is None:
        raise InputError(f"{args.sbatch!r} not found: submit from a SLURM login node")
    runs = find_run_dirs(args.runs)
    queued = queued_job_names()
    tasks = []
    for run in runs:
        line, run_tasks_ = _segment_tasks(
            run, dry_run=args.dry_run, sbatch=args.sbatch, queued=queued
        )
        print(line)
        if args.dry_run:
            for task in run_tasks_:
                print(f"  {task.key}: {task.command} (in {task.cwd})")
        tasks += run_tasks_
    if args.dry_run or not tasks:
        return 0
    # the work happens in SLURM jobs: threads here only wait on `sbatch --wait`
    n_chains = len({t.key.rsplit(".", 1)[0] for t in tasks})
    executor = executor_config_from_table({"kind": "threads", "max_workers": n_chains})
    out_dir = Path(args.runs).resolve()
    results = run_tasks(tasks, executor_config=executor, out_dir=out_dir, retries=0)
    failed = {k: r.reason for k, r in results.items() if not r.ok}
    for key, result in results.items():
        print(f"{key}: {result.state}" + (f": {result.reason}" if result.reason else ""))
    if failed:
        log.warning(
            f"{len(failed)} segment(s) not done (see `ionmd status {out_dir}`); "
            "fix the cause and run the same command again to resume"
        )
        return 1
    return 0


def _collect(args: argparse.Namespace) -> int:
    from ionmd.errors import InputError
    from ionmd.outdir import output_file
    from ionmd.vasp_bridge.collect import collect_run, has_output, write_runs
    from ionmd.vasp_bridge.rundir import find_run_dirs

    output_file(args.out, what="run file (--out)", create=False)  # before collecting
    runs, failed = [], 0
    for run_dir in find_run_dirs(args.runs):
        if not has_output(run_dir):
            print(f"{run_dir.name}: no output yet, skipped")
            continue
        try:
            runs.append(collect_run(run_dir))
        except InputError as exc:
            if not args.keep_going:
                raise InputError(f"{run_dir.name}: {exc}") from None
            log.warning(f"{run_dir.name}: not collected: {exc}")
            failed += 1
    if not runs:
        raise InputError(f"nothing to collect under {args.runs}")
    out = write_runs(
        runs,
        out_path=output_file(args.out, what="run file (--out)"),
        equilibration_ps=args.equilibration_ps,
        drift_correct=not args.no_drift_correction,
    )
    costs = [
        {
            "key": r.cost.key,
            "wall_time_s": r.cost.wall_time_s,
            "core_hours": r.cost.core_hours,
            "n_cores": r.cost.n_cores,
            "steps_done": r.cost.steps_done,
            "segments": r.cost.n_segments,
        }
        for r in runs
    ]
    cost_path = Path(out).with_suffix(".cost.json")
    cost_path.write_text(json.dumps(costs, indent=1) + "\n")
    for r in runs:
        for note in r.notes:
            print(f"note: {note}")
        print(
            f"{r.record['key']}: {len(r.steps)} frames, {r.steps_done} steps, "
            f"{r.cost.wall_time_s / 3600:.1f} h on {r.cost.n_cores or '?'} cores"
        )
    print(f"wrote {out} and {cost_path}")
    return 1 if failed else 0
