"""``ionmd analyze PATH... --out DIR``: diffusion, reliability, Arrhenius,
conductivity and comparison with experiment, written to results.json + figures."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "analyze",
        help="D, sigma(300 K) and reliability from MD trajectories",
        description="Analyse an engine run directory (md.h5) or trajectory files "
        "(XDATCAR[.gz] — several are restart files of one run, in order —, vasprun.xml, "
        "a pymatgen DiffusionAnalyzer JSON, or anything ASE reads). Writes "
        "results.json and figures into --out (see docs/analysis.md).",
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="an ionmd run directory or run file (md.h5), or trajectory files",
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument(
        "--temperature-K", type=float, help="temperature where the file lacks it"
    )
    p.add_argument("--timestep-fs", type=float, help="MD time step where the file lacks it")
    p.add_argument("--step-skip", type=int, help="MD steps between saved frames")
    p.add_argument("--material-id", help="label (OBELiX ID) for trajectory files")
    p.add_argument(
        "--obelix-data", help="OBELiX data folder (default: ../shared/data/obelix)"
    )
    p.add_argument("--no-compare", action="store_true", help="skip the OBELiX comparison")
    p.add_argument(
        "--fit-start-ps",
        type=float,
        help="start of the diffusive regime (default 3 ps, or 1/4 of short runs)",
    )
    p.add_argument(
        "--discard-ps",
        type=float,
        default=0.0,
        help="discard this much of the start of trajectory files (default 0)",
    )
    p.add_argument("--dimension", default="xyz", help="axes for D: xyz (default), xy, ...")
    p.add_argument(
        "--no-kinisi",
        action="store_true",
        help="least-squares D only (no uncertainty; kinisi not needed)",
    )
    p.add_argument("--no-figures", action="store_true", help="no MSD and Arrhenius figures")
    p.add_argument(
        "--force", action="store_true", help="overwrite a results.json already in --out"
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="print only errors (no line per trajectory, no summary)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print results.json instead of the per-material summary",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ionmd.api import analyze

    res = analyze(
        args.paths,
        out=args.out,
        obelix_data=args.obelix_data,
        temperature_K=args.temperature_K,
        timestep_fs=args.timestep_fs,
        step_skip=args.step_skip,
        material_id=args.material_id,
        fit_start_ps=args.fit_start_ps,
        discard_ps=args.discard_ps,
        dimension=args.dimension,
        use_kinisi=not args.no_kinisi,
        compare=not args.no_compare,
        figures=not args.no_figures,
        force=args.force,
        verbose=not args.quiet,
    )
    if args.json:
        print(json.dumps(res.document, indent=2))
    elif not args.quiet:
        from ionmd.cli.closing import closing_lines

        print("\n".join(closing_lines(res)))
    return 0
