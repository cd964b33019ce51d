"""Fixed pooling inputs (a results.json ``materials`` section: replicas of a plain
material, an ordering with replicas, an ordering without, a missing D, a member
without σ, a temperature left out of a fit, one material with too few
temperatures for a fit) for tests/analysis/test_pooled_types.py; the pooled
sections ionmd wrote from them before the pooled results were typed are
tests/fixtures/pooled/expected.json."""

from __future__ import annotations

import math
from typing import Any

from ionmd.analysis.arrhenius import KB_EV_PER_K

SIGMA_EXP_mS_cm = {"plain": 2.5, "abc": 0.7}


def _row(t: float, d: float | None, *, half: float, **extra: Any) -> dict[str, Any]:
    sigma = None if d is None else 3.1e4 * d * 1000.0 / t
    return {
        "temperature_K": t,
        "D_cm2_s": d,
        "D_ci95_cm2_s": [None, None] if d is None else [d - half * d, d + half * d],
        "sigma_mS_cm": sigma,
        "sigma_ci95_mS_cm": (
            [None, None] if sigma is None else [sigma * (1 - half), sigma * (1 + half)]
        ),
        "reliable": True,
        "used_in_fit": True,
        "n_mobile": 8,
        "volume_A3": 1167.5,
    } | extra


def _d(t: float, *, ea_eV: float, f: float) -> float:
    return f * 1e-3 * math.exp(-ea_eV / (KB_EV_PER_K * t))


def materials_section() -> dict[str, dict[str, Any]]:
    """material id -> {"temperatures": rows}, as results.json holds them."""
    temps = (800.0, 1000.0, 1200.0)
    out: dict[str, dict[str, Any]] = {}
    for mid, f, half in (
        ("plain", 0.9, 0.2),
        ("plain#r2", 1.15, 0.3),
        ("plain#r3", 1.0, 0.25),
    ):
        out[mid] = {
            "temperatures": [_row(t, _d(t, ea_eV=0.25, f=f), half=half) for t in temps]
        }
    out["plain#r3"]["temperatures"][0] |= {"reliable": False}
    for mid, f in (("abc#o1", 0.8), ("abc#o1#r2", 1.3), ("abc#o2", 1.1)):
        rows = [_row(t, _d(t, ea_eV=0.4, f=f), half=0.15) for t in temps]
        out[mid] = {"temperatures": rows}
    out["abc#o2"]["temperatures"][2] = _row(1200.0, None, half=0.15)  # no D there
    out["abc#o1#r2"]["temperatures"][1] |= {"sigma_mS_cm": None}  # no σ there
    out["abc#o1"]["temperatures"][0] |= {"used_in_fit": False, "reliable": False}
    out["one#o1"] = {"temperatures": [_row(900.0, 2e-6, half=0.1)]}  # no fit
    out["one#o2"] = {"temperatures": [_row(900.0, 3e-6, half=0.1)]}
    out["lone"] = {"temperatures": [_row(900.0, 5e-6, half=0.1)]}  # not pooled
    return out
