"""The ``--executor`` and ``--executor-config`` options that ``ionmd run`` and
``ionmd vasp submit`` share: :func:`add_executor_arguments` adds them,
:func:`executor_config_from_args` turns them into an
:class:`~ionmd.scaleout.config.ExecutorConfig` (built by the scale-out layer from
the ``[executor]`` table)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ionmd.errors import InputError
from ionmd.scaleout.config import KINDS, ExecutorConfig, executor_config_from_table
from ionmd.settings_file import read_toml


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
    data = read_toml(path, what="executor config")  # the one reader (ionmd.settings_file)
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
