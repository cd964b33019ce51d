"""The toy campaign's adaptive D(T) and σ(300 K) against a fixed-length reference.

    python -m benchmarks.adaptive_toy_reference --out DIR \\
        [--also CAMPAIGN ...] --campaign NAME=ADAPTIVE_DIR [...]

The reference (computed once, cached in ``DIR/reference.json``): per toy
material, fixed-length study-protocol runs (``ionmd.run``, ``protocol =
"study"``, the adaptive benchmark's model, timestep, equilibration and
sampling) of ``--seeds`` independently seeded replicas (``n_replicas``) at the
temperatures of :data:`REFERENCE_RUNS`, in ``DIR/reference/<material>``.
``--also`` adds finished study campaigns with replicas of the same toy
materials (e.g. ``python -m benchmarks.calibration``'s, toy-fast at 800, 1000
and 1200 K) as further reference points. Per temperature: D as the mean over
the seeds (results.json ``pooled_replicas``: kinisi per run, the
random-effects t(n − 1) interval) and its standard error in ln D (the seeds'
standard deviation / √n / mean); per material, σ(300 K) and its 95 % interval
from the Arrhenius fit of those points
(:func:`ionmd.analysis.extrapolation.extrapolate_D`, the report's definition).
A temperature where any seed's framework melted is kept out (listed); one
where a seed's Li MSD stayed under the 20 Å² target is kept (the mean over
seeds is unbiased; the seeds' scatter is its error) and its smallest Li MSD
shown.

Each ``--campaign`` (an adaptive ``--out``/adaptive directory of
``python -m benchmarks.adaptive_toy``, analysed: results.json; without one the
loop's own per-system estimates in adaptive.json) is then compared with it
(:mod:`benchmarks.adaptive_toy_compare`): per material, resolved or not,
σ(300 K) [interval] and whether the interval covers the reference value,
ln(D / D_ref) at every temperature with a reference point (and whether the
campaign counted that temperature), and the campaign's atom-steps.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.adaptive_toy_compare import compare_campaign, load_campaign

#: material -> (temperatures K, production ps per run). The production length
#: is what two shared CPU cores allowed in 30 min (docs/adaptive.md, "Against a
#: fixed-length reference"), shorter than it should be: toy-melt's seeds pass
#: 20 Å² (36–133 Å²), toy-fast's at 700 K do not all (smallest 12 Å²).
REFERENCE_RUNS: dict[str, tuple[tuple[float, ...], float]] = {
    "toy-fast": ((700.0,), 24.0),
    "toy-melt": ((500.0, 700.0, 900.0), 10.0),
}
#: the adaptive benchmark's MD settings (benchmarks/adaptive_toy.py)
TIMESTEP_FS = 4.0
EQUILIBRATION_PS = 1.0
DTYPE = "float32"


def simulate(*, out: Path, material: str, seeds: int) -> Path:
    """One material's reference campaign in ``out/reference/<material>``
    (an existing finished one is returned as it is)."""
    import ionmd

    temps, production_ps = REFERENCE_RUNS[material]
    where = out / "reference" / material
    ionmd.run(
        [f"builtin:{material}"],
        temperatures_K=temps,
        model="toy",
        out=where,
        n_replicas=seeds,
        dtype=DTYPE,
        device="cpu",
        timestep_fs=TIMESTEP_FS,
        equilibration_ps=EQUILIBRATION_PS,
        duration_ps=EQUILIBRATION_PS + production_ps,
        sample_every_fs=100.0,
        msd_every_fs=20.0,
        thermo_every_fs=100.0,
        fault_check_every_fs=100.0,
        progress=False,
        seed=0,
    )
    return where


def _member_rows(
    results: dict[str, Any], material: str
) -> dict[float, list[dict[str, Any]]]:
    """T -> the results.json rows of ``material``'s replicas (``<id>``, ``<id>#rK``)."""
    from ionmd.analysis.members import replica_of

    rows: dict[float, list[dict[str, Any]]] = {}
    for mid, mat in results["materials"].items():
        if replica_of(mid)[0] != material:
            continue
        for t in mat.get("temperatures") or []:
            rows.setdefault(float(t["temperature_K"]), []).append(t)
    return rows


