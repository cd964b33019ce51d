"""``ionmd run CONFIG.toml``: a campaign (MD, analysis, report), resumable."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ionmd.log import get_logger

log = get_logger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a campaign from a TOML config (MD → analysis → report)",
        description="Run all (material, temperature) systems of CONFIG in one batched "
        "MD, then analyse them. Re-running the same command resumes an interrupted "
        "campaign from its last checkpoint. With --executor (or an [executor] table) "
        "each batch and the analysis run as tasks on a local worker pool, threads or "
        "SLURM jobs (see docs/scaleout.md).",
    )
    p.add_argument("config", help="TOML file (see docs/config.md)")
    p.add_argument("--out", help="output directory (overrides `out` in the config)")
    p.add_argument(
        "--model",
        help="force model, e.g. mace:medium-mpa-0, mace:/path/to/file.model, "
        "sevennet:7net-0, lj (overrides `model` in the config)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="run again even if OUT holds a finished campaign",
    )
    p.add_argument("--no-analysis", action="store_true", help="MD only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    from ionmd.cli.executor_args import add_executor_arguments

    add_executor_arguments(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ionmd.api import run_config
    from ionmd.campaign.config import load_config

    changes: dict[str, Any] = {}
    if args.out:
        changes["out"] = args.out
    if args.model:
        changes["model"] = args.model
        changes["models"] = None  # --model forces one model: no comparison,
        changes["dft_runs"] = None  # so no DFT row
    if args.no_progress:
        changes["progress"] = False
    config = load_config(args.config, overrides=changes)  # checked with them
    executor = None
    if args.executor or args.executor_config or "executor" in config.extra:
        from ionmd.cli.executor_args import executor_config_from_args

        executor = executor_config_from_args(
            args, campaign_table=config.extra.get("executor")
        )
    # a campaign finished in OUT with the same inputs: its results, as ionmd.run
    # gives them (one "already complete" line on stderr), nothing run
    result = run_config(
        config,
        force=args.force,
        analyze=not args.no_analysis,
        executor=executor,
        keep_finished=True,
    )
    print(f"run files: {', '.join(str(p) for p in result.run_files)}")
    for key, why in result.failed.items():
        print(f"failed: {key}: {why}")
    _print_closing(result)
    n_tasks = sum(
        k.startswith(("task ", "model ")) or ": task " in k for k in result.failed
    )
    if n_tasks:
        log.warning(
            f"{n_tasks} task(s) failed (see `ionmd status "
            f"{result.out_dir}`); fix the cause and re-run the same command to resume"
        )
        return 1
    planned = _planned_systems(result.out_dir)
    if planned and planned <= set(result.failed):
        log.warning(
            f"every system failed ({len(planned)}): no result to analyse; see the "
            "reasons above (a generic model such as lj is not made for real materials)"
        )
        return 1
    return 0


def _print_closing(result: object) -> None:
    """Per material σ(300 K) with its interval and verdict, and the report's path
    (after ``models = [...]``: the comparison's rank; nothing when the campaign
    was not analysed)."""
    from ionmd.cli.closing import closing_lines
    from ionmd.results import Results

    if isinstance(result, Results) and (lines := closing_lines(result)):
        print("\n".join(lines))


def _planned_systems(out_dir: Path) -> set[str]:
    """The system keys of OUT's campaign plan (empty when it cannot be read)."""
    import json

    try:
        plan = json.loads((Path(out_dir) / "campaign.json").read_text()).get("plan")
        return {str(key) for batch in plan or [] for key in batch}
    except (OSError, ValueError, AttributeError, TypeError):
        return set()
