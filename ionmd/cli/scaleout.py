"""``python -m ionmd.scaleout status OUT_DIR`` and
``python -m ionmd.scaleout smoke OUT_DIR [--executor-config C.toml]``: the toy
campaign of :mod:`ionmd.scaleout.smoke`, to try an executor config on a cluster.

The command-line code lives here; ``ionmd/scaleout/__main__.py`` only calls
:func:`main`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ionmd.cli.executor_args import add_executor_arguments, executor_config_from_args
from ionmd.cli.status import add_status_arguments
from ionmd.errors import IonmdError
from ionmd.log import configure as configure_logging


def _smoke(args: argparse.Namespace) -> int:
    from ionmd.scaleout.parsl_run import run_tasks
    from ionmd.scaleout.smoke import smoke_campaign

    config = executor_config_from_args(args)
    tasks = smoke_campaign(args.out_dir, n_batches=args.batches, sleep_s=args.sleep_s)
    results = run_tasks(tasks, executor_config=config, out_dir=args.out_dir)
    for key, res in results.items():
        extra = "(resumed)" if res.resumed else (res.reason or "")
        print(f"{key:14s} {res.state:7s} {res.where or '':24s} {extra}")
    return 0 if all(r.ok for r in results.values()) else 1


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(prog="python -m ionmd.scaleout")
    sub = parser.add_subparsers(dest="command", required=True)
    add_status_arguments(sub.add_parser("status", help="a campaign's task states"))
    smoke = sub.add_parser("smoke", help="run a toy campaign on an executor")
    smoke.add_argument("out_dir", type=Path)
    smoke.add_argument("--batches", type=int, default=6)
    smoke.add_argument("--sleep-s", type=float, default=2.0)
    add_executor_arguments(smoke)
    smoke.set_defaults(func=_smoke)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except IonmdError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
