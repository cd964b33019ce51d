"""``ionmd export RUN --format extxyz|traj|xdatcar``: one system of a run file as
a trajectory ASE, OVITO and pymatgen read (:mod:`ionmd.fileformat.export`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _export(args: argparse.Namespace) -> int:
    from ionmd.fileformat.export import export_run

    done = export_run(args.run, fmt=args.format, system=args.system, out=args.out)
    if done.note:
        print(f"ionmd export: {done.note}", file=sys.stderr)
    what = "full structures" if done.full else "Li-only frames"
    print(
        f"{done.path}: {done.n_frames} {what} of {done.key}, "
        f"{done.frame_interval_ps:g} ps apart"
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``export`` to the ``ionmd`` dispatcher."""
    from ionmd.fileformat.export import EXPORT_FORMATS

    names = ", ".join(EXPORT_FORMATS)
    p = subparsers.add_parser(
        "export",
        help="write a run file's trajectory for ASE, OVITO, pymatgen",
        description="Write one system of a run file (md.h5 / batch_*.h5) as extxyz, "
        "ASE traj (unwrapped positions) or XDATCAR (wrapped fractional). Full "
        "structures need framework_every_fs > 0 in the run's config; without it "
        "only the Li ions are written, and a line says so (docs/hdf5_layout.md).",
    )
    p.add_argument(
        "run",
        type=Path,
        metavar="RUN",
        help="the run file (.h5), or a campaign OUT (its md.h5)",
    )
    p.add_argument("--format", required=True, help=f"one of: {names}")
    p.add_argument(
        "--system", help="the system key (e.g. gvd_800K); needed when RUN holds several"
    )
    p.add_argument("--out", type=Path, help="output file (default: RUN_<system>.<ext>)")
    p.set_defaults(func=_export)
