"""``ionmd demo``: a small real run end to end, offline, in a few minutes on
two CPU cores: α-Li3N built in code (no data needed), a pretrained universal
potential whose weights ship in its package, batched NH MD at several
temperatures, then the analysis. Honest about what such a run can resolve."""

from __future__ import annotations

import argparse

DEMO_MODEL = "sevennet-0"
DEMO_TEMPERATURES_K = (1000.0, 1200.0)

CAVEAT = """\
What this demo can and cannot resolve
-------------------------------------
It ran {duration_ps:g} ps per temperature on a {n_atoms}-atom cell with a tight
thermostat (τ = 25 fs); the study runs 100 ps on >= 10 Å cells at 800-1200 K.
That exercises every stage of ionmd (a pretrained potential, batched Nosé–Hoover
MD with one thermostat per temperature, the on-device MSD, the HDF5 run file, the
analysis), but it is far too short to measure diffusion: the Li MSD stays well
below the study's 20 Å² reliability threshold, so every temperature is flagged
unreliable and any D, Ea or σ(300 K) printed from it is not a prediction. For
real numbers run the study's protocol (`ionmd run` with the defaults) on a GPU:
see README.md."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="a small real example end to end (α-Li3N, pretrained potential, offline)",
        description=(__doc__ or "").replace("``", ""),
    )
    p.add_argument(
        "--out", default="ionmd-demo", help="output directory (default: ionmd-demo)"
    )
    p.add_argument(
        "--model",
        default=DEMO_MODEL,
        help=f"force model (default {DEMO_MODEL}: weights ship with sevenn)",
    )
    p.add_argument(
        "--duration-ps",
        type=float,
        default=0.25,
        help="MD per temperature, ps, the first 20 %% discarded (default 0.25; "
        "the study: 100)",
    )
    p.add_argument(
        "--temperatures-K",
        type=float,
        nargs="+",
        default=list(DEMO_TEMPERATURES_K),
        help="temperatures, K (default: "
        + " ".join(f"{t:g}" for t in DEMO_TEMPERATURES_K)
        + "; the study: 800 to 1200 in steps of 100)",
    )
    p.add_argument(
        "--min-cell-length-A",
        type=float,
        default=6.0,
        help="supercell rule for the demo, Å (default 6; the study uses 10)",
    )
    p.add_argument("--force", action="store_true", help="overwrite a previous demo")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.run import run_campaign

    duration = float(args.duration_ps)
    config = RunConfig(
        materials=("builtin:alpha-Li3N",),
        temperatures_K=tuple(args.temperatures_K),
        model=args.model,
        duration_ps=duration,
        equilibration_ps=round(duration * 0.2, 6),
        # a sub-ps run needs a tight thermostat to reach its temperatures (a
        # perfect crystal gives half its kinetic energy to the potential energy
        # within ~50 fs); the study-protocol default is 100 fs
        thermostat_tau_fs=25.0,
        min_cell_length_A=args.min_cell_length_A,
        sample_every_fs=4.0,
        thermo_every_fs=4.0,
        out=args.out,
    )
    result = run_campaign(config, force=args.force)
    from ionmd.fileformat import list_systems, read_system

    print(f"\nionmd demo: wrote {', '.join(str(p) for p in result.run_files)}")
    n_atoms = 0
    for path in result.run_files:
        for key in list_systems(path):
            rec = read_system(path, key, positions=False)
            n_atoms = int(rec.attrs["n_atoms"])
            steps, _, temps = rec.thermo["temperature_K"]
            temps = temps[steps >= int(rec.attrs["equilibration_steps"])]
            msd = rec.msd["mobile_A2"]
            print(
                f"  {key}: <T> after equilibration = {temps.mean():.0f} K (target "
                f"{rec.temperature_K:.0f} K), Li MSD at "
                f"{rec.msd['lag_ps'][-1]:.3f} ps = {msd[-1]:.2f} Å²"
            )
    if result.analysis is not None:
        from ionmd.cli.closing import closing_lines
        from ionmd.results import Results

        print(f"  analysis: {args.out}/results.json")
        print("\n".join(closing_lines(Results.from_dir(args.out))))
    print()
    print(CAVEAT.format(duration_ps=duration, n_atoms=n_atoms))
    return 0
