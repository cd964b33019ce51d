"""Command-line pieces of the scale-out layer, for the ``ionmd`` dispatcher:

* :func:`add_executor_arguments` / :func:`executor_config_from_args`: the
  ``--executor`` and ``--executor-config`` options ``ionmd run`` and
  ``ionmd vasp submit`` share;
* :func:`register`: the ``ionmd status OUT_DIR`` subcommand
  (``SUBCOMMANDS["status"] = "ionmd.scaleout.cli"``).

``python -m ionmd.scaleout status|smoke`` works without the dispatcher.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ionmd.errors import InputError
from ionmd.scaleout.config import KINDS, ExecutorConfig, executor_config_from_table
from ionmd.settings import read_toml


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--executor KIND`` and ``--executor-config FILE.toml``."""
    parser.add_argument(
        "--executor",
        choices=KINDS,
        default=None,
        help="run as tasks there (overrides [executor] kind)",
    )
    parser.add_argument(
        "--executor-config",
        type=Path,
        default=None,
        metavar="TOML",
        help="a TOML file whose [executor] table configures it (else the campaign's)",
    )


def load_executor_table(path: Path) -> Mapping[str, Any]:
    """The ``[executor]`` table of a TOML file (empty when it has none)."""
    data = read_toml(path, what="executor config")  # the one reader (ionmd.settings)
    table = data.get("executor", {})
    if not isinstance(table, dict):
        raise InputError(f"{path}: [executor] must be a table")
    return table


def executor_config_from_args(
    args: argparse.Namespace, *, campaign_table: Mapping[str, Any] | None = None
) -> ExecutorConfig:
    """The executor config from ``--executor-config`` (else the campaign's own
    ``[executor]`` table), with ``--executor`` overriding its kind."""
    table = campaign_table
    if getattr(args, "executor_config", None) is not None:
        table = load_executor_table(args.executor_config)
    return executor_config_from_table(table, kind=getattr(args, "executor", None))


def _status(args: argparse.Namespace) -> int:
    from ionmd.scaleout.status import campaign_status

    status = campaign_status(args.out_dir)
    print(status.format(show_done=not args.hide_done))
    return 1 if status.counts["failed"] else 0


def add_status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", type=Path, help="the campaign's output directory")
    parser.add_argument(
        "--hide-done", action="store_true", help="list only tasks not done yet"
    )
    parser.set_defaults(func=_status)


def register(subparsers: Any) -> None:
    """Add ``status`` to the ``ionmd`` dispatcher."""
    parser = subparsers.add_parser(
        "status",
        help="what a campaign's tasks are doing: pending, running, done, failed",
        description="Show each task of a campaign (pending, running, done, failed), "
        "where it runs and why it failed. Exit status 1 when some failed.",
    )
    add_status_arguments(parser)
