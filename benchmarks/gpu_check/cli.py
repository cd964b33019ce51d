"""``python -m benchmarks.gpu_check``: the arguments, the parts in order, the
JSON and the table (``gpu_check.md``)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from benchmarks.gpu_check.harness import Check
from benchmarks.gpu_check.parts import run_part
from benchmarks.gpu_check.settings import BUDGET_S, PARTS
from benchmarks.gpu_check.table import table


def out_problem(out: Path) -> str | None:
    """Why ``--out`` is refused, or None: it must be new, empty or a previous check's.

    The check writes gpu_check.json/.md there; a filesystem root, a file or a
    directory holding other things (``--out /``, ``--out ~``) is a slip, not a target.
    """
    if out.exists() and not out.is_dir():
        return f"--out {out} is an existing file, not a directory"
    if out.resolve() == Path(out.resolve().anchor):
        return f"--out {out} is the filesystem root; give a new or empty directory"
    if out.is_dir() and any(out.iterdir()) and not (out / "gpu_check.json").exists():
        return (
            f"--out {out} is a directory holding other files; give a new or empty "
            "directory (or a previous check's)"
        )
    return None


def _parser() -> argparse.ArgumentParser:
    import benchmarks.gpu_check as pkg

    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu_check",
        description=pkg.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes (~2 min)")
    ap.add_argument("--budget-s", type=float, default=BUDGET_S)
    ap.add_argument("--only", nargs="*", choices=PARTS, help="run only these parts")
    return ap


def _quiet() -> None:
    """Silence the libraries' warnings that would bury the check's lines."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="e3nn")
    logging.getLogger("mace").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = out_problem(args.out)
    if problem:
        print(f"gpu_check: {problem}", file=sys.stderr)
        return 2
    _quiet()
    if args.dry_run:
        torch.set_num_threads(min(2, torch.get_num_threads()))
    check = Check(out_dir=args.out, dry_run=args.dry_run, budget_s=args.budget_s)
    for name in PARTS:
        if args.only and name not in args.only and name != "model_load":
            continue
        run_part(check, name)
    check.result["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    check.write()
    text = table(check.result)
    (args.out / "gpu_check.md").write_text(text)
    print(text)
    print(f"wrote {args.out / 'gpu_check.json'}")
    return 0
