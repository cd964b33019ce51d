"""A synthetic adaptive campaign as the adaptive loop leaves it: ``adaptive.json``
(format: docs/analysis.md, "Adaptive campaigns") and a pool run file ``md.h5`` with
every system that entered the batch (positions and the ``/msd`` datasets)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from analysis_helpers import random_walk

from ionmd.fileformat import RunFileWriter, SystemInfo, SystemUpdate, system_key

CELL = np.diag([15.0, 15.0, 15.0])
SPECIES = ("Li",) * 24 + ("Ag",) * 8
TIMESTEP_FS = 4.0
CHUNK_STEPS = 6250  # 25 ps
SLOW_REASON = "hottest stable temperature 1100 K: Li MSD 6 Å² after 100 ps"
FAST_REASON = "2 reliable temperatures, σ(300 K) within 0.6 decades"
MELT_REASON = "2 reliable temperatures below the melt at 1000 K"

# (material, T, entered chunk, Li MSD at each decision, outcome, stop reason);
# a system is judged at the end of every chunk it ran, the last judgement stops it
_RUNS = [
    ("toy-fast", 800.0, 0, [12.1, 31.0], "reliable", "Li MSD 31 Å² ≥ 20 Å², D resolved"),
    ("toy-fast", 900.0, 0, [44.0], "reliable", "Li MSD 44 Å² ≥ 20 Å², D resolved"),
    (
        "toy-slow",
        1000.0,
        0,
        [0.9, 1.6, 2.2, 3.0],
        "sub_diffusive",
        "Li MSD 3 Å² after 100 ps",
    ),
    (
        "toy-slow",
        1100.0,
        4,
        [1.8, 3.5, 4.9, 6.0],
        "sub_diffusive",
        "Li MSD 6 Å² after 100 ps",
    ),
    ("toy-melt", 900.0, 0, [9.0, 25.0], "reliable", "Li MSD 25 Å² ≥ 20 Å², D resolved"),
    ("toy-melt", 1000.0, 0, [80.0], "melted", "framework MSD 5.2 Å² > 1 Å²: melted"),
    ("toy-melt", 950.0, 1, [11.0, 22.0], "reliable", "Li MSD 22 Å² ≥ 20 Å², D resolved"),
]
_ADDED = {  # key → (step, reason) of the add_temperature decision
    system_key("toy-slow", 1100.0): (4 * CHUNK_STEPS, "1000 K sub-diffusive at 100 ps"),
    system_key("toy-melt", 950.0): (
        CHUNK_STEPS,
        "melted at 1000 K leaves 1 of 2 reliable temperatures",
    ),
}


def _numbers(run_ps: float, msd: float, *, melted: bool = False) -> dict[str, float]:
    D = msd / (6 * run_ps) * 1e-4  # Å²/ps → cm²/s
    return {
        "run_ps": run_ps,
        "msd_A2": msd,
        "D_cm2_s": D,
        "D_log10_ci": round(0.6 / np.sqrt(run_ps / 25), 3),
        "framework_msd_A2": 5.2 if melted else 0.3,
    }


def adaptive_doc() -> dict:
    """The adaptive.json of the toy campaign above (done)."""
    events, systems = [], {}
    for mid, T, chunk0, msds, outcome, reason in _RUNS:
        key = system_key(mid, T)
        start = chunk0 * CHUNK_STEPS
        if key in _ADDED:
            step, why = _ADDED[key]
            events.append(
                {
                    "step": step,
                    "key": key,
                    "material_id": mid,
                    "temperature_K": T,
                    "event": "add_temperature",
                    "reason": why,
                }
            )
        events.append(
            {
                "step": start,
                "key": key,
                "material_id": mid,
                "temperature_K": T,
                "event": "enter",
            }
        )
        for i, msd in enumerate(msds):
            last = i == len(msds) - 1
            ev = {
                "step": start + (i + 1) * CHUNK_STEPS,
                "key": key,
                "material_id": mid,
                "temperature_K": T,
                "event": "stop" if last else "extend",
                "reason": reason if last else f"Li MSD {msd:g} Å² < 20 Å²",
                "numbers": _numbers(25.0 * (i + 1), msd, melted=outcome == "melted"),
            }
            if last:
                ev["outcome"] = outcome
            events.append(ev)
        systems[key] = {
            "material_id": mid,
            "temperature_K": T,
            "entered_step": start,
            "left_step": start + len(msds) * CHUNK_STEPS,
            "run_ps": 25.0 * len(msds),
            "outcome": outcome,
            "reason": reason,
            "numbers": events[-1]["numbers"],
        }
    end = 8 * CHUNK_STEPS
    events += [
        {
            "step": 2 * CHUNK_STEPS,
            "material_id": "toy-fast",
            "event": "material_done",
            "outcome": "resolved",
            "reason": FAST_REASON,
        },
        {
            "step": 3 * CHUNK_STEPS,
            "material_id": "toy-melt",
            "event": "material_done",
            "outcome": "resolved",
            "reason": MELT_REASON,
        },
        {
            "step": end,
            "material_id": "toy-slow",
            "event": "material_done",
            "outcome": "unresolved",
            "reason": SLOW_REASON,
        },
    ]
    events.sort(key=lambda e: e["step"])
    occupancy = [
        {
            "step_start": c * CHUNK_STEPS,
            "step_end": (c + 1) * CHUNK_STEPS,
            "atoms": atoms,
            "n_systems": atoms // 32,
            "queued": q,
        }
        for c, (atoms, q) in enumerate(
            [(160, 1), (160, 0), (96, 0), (32, 0), (32, 0), (32, 0), (32, 0), (32, 0)]
        )
    ]
    return {
        "schema": 1,
        "settings": {
            "chunk_ps": 25.0,
            "max_duration_ps": 100.0,
            "target_msd_A2": 20.0,
            "temperature_step_K": 100.0,
            "max_temperature_K": 1100.0,
            "min_temperature_K": 800.0,
            "min_reliable_temperatures": 2,
            "target_sigma300_log10_ci": 1.0,
            "target_D_log10_ci": 0.3,
            "max_atom_steps": 0,
        },
        "timestep_fs": TIMESTEP_FS,
        "capacity_atoms": 160,
        "step": end,
        "atom_steps": float(sum(r["atoms"] * CHUNK_STEPS for r in occupancy)),
        "occupancy": occupancy,
        "events": events,
        "systems": systems,
        "materials": {
            "toy-fast": {
                "status": "resolved",
                "reason": FAST_REASON,
                "temperatures_K": [800.0, 900.0],
                "reliable_K": [800.0, 900.0],
                "melted_K": [],
                "sigma300_log10_ci": 0.6,
            },
            "toy-melt": {
                "status": "resolved",
                "reason": MELT_REASON,
                "temperatures_K": [900.0, 950.0, 1000.0],
                "reliable_K": [900.0, 950.0],
                "melted_K": [1000.0],
                "sigma300_log10_ci": 0.8,
            },
            "toy-slow": {
                "status": "unresolved",
                "reason": SLOW_REASON,
                "temperatures_K": [1000.0, 1100.0],
                "reliable_K": [],
                "melted_K": [],
                "sigma300_log10_ci": None,
            },
        },
        "occupancy_mean": 0.95,
        "done": True,
    }


def write_run_file(path: Path, doc: dict, *, n_frames: int = 51) -> None:
    """Every system of ``doc`` that entered: a random walk (frames every 0.5 ps)
    and an ``/msd`` curve through its last judged MSD."""
    every = 125  # steps: 0.5 ps at 4 fs
    w = RunFileWriter(path)
    entered = {k: s for k, s in doc["systems"].items() if s["entered_step"] is not None}
    infos = [
        SystemInfo(
            key=k,
            material_id=s["material_id"],
            formula="Li3Ag",
            temperature_K=s["temperature_K"],
            timestep_fs=TIMESTEP_FS,
            steps_total=every * (n_frames - 1),
            equilibration_steps=0,
            sample_every_steps=every,
            cell=CELL,
            species=SPECIES,
        )
        for k, s in entered.items()
    ]
    w.create_systems(infos)
    for i, (k, s) in enumerate(entered.items()):
        run_ps, msd_end = s["numbers"]["run_ps"], s["numbers"]["msd_A2"]
        lag_ps = np.geomspace(0.05, run_ps, 30)
        D = msd_end / (6 * run_ps)
        pos = random_walk(n_frames=n_frames, n_walkers=24, D_A2_ps=D, dt_ps=0.5, seed=i)
        w.write(
            [
                SystemUpdate(
                    key=k,
                    positions=pos,
                    position_steps=np.arange(n_frames) * every,
                    msd={
                        "lag_steps": np.round(lag_ps * 1000 / TIMESTEP_FS).astype(int),
                        "lag_ps": lag_ps,
                        "mobile_A2": msd_end * (lag_ps / run_ps) ** 0.8,
                        "framework_A2": np.full(
                            lag_ps.size, s["numbers"]["framework_msd_A2"]
                        ),
                        "collective_A2": np.zeros(lag_ps.size),
                        "n_origins": np.ones(lag_ps.size, dtype=int),
                    },
                    steps_done=every * (n_frames - 1),
                    status="done",
                )
            ]
        )


def adaptive_run_dir(root: Path, doc: dict | None = None) -> Path:
    """``root/run`` with md.h5 and (``doc``, default :func:`adaptive_doc`) adaptive.json."""
    doc = doc or adaptive_doc()
    run = root / "run"
    run.mkdir(parents=True, exist_ok=True)
    write_run_file(run / "md.h5", doc)
    (run / "adaptive.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1))
    return run
