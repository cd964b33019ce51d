"""``ionmd scaleout status OUT_DIR`` and
``ionmd scaleout smoke OUT_DIR [--executor-config C.toml]``: the toy campaign of
:mod:`ionmd.scaleout.smoke`, to try an executor config on a cluster.

The command-line code lives here, registered in the ``ionmd`` dispatcher; the
scale-out layer has no ``__main__`` (it would import the command line from below
it). ``python -m ionmd.cli.scaleout ...`` runs the same parser on its own."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

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


def _add_commands(parser: argparse.ArgumentParser) -> None:
    """``status`` and ``smoke`` under ``parser``."""
    sub = parser.add_subparsers(dest="scaleout_command", required=True)
    add_status_arguments(sub.add_parser("status", help="a campaign's task states"))
    smoke = sub.add_parser("smoke", help="run a toy campaign on an executor")
    smoke.add_argument("out_dir", type=Path, help="output directory of the toy campaign")
    smoke.add_argument("--batches", type=int, default=6, help="toy MD tasks (default 6)")
    smoke.add_argument(
        "--sleep-s",
        type=float,
        default=2.0,
        help="seconds each toy task sleeps, to watch it run (default 2)",
    )
    add_executor_arguments(smoke)
    smoke.set_defaults(func=_smoke)


def register(subparsers: Any) -> None:
    """Add ``scaleout status|smoke`` to the ``ionmd`` dispatcher."""
    parser = subparsers.add_parser(
        "scaleout",
        help="the scale-out layer's toy campaign and task states",
        description="`smoke`: a toy campaign to try an executor config on a cluster; "
        "`status`: a campaign's task states.",
    )
    _add_commands(parser)


def main(argv: list[str] | None = None) -> int:
    """``python -m ionmd.cli.scaleout status|smoke ...`` (the same parser)."""
    configure_logging()
    parser = argparse.ArgumentParser(prog="python -m ionmd.cli.scaleout")
    _add_commands(parser)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except IonmdError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
