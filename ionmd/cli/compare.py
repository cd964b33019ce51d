"""``ionmd compare RUN_DIR... --out DIR``: one comparison of campaigns run with
different models (or DFT analysed with ``ionmd analyze``) against experiment."""

from __future__ import annotations

import argparse

from ionmd.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        help="compare run directories (one per model, or DFT) against OBELiX",
        description="Read each RUN_DIR's results.json and write comparison.json, "
        "comparison.md and comparison.html into --out: per model the MAE of log10 "
        "sigma(300 K) with a bootstrap 95 % interval, pairwise MAE differences, Ea "
        "per material, a rank table and parity plots (see docs/models.md).",
    )
    p.add_argument(
        "run_dirs",
        nargs="*",
        metavar="RUN_DIR",
        help="an analysed campaign OUT (with results.json), one per model",
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="DIR=NAME",
        help='name a run directory, e.g. --label vasp_out="DFT (VASP)" (repeatable)',
    )
    p.add_argument(
        "--dft",
        action="append",
        default=[],
        metavar="DIR",
        help="a directory analysed from VASP AIMD (ionmd analyze); several --dft "
        'together make one "DFT (VASP)" row (repeatable)',
    )
    p.add_argument("--no-figures", action="store_true", help="no parity plots")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ionmd.report.compare import write_comparison

    labels = _labels(args.label, run_dirs=args.run_dirs)
    doc = write_comparison(
        run_dirs=args.run_dirs,
        out_dir=args.out,
        labels=labels,
        dft_dirs=args.dft,
        figures=not args.no_figures,
    )
    from ionmd.analysis.compare_rank import rank_headline

    ranking = doc["ranking"]
    for i, label in enumerate(ranking["rank"]):
        mae = ranking["mae_log10"][label]
        lo, hi = mae["ci95"]
        print(
            f"{i + 1}. {label}: MAE log10 sigma {mae['mae']:.2f} [95 %: {lo:.2f}, "
            f"{hi:.2f}] over {ranking['n_materials']} predicted materials"
        )
    print(rank_headline(ranking))
    print(f"comparison: {args.out}/comparison.html")
    return 0


def _labels(items: list[str], *, run_dirs: list[str]) -> dict[str, str]:
    """``--label DIR=NAME`` items as run directory (as given) -> name; InputError
    for a DIR that is not one of the RUN_DIRs, or one labelled twice (either was
    silently ignored)."""
    import os

    given = {os.path.realpath(d): d for d in run_dirs}
    labels: dict[str, str] = {}
    for item in items:
        path, sep, name = item.partition("=")
        if not sep or not path or not name.strip():
            raise InputError(f"--label {item!r}: expected DIR=NAME")
        run_dir = given.get(os.path.realpath(path))
        if run_dir is None:
            raise InputError(
                f"--label {item!r}: {path} is not one of the compared RUN_DIRs "
                f"({', '.join(run_dirs) or 'none given'}; --dft directories are "
                'one "DFT (VASP)" row)'
            )
        if run_dir in labels:
            raise InputError(
                f"--label {item!r}: {path} is already labelled {labels[run_dir]!r}"
            )
        labels[run_dir] = name.strip()
    return labels
