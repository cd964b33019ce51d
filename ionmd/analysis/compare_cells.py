"""What the cell does to D: runs that differ in ``cell`` (e.g. "experimental"
and "npt" with the same model) per material and temperature, each run's D
against the reference run's (the experimental cell's, else the first run's).

The difference is told apart when |D_b − D_a| > 1.96 √(σ_a² + σ_b²), σ each
run's kinisi standard deviation of D (results.json ``D_sigma_cm2_s``; its ±1.96σ
interval covered 0.90 of one run's D in docs/uncertainty.md's calibration, so
"told apart" is at about the 95 % level, a little optimistic); otherwise the
page says plainly that the runs cannot tell the cells apart, with |z|.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

#: |z| above which two D are told apart (two-sided 95 % of a normal)
TOLD_APART_Z = 1.96


class _Run(Protocol):
    label: str
    cell: str
    materials: dict[str, dict[str, Any]]


def reference_label(runs: Sequence[_Run]) -> str:
    """The run the others are compared with: the experimental cell's, else the first."""
    return next((r.label for r in runs if r.cell == "experimental"), runs[0].label)


def d_by_cell(runs: Sequence[_Run]) -> dict[str, Any] | None:
    """Per (material, temperature): every run's D, σ, reliability and volume
    change, and each run's ratio, z and verdict against the reference run; None
    when every run has the same cell (a model comparison, not a cell one)."""
    if len({r.cell for r in runs}) < 2:
        return None
    ref = reference_label(runs)
    by_label = {r.label: _temperatures(r) for r in runs}
    keys = sorted({k for t in by_label.values() for k in t})
    rows = []
    for mid, temperature_K in keys:
        cells = {label: t.get((mid, temperature_K)) for label, t in by_label.items()}
        a = cells[ref]
        against = {label: _against(a, b) for label, b in cells.items() if label != ref}
        rows.append(
            {
                "material": mid,
                "temperature_K": temperature_K,
                "runs": cells,
                "against_reference": against,
            }
        )
    return {"reference": ref, "told_apart_z": TOLD_APART_Z, "rows": rows}


def _temperatures(run: _Run) -> dict[tuple[str, float], dict[str, Any]]:
    out = {}
    for mid, m in run.materials.items():
        for t in m.get("temperatures") or ():
            out[(mid, float(t["temperature_K"]))] = {
                "D_cm2_s": t.get("D_cm2_s"),
                "D_sigma_cm2_s": t.get("D_sigma_cm2_s"),
                "reliable": t.get("reliable"),
                "volume_change_pct": t.get("volume_change_pct"),
                "cell_source": t.get("cell_source"),
            }
    return out


def _against(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> dict[str, Any]:
    """b's D against a's: ratio, z and the verdict (a one-line reason when none)."""
    values = [x and x.get(k) for x in (a, b) for k in ("D_cm2_s", "D_sigma_cm2_s")]
    if any(v is None or not math.isfinite(v) for v in values):
        return {"ratio": None, "z": None, "verdict": "no D in both runs"}
    d_a, s_a, d_b, s_b = (float(v) for v in values)
    combined = math.hypot(s_a, s_b)
    ratio = d_b / d_a if d_a > 0 else None
    if combined <= 0:
        return {"ratio": ratio, "z": None, "verdict": "no uncertainty: cannot tell"}
    z = (d_b - d_a) / combined
    verdict = (
        f"told apart (|z| = {abs(z):.1f} ≥ {TOLD_APART_Z})"
        if abs(z) >= TOLD_APART_Z
        else f"cannot tell (|z| = {abs(z):.1f} < {TOLD_APART_Z})"
    )
    return {"ratio": ratio, "z": z, "verdict": verdict}


__all__ = ["TOLD_APART_Z", "d_by_cell", "reference_label"]
