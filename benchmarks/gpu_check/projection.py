"""Part ``projection``: hours for the study's full protocol at the throughput
measured by ``study_batch`` and ``largest_batch``, against the study's own cost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check

#: the study's full protocol (docs: NOTES; ionmd.cli.bench.STUDY_ATOM_STEPS)
STUDY_ATOM_STEPS = 5716 * 5 * 50_000
#: the study's own cost: 105 (material, T) runs × median 47 min (ASE, one A100)
STUDY_SEQUENTIAL_H = 105 * 47 / 60


def projection(check: Check, _limit_s: float) -> dict[str, Any]:
    parts = check.result["parts"]
    cands = {
        name: parts[name]["engine_us_per_atom_step"]
        for name in ("study_batch", "largest_batch")
        if parts.get(name, {}).get("status") == "ok"
    }
    if not cands:
        return {"status": "skipped", "reason": "no throughput measured"}
    out: dict[str, Any] = {
        "study_atom_steps": STUDY_ATOM_STEPS,
        "study_sequential_h": STUDY_SEQUENTIAL_H,
    }
    for name, us in cands.items():
        hours = STUDY_ATOM_STEPS * us * 1e-6 / 3600.0
        out[f"campaign_h_at_{name}"] = hours
        out[f"speedup_vs_study_at_{name}"] = STUDY_SEQUENTIAL_H / hours
    return out
