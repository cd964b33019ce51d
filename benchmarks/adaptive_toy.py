"""The fixed study protocol against the adaptive one, on the toy campaign (issue 13).

Three toy-conductor materials (docs/toy_conductor.md): toy-fast (diffusive, but
slow to reach 20 Å² at the cold end), toy-slow (sub-diffusive below ~1300 K) and
toy-melt (its framework melts in the study's range). Both protocols start from
the study's five temperatures (800–1200 K) with the same batch capacity; the
study protocol runs every system for ``--study-ps``, the adaptive one decides
per chunk. One run of this script runs both and prints, side by side:

- per material, the temperatures where the Li MSD reached 20 Å² with the
  framework intact (the study's reliability, read from the run files: the /msd
  lag grid and the whole-run lag of the stored frames);
- materials reliable at >= min_reliable_temperatures temperatures;
- atom-steps spent; for the adaptive run, the decisions (temperatures added,
  melts caught, why a material ended unresolved) and the batch occupancy.

    python -m benchmarks.adaptive_toy --out /tmp/adaptive_toy
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np

MATERIALS = ("builtin:toy-fast", "builtin:toy-slow", "builtin:toy-melt")
STUDY_T = (800.0, 900.0, 1000.0, 1100.0, 1200.0)


def _common(args: argparse.Namespace) -> dict[str, Any]:
    return dict(
        materials=MATERIALS,
        temperatures_K=STUDY_T,
        model="toy",
        device="cpu",
        dtype=args.dtype,
        timestep_fs=4.0,
        equilibration_ps=1.0,
        sample_every_fs=100.0,
        msd_every_fs=20.0,
        thermo_every_fs=100.0,
        fault_check_every_fs=100.0,
        max_atoms_per_batch=args.capacity_systems * 135,
        progress=False,
    )


def _reliable_from_runfiles(out: Path) -> dict[str, dict[float, dict[str, float]]]:
    """Per material and temperature: the largest Li and framework MSD on the grid."""
    from ionmd.analysis.reliability import FRAMEWORK_MSD_THRESHOLD_A2, LI_MSD_THRESHOLD_A2

    table: dict[str, dict[float, dict[str, float]]] = {}
    for path in sorted(out.glob("md*.h5")):
        with h5py.File(path) as f:
            for key in f["parameters"]:
                if key == "ionmd":
                    continue
                a = f[f"parameters/{key}"].attrs
                li = float(np.nanmax(f[f"msd/{key}/mobile_A2"][()]))
                pos = f[f"particles/{key}/position/value"]
                if pos.shape[0] >= 2:  # the whole-run lag, as the analysis includes it
                    li = max(li, float(((pos[-1] - pos[0]) ** 2).sum(-1).mean()))
                fw = float(np.nanmax(f[f"msd/{key}/framework_A2"][()]))
                row = {
                    "li_A2": li,
                    "fw_A2": fw,
                    "run_ps": int(a["steps_done"]) * float(a["timestep_fs"]) * 1e-3,
                    "reliable": li >= LI_MSD_THRESHOLD_A2
                    and fw < FRAMEWORK_MSD_THRESHOLD_A2,
                }
                table.setdefault(str(a["material_id"]), {})[float(a["temperature_K"])] = row
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--study-ps", type=float, default=10.0)
    ap.add_argument("--chunk-ps", type=float, default=2.0)
    ap.add_argument("--max-duration-ps", type=float, default=30.0)
    ap.add_argument("--min-reliable", type=int, default=4)
    ap.add_argument("--capacity-systems", type=int, default=6)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--report-only", action="store_true", help="re-read an --out")
    args = ap.parse_args(argv)
    if args.report_only:
        print(_report(args, {"study": float("nan"), "adaptive": float("nan")}))
        return 0
    from ionmd.campaign.config import RunConfig
    from ionmd.campaign.run import run_campaign

    common = _common(args)
    study = RunConfig(**common, duration_ps=args.study_ps, out=str(args.out / "study"))
    adaptive = RunConfig(
        **common,
        protocol="adaptive",
        chunk_ps=args.chunk_ps,
        max_duration_ps=args.max_duration_ps,
        min_reliable_temperatures=args.min_reliable,
        max_temperature_K=1500.0,
        min_temperature_K=500.0,
        out=str(args.out / "adaptive"),
    )
    walls = {}
    for name, cfg in (("study", study), ("adaptive", adaptive)):
        record = args.out / name / "campaign.json"
        if record.exists() and json.loads(record.read_text()).get("status") == "done":
            print(f"{name}: re-using the finished campaign in {record.parent}")
            walls[name] = float("nan")
            continue
        t0 = time.perf_counter()
        run_campaign(cfg, analyze=False)
        walls[name] = time.perf_counter() - t0
    print(_report(args, walls))
    return 0


def _report(args: argparse.Namespace, walls: dict[str, float]) -> str:
    study_rel = _reliable_from_runfiles(args.out / "study")
    adapt_rel = _reliable_from_runfiles(args.out / "adaptive")
    record = json.loads((args.out / "study" / "campaign.json").read_text())
    study_cost = sum(b["n_atoms"] * b["steps"] for b in record["batches"])
    state = json.loads((args.out / "adaptive" / "adaptive.json").read_text())
    lines = [
        f"toy campaign: {len(MATERIALS)} materials, start {_t(list(STUDY_T))} K; "
        f"study {args.study_ps:g} ps per system; adaptive chunk {args.chunk_ps:g} ps, "
        f"max {args.max_duration_ps:g} ps; batch capacity {args.capacity_systems} systems",
        "",
        "| material | study: reliable T (K) | adaptive: reliable T (K) "
        "| adaptive: fitted T (K) | adaptive verdict |",
        "|---|---|---|---|---|",
    ]
    n_ok = {"study": 0, "adaptive": 0, "resolved": 0}
    for mid in sorted(set(study_rel) | set(adapt_rel)):
        s = sorted(T for T, r in study_rel.get(mid, {}).items() if r["reliable"])
        # the loop's own count: reliable, framework intact, below any melt
        a = sorted(state["materials"].get(mid, {}).get("reliable_K") or [])
        n_ok["study"] += len(s) >= args.min_reliable
        n_ok["adaptive"] += len(a) >= args.min_reliable
        m = state["materials"].get(mid, {})
        n_ok["resolved"] += m.get("status") == "resolved"
        # the fit set (diffusive, below any melt): what σ(300 K) is fitted over
        f = sorted(m.get("fit_K") or [])
        lines.append(
            f"| {mid} | {_t(s)} ({len(s)}) | {_t(a)} ({len(a)}) | {_t(f)} ({len(f)}) | "
            f"{m.get('status', '?')}: {m.get('reason', '')} |"
        )
    occ = state.get("occupancy_mean")
    occ_q = state.get("occupancy_mean_while_queued")
    lines += [
        "",
        f"materials reliable at >= {args.min_reliable} temperatures: study "
        f"{n_ok['study']}, adaptive {n_ok['adaptive']} of {len(MATERIALS)}; "
        f"adaptive resolved {n_ok['resolved']}",
        f"atom-steps: study {study_cost:.3g}, adaptive {state['atom_steps']:.3g} "
        f"(ratio {state['atom_steps'] / study_cost:.2f})",
        f"wall: study {walls['study']:.0f} s, adaptive {walls['adaptive']:.0f} s",
        "adaptive batch occupancy (atoms / capacity, step-weighted): "
        f"{_pct(occ)} over the whole run, {_pct(occ_q)} while systems were queued",
        "",
        "adaptive decisions (added temperatures, stops, materials):",
    ]
    for e in state["events"]:
        if e["event"] in ("add_temperature", "stop", "cancel", "material_done"):
            who = e.get("key") or e.get("material_id")
            what = e.get("outcome", e["event"])
            t_ps = e["step"] * state["timestep_fs"] * 1e-3
            lines.append(f"  {t_ps:7.1f} ps  {who}: {what}: {e.get('reason', '')}")
    return "\n".join(lines)


def _t(values: list[float]) -> str:
    return ", ".join(f"{t:g}" for t in values) or "none"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


if __name__ == "__main__":
    sys.exit(main())
