"""``ionmd status OUT_DIR``: what a campaign's tasks are doing (the table is
computed by :func:`ionmd.scaleout.task_status.campaign_status`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _status(args: argparse.Namespace) -> int:
    from ionmd.scaleout import markers
    from ionmd.scaleout.task_status import campaign_status

    if markers.read_json(markers.state_path(args.out_dir)) is None:
        from ionmd.campaign.adaptive.loop_status import (
            adaptive_status_exit,
            format_adaptive_status,
            read_adaptive_state,
        )

        doc = read_adaptive_state(args.out_dir)  # in-process adaptive: its loop's state
        if doc is not None:
            print(format_adaptive_status(doc, out_dir=args.out_dir))
            return adaptive_status_exit(doc)
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
