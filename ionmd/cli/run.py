"""``ionmd run CONFIG.toml``: a campaign (MD, analysis, report), resumable."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a campaign from a TOML config (MD → analysis → report)",
        description="Run all (material, temperature) systems of CONFIG in one batched "
        "MD, then analyse them. Re-running the same command resumes an interrupted "
        "campaign from its last checkpoint.",
    )
    p.add_argument("config", help="TOML file (see docs/config.md)")
    p.add_argument("--out", help="output directory (overrides `out` in the config)")
    p.add_argument(
        "--force",
        action="store_true",
        help="run again even if OUT holds a finished campaign",
    )
    p.add_argument("--no-analysis", action="store_true", help="MD only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ionmd.campaign.run import run_campaign
    from ionmd.engine.config import load_config

    config = load_config(args.config)
    changes = {}
    if args.out:
        changes["out"] = args.out
    if args.no_progress:
        changes["progress"] = False
    if changes:
        config = config.replace(**changes)
    result = run_campaign(config, force=args.force, analyze=not args.no_analysis)
    print(f"run files: {', '.join(str(p) for p in result.run_files)}")
    for mid, why in result.failed_materials.items():
        print(f"failed: {mid}: {why}")
    for key, why in result.failed_systems.items():
        print(f"failed: {key}: {why}")
    return 0
