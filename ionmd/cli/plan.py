"""``ionmd plan CONFIG.toml``: per material the supercell, atoms, orderings,
replicas, batches and projected cost, or why it cannot be run; no MD."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan",
        help="list what a campaign would run and cost (no MD)",
        description="Read every material of CONFIG, build its supercell (and with "
        'occupancy = "order" plan its orderings), pack the systems into batches '
        "and project the cost; one line per material that cannot be run, with why.",
    )
    p.add_argument("config", help="TOML file (see docs/config.md)")
    p.add_argument(
        "--us-per-atom-step",
        type=float,
        default=None,
        help="measured cost of the model on the device, microseconds per atom-step "
        "(default: the configured model's own anchor, ionmd/campaign/cost_anchors.py; "
        "a model without one gets no cost, not another model's)",
    )
    p.add_argument("--json", help="also write the whole plan to this JSON file")
    p.add_argument(
        "--place",
        action="store_true",
        help='with occupancy = "order": also place the orderings (Ewald ranking, '
        "species-aware distances, symmetry check; seconds per material), so the "
        "orderings per material and the refusals are those of ionmd run",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ionmd.calculators.registry import check_name
    from ionmd.campaign.config import load_config
    from ionmd.campaign.cost_projection import plan_campaign
    from ionmd.campaign.multi_model import check_dft_runs, model_dirs
    from ionmd.errors import InputError
    from ionmd.outdir import output_file

    if args.us_per_atom_step is not None and not 0 < args.us_per_atom_step < 1e6:
        raise InputError("--us-per-atom-step must be positive and finite (below 1e6)")
    if args.json:  # refused now, before the plan is computed and printed
        output_file(args.json, what="--json file", create=False, inputs=[args.config])
    config = load_config(args.config)
    for name in config.models or (config.model,):  # as ionmd run would refuse it
        check_name(name)
    check_dft_runs(config)
    if not config.models:
        plan = plan_campaign(
            config, us_per_atom_step=args.us_per_atom_step, place=args.place
        )
        _print_plan(plan)
    else:  # one campaign per model, as ionmd run does: each planned on its own
        plans = {}
        for model, folder in model_dirs(config).items():
            one = config.replace(model=model, models=(), dft_runs=(), out=str(folder))
            print(f"model {model} (into {folder}):")
            plans[model] = plan_campaign(
                one, us_per_atom_step=args.us_per_atom_step, place=args.place
            )
            _print_plan(plans[model])
            print()
        n_dft = len(config.dft_runs)
        dft = f"; DFT (VASP) from {n_dft} folder(s)" if n_dft else ""
        print(
            f"{len(plans)} models, one campaign each, then the comparison in "
            f"{config.out}; each at its own cost: "
            + "; ".join(f"{m} {_hours(p)}" for m, p in plans.items())
            + dft
        )
        plan = {"models": plans, "dft_runs": list(config.dft_runs)}
    if args.json:
        from ionmd.outputs import write_text_atomic

        output_file(args.json, what="--json file", inputs=[args.config])  # folders made
        write_text_atomic(args.json, json.dumps(plan, indent=1, default=str))
    return 0


def _hours(plan: dict) -> str:
    """``12.3 h on H100 80 GB`` or ``no anchor``."""
    hours = plan["totals"]["gpu_hours"]
    if hours is None:
        return "no anchor"
    return f"{hours:.3g} h on {plan['cost_card']}"


def _row_note(r: dict, *, adaptive: bool) -> str:
    """The batches a material's systems fall in, and what its supercell took."""
    # 1-based, as the run logs "batch 1/N" (the JSON keeps the 0-based index)
    note = "batch " + ",".join(str(b + 1) for b in r["batches"]) if r["batches"] else "-"
    if adaptive:  # one in-flight batch; the cost is the worst case
        note = "in-flight (worst case)"
    base = r.get("supercell_10A_rule")
    if base and base != r["supercell"]:
        note += "  enlarged from " + "x".join(str(x) for x in base)
    if r.get("counts_intended_placed"):
        note += "  counts " + " ".join(
            f"{el} {a:g}/{b}" for el, (a, b) in r["counts_intended_placed"].items()
        )
    if r.get("rounding"):
        note += "  rounding " + " ".join(f"{k}{v:+g}" for k, v in r["rounding"].items())
    return note


def _print_plan(plan: dict) -> None:
    print(f"{'material':<12} {'supercell':<9} {'atoms':>6} {'ord':>3} {'rep':>3} "
          f"{'sys':>4} {'atom-steps':>10} {'hours':>7}  batch / note")  # fmt: skip
    for r in plan["materials"]:
        if "atoms" not in r:
            print(f"{r['material']:<12} cannot run: {r['reason']}")
            continue
        sc = "x".join(str(x) for x in r["supercell"])
        hours = "-" if r["gpu_hours"] is None else f"{r['gpu_hours']:.3g}"
        print(
            f"{r['material']:<12} {sc:<9} {r['atoms']:>6} {r['orderings']:>3} "
            f"{r['replicas']:>3} {r['systems']:>4} {r['atom_steps']:>10.3g} {hours:>7}  "
            + _row_note(r, adaptive="adaptive" in plan)
        )
    t = plan["totals"]
    n_batches = "an unknown number of" if t["n_batches"] is None else t["n_batches"]
    cost = (
        f"{t['atom_steps']:.3g} atom-steps = {t['gpu_hours']:.3g} hours at "
        if t["gpu_hours"] is not None
        else f"{t['atom_steps']:.3g} atom-steps; "
    )
    worst = "; adaptive: worst case of the initial systems" if "adaptive" in plan else ""
    print(
        f"{t['n_runnable']} of {t['n_materials']} materials runnable "
        f"({t['n_ordered_from_disorder']} as orderings of a disordered structure), "
        f"{t['n_skipped']} skipped; atoms per supercell median {t['atoms_median']:g}, "
        f"max {t['atoms_max']}",
        f"batches: {t['n_systems']} systems in {n_batches} batch(es); "
        + plan["batch_source"],
        f"cost: {cost}{plan['cost_source']}{worst}",
        f"model elements: {plan['model_elements']}",
        sep="\n",
    )
    if "adaptive" in plan:
        from ionmd.campaign.adaptive.queue_projection import describe
        from ionmd.campaign.plan_cost import PlanCost

        cost_used = PlanCost(
            us_per_atom_step=plan["us_per_atom_step"],
            card=plan["cost_card"],
            source=plan["cost_source"],
        )
        print(describe(plan["adaptive"], cost=cost_used))
    if "cells" in plan:
        from ionmd.cells.plan import describe_cell_stage

        print(describe_cell_stage(plan["cells"]) + _stage_hours(plan))


def _stage_hours(plan: dict) -> str:
    """The cell stage's hours (not in the plan's cost line, which is the MD's),
    at the MD's rate: a lower bound, since each step also computes the stress."""
    hours = plan["cells"].get("gpu_hours_at_md_rate")
    if hours is None:
        return ""
    return (
        f"; that is {hours:.3g} h on {plan['cost_card']} at the MD's rate, on top of the "
        "cost above (at least: each of its steps also computes the stress)"
    )
