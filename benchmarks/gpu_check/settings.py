"""The device check's constants: the parts in order, their sizes, time limits
and the notes its JSON carries. One place, so the harness and every part read
the same numbers."""

from __future__ import annotations

from typing import Any

SCHEMA = "ionmd-gpu-check/1"
MODEL_NOTE = (
    "MACE with random weights and medium-mpa-0's architecture (mace-mpa0-arch): "
    "the weights cannot be fetched on the device; same cost as the real model, "
    "meaningless forces"
)
DRY_MODEL_NOTE = "dry run on the CPU: mace-tiny (random, small) and tiny sizes"
STANDIN_NOTE = (
    "no OBELiX data on the device: the study's batch (its 21 materials at one "
    "temperature, ~5,500 atoms) is stood in for by 21 alpha-Li3N supercells of "
    "the same total size"
)
#: every part's status is one of these
STATUSES = ("ok", "skipped", "timeout", "error")

#: the parts, in the order they run (each has a file in this package)
PARTS = (
    "environment",
    "model_load",
    "engine_vs_ase",
    "study_batch",
    "largest_batch",
    "float64",
    "cueq",
    "skin",
    "host_syncs",
    "adaptive",
    "compile",  # inductor takes what time is left but real_model's reserve
    "real_model",  # last but one: the only part that predicts (its own limit)
    "projection",
)

SIZES: dict[str, dict[str, Any]] = {
    "gpu": {
        "model": "mace-mpa0-arch",
        "ase_min_cell_A": 10.0,  # 5 × 192 atoms
        "ase_temperatures_K": (800.0, 900.0, 1000.0, 1100.0, 1200.0),
        "ase_steps": 20,
        "repeats": 3,
        "study_reps": [(4, 4, 4)] * 19 + [(4, 4, 5)] * 2,  # 5,504 atoms
        "steps": 30,
        "largest_cap_atoms": 200_000,
        "fast_steps": 30,
    },
    "dry": {
        "model": "mace-tiny",
        "ase_min_cell_A": 6.0,  # 2 × 32 atoms
        "ase_temperatures_K": (800.0, 1200.0),
        "ase_steps": 4,
        "repeats": 3,
        "study_reps": [(2, 2, 2)] * 3,  # 96 atoms
        "steps": 4,
        "largest_cap_atoms": 192,
        "fast_steps": 4,
    },
}
#: per-part time limits, s (GPU; the dry run scales them by DRY_LIMIT_SCALE)
LIMITS_S = {
    "environment": 30,
    "model_load": 90,
    "engine_vs_ase": 75,
    "study_batch": 60,
    "largest_batch": 60,
    "float64": 45,
    "cueq": 45,
    "compile": 150,
    "skin": 30,
    "host_syncs": 30,
    "projection": 5,
    "adaptive": 60,
    "real_model": 150,
}
#: seconds held back for a later part: the parts before it cannot spend them
#: beyond 10 s each (compile would otherwise take what is left and leave
#: real_model nothing)
RESERVE_S = {"real_model": 100}
DRY_LIMIT_SCALE = 1.0  # a loaded 2-core machine needs the full limits
#: whole-check budget, s (the shell script's hard limit is 480)
BUDGET_S = 450
