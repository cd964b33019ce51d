"""The device check's ``real_model`` part: a pretrained model on a real electrolyte.

Every other part runs a random-weight MACE: it measures cost and predicts
nothing. This one runs **SevenNet-0** (its weights ship inside the ``sevenn``
wheel, so nothing is fetched on the device) on **Li6PS5Cl at 700 K**, built in
code (:func:`ionmd.structures.builders.li6ps5cl_atoms`: the study's ≥ 10 Å rule
gives 2 × 2 × 2 cubic cells, 416 atoms, the size of the AIMD reference's cell),
in float32, through the campaign's own batch call (the study's protocol from a
:class:`~ionmd.campaign.config.CampaignConfig`, ``run_batch`` with the
model's name and version, as ``ionmd.campaign.run.InProcessRunner`` calls it).

Why SevenNet-0 and not CHGNet (wheel sizes measured with ``pip download``;
docs/gpu.md): sevenn 0.10.4 is 33.1 MB and imports nothing the wheelhouse lacks
(mace's e3nn 0.4.4 suits it; sevenn >= 0.11 would need e3nn >= 0.5), so the
carry is 45.0 MiB of wheels + 1.8 MiB of working tree = 46.8 MiB of 64.
CHGNet 0.4.2 is 13.7 MB but builds its graphs on the host from pymatgen
structures: with pymatgen and its declared requirements (pandas, matplotlib,
plotly, lxml, ...) 54.9 MiB, over the carry with the rest of the wheelhouse.

How long: a probe run (0.2 ps) measures seconds per step; the main run then
takes what fits in the part's time (at most ``max_ps``; 20 ps or more is the
aim, below ``min_ps`` it is skipped with the reason). D and its 95 % interval
come from the run file's multiple-window MSD with the adaptive loop's cheap
estimator (:func:`ionmd.campaign.adaptive.judge.system_numbers`; kinisi is not on
the device), next to the published AIMD value (:data:`REFERENCE`).

The dry run (CPU) runs the same code on the 52-atom unit cell for a few steps:
its numbers mean nothing.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check

MODEL = "sevennet-0"
MATERIAL = "Li6PS5Cl"
TEMPERATURE_K = 700.0
#: Cl/S exchange over 4a/4c, as in the AIMD reference (its frames: ~half)
ANION_EXCHANGE = 0.5
#: what the run is compared with (/work/shared/data/aimd/README.md)
REFERENCE: dict[str, Any] = {
    "D_cm2_s": 1.2e-5,
    "D_range_cm2_s": [1.07e-5, 1.31e-5],
    "what": "VASP AIMD of Li6PS5Cl (Li192 P32 S160 Cl32, a = 10.156 Å per cubic "
    "cell, Cl/S about half exchanged over 4a/4c; 140 frames of 0.1 ps = 14 ps), "
    "D(Li) from kinisi 2.x (in-plane 'xy', fitted from 3 ps): posterior "
    "1.07e-5 ... 1.31e-5 cm²/s; kinisi 0.3.9's documentation gave "
    "(9.0 ± 0.9)e-6 for the same file",
    "source": "kinisi documentation (MIT); the file is kinisi's "
    "tests/inputs/example_XDATCAR.gz (here /work/shared/data/aimd/li6ps5cl)",
    "temperature_note": "the source does not state the AIMD's temperature; "
    "700 K is this check's assumption (issue 25)",
}
SIZES: dict[str, dict[str, Any]] = {
    "gpu": {
        "min_cell_length_A": 10.0,
        "probe_ps": 0.2,
        "max_ps": 50.0,
        "min_ps": 2.0,
        "strides_fs": {},  # the study's protocol defaults
    },
    "dry": {
        "min_cell_length_A": 0.0,  # the 52-atom unit cell
        "probe_ps": 0.008,  # 4 steps
        "run_ps": 0.012,  # 6 steps
        "strides_fs": {
            "sample_every_fs": 4.0,
            "msd_every_fs": 2.0,
            "thermo_every_fs": 4.0,
            "fault_check_every_fs": 4.0,
        },
    },
}
#: probe steps left out of its timing (warm-up)
WARM_STEPS = 10
#: seconds kept back from the main run for reading and analysing its file
ANALYSIS_S = 10.0
#: fraction of the remaining time the main run is sized to (the probe's s/step
#: includes the first step's warm-up, so this is conservative twice)
SAFETY = 0.8
DRY_NOTE = (
    "DRY RUN on the CPU: a few steps of the 52-atom unit cell; D, MSD and "
    "throughput mean nothing"
)


def _config(*, duration_ps: float, size: dict[str, Any]) -> Any:
    """The campaign config of the run (study protocol, float32, 10 % equilibration)."""
    from ionmd.campaign.config import RunConfig

    eq_ps = 0.004 if duration_ps < 0.1 else round(0.1 * duration_ps, 3)
    return RunConfig(
        materials=(MATERIAL,),
        temperatures_K=(TEMPERATURE_K,),
        model=MODEL,
        **({"min_cell_length_A": size["min_cell_length_A"]} if _on_supercell(size) else {}),
        duration_ps=duration_ps,
        equilibration_ps=eq_ps,
        dtype="float32",
        progress=False,
        **size["strides_fs"],
    )


def _on_supercell(size: dict[str, Any]) -> bool:
    """Whether the run is on a supercell (the config records the rule's length)."""
    return size["min_cell_length_A"] > 0


def _systems(size: dict[str, Any]) -> list:
    from ionmd.engine.systems import SystemSpec
    from ionmd.structures.builders import LI6PS5CL_A_A, li6ps5cl_atoms

    atoms = li6ps5cl_atoms(
        min_cell_length_A=size["min_cell_length_A"], anion_exchange=ANION_EXCHANGE
    )
    reps = np.rint(atoms.cell.lengths() / LI6PS5CL_A_A).astype(np.int64)
    return [
        SystemSpec(
            material_id=MATERIAL,
            atoms=atoms,
            temperature_K=TEMPERATURE_K,
            run_seed=0,
            supercell=np.diag(reps),
        )
    ]


def _run(
    systems: list, model: Any, *, config: Any, path: Path, info: dict, **kw: Any
) -> Any:
    """One batch as the campaign runs it (``InProcessRunner._run_one``)."""
    from ionmd.engine.runner import run_batch

    return run_batch(
        systems,
        model,
        md=config.md,
        out_path=path,
        model_name=info["model_name"],
        model_version=info["model_version"],
        run_config=config.as_dict(),
        **kw,
    )


def _probe_s_per_step(
    systems: list, model: Any, *, size: dict, path: Path, info: dict
) -> float:
    """Seconds per step of a short run, after its first ``WARM_STEPS`` (CUDA's
    first steps build kernels: counted in, they would shrink the main run)."""
    marks: dict[str, float] = {}

    def mark(step: int, _state: object) -> None:
        if step == WARM_STEPS:
            if torch.cuda.is_available() and model.device.type == "cuda":
                torch.cuda.synchronize()
            marks["t"] = time.perf_counter()

    config = _config(duration_ps=size["probe_ps"], size=size)
    probe = _run(systems, model, config=config, path=path, info=info, step_callback=mark)
    if "t" not in marks:  # shorter than the warm-up (the dry run)
        return probe.wall_s / max(probe.steps, 1)
    return (time.perf_counter() - marks["t"]) / max(probe.steps - WARM_STEPS, 1)


def _duration_ps(
    *, size: dict[str, Any], s_per_step: float, left_s: float, dt_fs: float
) -> float:
    """The main run's length: what fits in ``left_s`` at ``s_per_step``, capped."""
    if "run_ps" in size:
        return float(size["run_ps"])
    steps = SAFETY * (left_s - ANALYSIS_S) / s_per_step
    return min(float(size["max_ps"]), math.floor(steps / 50) * 50 * dt_fs * 1e-3)


def _physics(path: Path, *, config: Any, systems: list) -> dict[str, Any]:
    """D with its interval, the Li and framework MSD, mean T, from the run file."""
    from ionmd.campaign.adaptive.judge import system_numbers
    from ionmd.fileformat import list_systems, read_system

    (key,) = list_systems(path)
    rec = read_system(path, key, positions=False)
    n_li = int(sum(s.atoms.get_chemical_symbols().count("Li") for s in systems))
    p = config.md
    numbers = system_numbers(
        rec.msd, n_ions=n_li, run_ps=p.duration_ps, equilibration_ps=p.equilibration_ps
    )
    steps, _, temps = rec.thermo["temperature_K"]
    after = temps[steps >= int(rec.attrs["equilibration_steps"])]
    ref = REFERENCE["D_cm2_s"]
    d = numbers["D_cm2_s"]
    return {
        "D_cm2_s": d,
        "D_ci95_cm2_s": numbers["D_ci95_cm2_s"],
        "li_msd_A2": numbers["msd_A2"],
        "framework_msd_A2": numbers["framework_msd_A2"],
        "mean_temperature_K": float(after.mean()) if after.size else None,
        "n_li": n_li,
        "D_over_reference": d / ref if d is not None else None,
    }


def resolves(out: dict[str, Any]) -> str:
    """A plain sentence on what a run of this length can and cannot resolve."""
    msd = out.get("li_msd_A2")
    lo, hi = out.get("D_ci95_cm2_s") or (None, None)
    ref_lo, ref_hi = REFERENCE["D_range_cm2_s"]
    reached = msd is not None and msd >= 20.0
    if lo is None or hi is None:
        verdict = "no interval could be fitted: the run says nothing about D"
    elif lo <= 0:
        verdict = "its interval reaches 0: D is not resolved"
    elif hi < ref_lo or lo > ref_hi:
        verdict = "its interval excludes the AIMD range"
    else:
        verdict = "its interval overlaps the AIMD range"
    return (
        f"{out.get('duration_ps', 0):.3g} ps with {out.get('n_li', 0)} Li in one cell "
        f"at one temperature: D to within its 95 % interval ({verdict}); the Li MSD "
        f"{'reached' if reached else 'did not reach'} the study's 20 Å² reliability "
        "threshold. It cannot resolve an activation energy or σ(300 K) (one "
        f"temperature), finite-size effects ({out.get('n_atoms', 0)} atoms), the real "
        "Li 48h and Cl/S disorder beyond this one arrangement, nor the lattice "
        "parameter's effect (9.85 Å here, 10.156 Å in the AIMD, whose own D is "
        "±10 % from 14 ps)."
    )


def run_real_model(*, device: torch.device, dry: bool, limit_s: float, tmp: Path) -> dict:
    """The part: load SevenNet-0, probe, run, estimate; a dict for the check's JSON."""
    try:
        import sevenn  # noqa: F401
    except ImportError:
        return {"status": "skipped", "reason": "sevenn is not installed (not carried?)"}
    from ionmd.calculators import load_model, model_info

    t0 = time.perf_counter()
    size = SIZES["dry" if dry else "gpu"]
    model = load_model(MODEL, device=device, dtype=torch.float32)
    info = model_info(MODEL)
    load_s = time.perf_counter() - t0
    systems = _systems(size)
    s_per_step = _probe_s_per_step(
        systems, model, size=size, path=tmp / "real_probe.h5", info=info
    )
    left_s = limit_s - (time.perf_counter() - t0)
    out: dict[str, Any] = {
        "model": MODEL,
        "model_version": info["model_version"],
        "material": MATERIAL,
        "temperature_K": TEMPERATURE_K,
        "n_atoms": len(systems[0].atoms),
        "supercell": np.diag(systems[0].supercell).tolist(),
        "dtype": "float32",
        "load_s": load_s,
        "probe_s_per_step": s_per_step,  # after WARM_STEPS
        "reference": REFERENCE,
    } | ({"note": DRY_NOTE} if dry else {})
    duration = _duration_ps(size=size, s_per_step=s_per_step, left_s=left_s, dt_fs=2.0)
    if not dry and duration < size["min_ps"]:
        return out | {
            "status": "skipped",
            "reason": f"at {s_per_step:.3g} s/step only {duration:.3g} ps fit in the "
            f"{left_s:.0f} s left (need >= {size['min_ps']} ps)",
        }
    config = _config(duration_ps=duration, size=size)
    path = tmp / "real_model.h5"
    summary = _run(systems, model, config=config, path=path, info=info)
    out |= {
        "duration_ps": duration,
        "equilibration_ps": config.md.equilibration_ps,
        "steps": summary.steps,
        "wall_s": summary.wall_s,
        "atom_steps_per_s": summary.atom_steps_per_s,
        "ns_per_day": summary.ns_per_day,
        "failed": summary.failed,
    }
    if summary.failed:
        return out | {"status": "error", "reason": f"the run failed: {summary.failed}"}
    out |= _physics(path, config=config, systems=systems)
    out["resolves"] = resolves(out)
    return out


def real_model(check: Check, limit_s: float) -> dict[str, Any]:
    """The part as the harness calls it (its own model; the check's device)."""
    return run_real_model(
        device=check.device, dry=check.dry, limit_s=limit_s, tmp=check.tmp
    )


__all__ = ["REFERENCE", "real_model", "resolves", "run_real_model"]