def reference_point(*, temperature_K: float, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One temperature's reference from its seeds' results.json rows: the mean D,
    the pooled 95 % interval (:func:`ionmd.analysis.pooling.pooled_value`) and
    the standard error of ln D (seeds' standard deviation / √n / mean)."""
    from ionmd.analysis.pooling import pooled_value

    D = np.array([float(r["D_cm2_s"]) for r in rows])
    pooled = pooled_value(
        [float(x) for x in D],
        [tuple(r.get("D_ci95_cm2_s") or (math.nan, math.nan)) for r in rows],
    )
    se = float(D.std(ddof=1) / math.sqrt(D.size) / D.mean()) if D.size > 1 else math.nan
    return {
        "temperature_K": temperature_K,
        "D_cm2_s": float(D.mean()),
        "D_ci95_cm2_s": list(pooled.ci95),
        "se_lnD": se,
        "n_seeds": int(D.size),
        "D_by_seed_cm2_s": [float(x) for x in D],
        "run_ps": sorted({float(r["duration_ps"]) for r in rows}),
        "min_msd_A2": float(min(r["msd_max_A2"] for r in rows)),
        "melted": any(bool(r.get("framework_mobile")) for r in rows),
        "n_mobile": float(np.mean([r["n_mobile"] for r in rows])),
        "volume_A3": float(np.mean([r["volume_A3"] for r in rows])),
    }


def reference_sigma300(points: list[dict[str, Any]]) -> dict[str, Any]:
    """σ(300 K) and its 95 % interval from the Arrhenius fit of the reference
    points (the report's definition)."""
    from ionmd.analysis.conductivity import sigma_mS_cm
    from ionmd.analysis.extrapolation import ArrheniusPoint, extrapolate_D

    ex = extrapolate_D(
        points=[
            ArrheniusPoint(
                temperature_K=p["temperature_K"],
                D_cm2_s=p["D_cm2_s"],
                D_ci95_cm2_s=tuple(p["D_ci95_cm2_s"]),
            )
            for p in points
        ],
        temperature_K=300.0,
    )
    if not points or not math.isfinite(ex.D_cm2_s):
        return {"sigma_300K_mS_cm": None, "sigma_300K_ci95_mS_cm": [None, None]}

    def to_sigma(D: float) -> float:
        return sigma_mS_cm(
            D_cm2_s=D,
            n_mobile=round(points[0]["n_mobile"]),
            volume_A3=points[0]["volume_A3"],
            temperature_K=300.0,
        )

    return {
        "sigma_300K_mS_cm": to_sigma(ex.D_cm2_s),
        "sigma_300K_ci95_mS_cm": [to_sigma(x) for x in ex.D_ci95_cm2_s],
        "Ea_eV": ex.fit.Ea_eV if ex.fit else None,
        "prediction": ex.prediction,
        "prediction_reason": ex.reason,
    }


def build_reference(*, sources: list[Path]) -> dict[str, Any]:
    """reference.json's ``materials`` from analysed study campaigns with replicas."""
    rows: dict[str, dict[float, list[dict[str, Any]]]] = {}
    for src in sources:
        results = json.loads((src / "results.json").read_text())
        for material in REFERENCE_MATERIALS:
            for T, rs in _member_rows(results, material).items():
                rows.setdefault(material, {}).setdefault(T, []).extend(rs)
    materials: dict[str, Any] = {}
    for material, by_T in sorted(rows.items()):
        pts = [reference_point(temperature_K=T, rows=by_T[T]) for T in sorted(by_T)]
        kept = [p for p in pts if not p["melted"]]
        materials[material] = {
            "points": kept,
            "melted_K": [p["temperature_K"] for p in pts if p["melted"]],
            "temperatures_K": [p["temperature_K"] for p in kept],
        } | reference_sigma300(kept)
    return materials


#: the toy materials a reference can hold
REFERENCE_MATERIALS = ("toy-fast", "toy-melt", "toy-slow")


def reference(*, out: Path, seeds: int, also: list[Path]) -> dict[str, Any]:
    """The reference, from ``out/reference.json`` when it was made with the same
    settings, else simulated (what is missing) and written there."""
    settings = {
        "runs": {m: [list(t), ps] for m, (t, ps) in REFERENCE_RUNS.items()},
        "seeds": seeds,
        "also": sorted(str(p) for p in also),
        "timestep_fs": TIMESTEP_FS,
        "equilibration_ps": EQUILIBRATION_PS,
        "dtype": DTYPE,
    }
    cache = out / "reference.json"
    if cache.exists():
        doc = json.loads(cache.read_text())
        if doc.get("settings") == settings:
            return doc
    own = [simulate(out=out, material=m, seeds=seeds) for m in REFERENCE_RUNS]
    doc = {"settings": settings, "materials": build_reference(sources=own + list(also))}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(doc, indent=1))
    return doc


def _g(x: Any, fmt: str = ".3g") -> str:
    return "–" if x is None or not math.isfinite(float(x)) else format(float(x), fmt)


def _interval(pair: list[Any]) -> str:
    lo, hi = (pair or [None, None])[:2]
    return f"[{_g(lo)}, {_g(hi)}]"


def format_reference(doc: dict[str, Any]) -> list[str]:
    """The reference as a markdown table, then σ(300 K) per material."""
    lines = [
        "| material | T (K) | D_ref (cm²/s) | SE of ln D | seeds × run (ps) "
        "| min Li MSD (Å²) |",
        "|---|---|---|---|---|---|",
    ]
    for mid, m in doc["materials"].items():
        for p in m["points"]:
            runs = "+".join(f"{x:g}" for x in p["run_ps"])
            lines.append(
                f"| {mid} | {p['temperature_K']:g} | {_g(p['D_cm2_s'])} | "
                f"{_g(p['se_lnD'], '.3f')} | {p['n_seeds']} × {runs} | "
                f"{_g(p['min_msd_A2'], '.1f')} |"
            )
    lines.append("")
    for mid, m in doc["materials"].items():
        melted = f"; melted (left out) at {m['melted_K']} K" if m["melted_K"] else ""
        lines.append(
            f"reference {mid}: σ(300 K) {_g(m['sigma_300K_mS_cm'])} mS/cm "
            f"{_interval(m['sigma_300K_ci95_mS_cm'])} from "
            f"{', '.join(f'{t:g}' for t in m['temperatures_K'])} K{melted}"
        )
    return lines


def format_comparison(comparisons: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """campaign name -> :func:`compare_campaign`'s, as one markdown table: per
    material and campaign, ln(D / D_ref) ± the reference's SE at each reference
    temperature, z (the ratio over the reference's and the run's own SE
    combined), the campaign's run length there (the whole cell in
    parentheses: not counted by the campaign)."""
    lines = [
        "| material | campaign | status | σ(300 K) (mS/cm) [95 %] | covers ref? "
        "| ln(D/D_ref) ± SE_ref, z by T (K) | atom-steps |",
        "|---|---|---|---|---|---|---|",
    ]
    mids = sorted({mid for comp in comparisons.values() for mid in comp})
    for mid in mids:
        for name, comp in comparisons.items():
            c = comp.get(mid)
            if c is None:
                continue
            cells = []
            for T, p in sorted(c["points"].items()):
                cell = f"{T:g}: {_g(p['ln_ratio'], '+.2f')} ± {_g(p['se_ref'], '.2f')}"
                cell += f", z {_g(p.get('z'), '+.1f')}"
                if p.get("run_ps") is not None:
                    cell += f" ({float(p['run_ps']):.3g} ps)"
                cells.append(cell if p["counted"] else f"({cell})")
            covered = {None: "–", True: "yes", False: "no"}[c["covered"]]
            lines.append(
                f"| {mid} | {name} | {c['status']} | {_g(c['sigma_300K_mS_cm'])} "
                f"{_interval(c['sigma_300K_ci95_mS_cm'])} | {covered} | "
                f"{'; '.join(cells) or '–'} | {c['atom_steps']:.3g} |"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", type=Path, required=True, help="reference runs and reference.json"
    )
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="a finished study campaign with replicas of a toy material",
    )
    ap.add_argument(
        "--campaign",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="an adaptive campaign directory (its adaptive.json, results.json)",
    )
    args = ap.parse_args(argv)
    doc = reference(out=args.out, seeds=args.seeds, also=args.also)
    lines = format_reference(doc)
    comparisons = {}
    for spec in args.campaign:
        name, _, path = spec.partition("=")
        comparisons[name] = compare_campaign(
            campaign=load_campaign(Path(path)), reference=doc
        )
    if comparisons:
        lines += ["", *format_comparison(comparisons)]
        (args.out / "comparison.json").write_text(json.dumps(comparisons, indent=1))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
