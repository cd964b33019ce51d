"""Which temperatures of a material enter its Arrhenius fit, each with the reason.

- **Study protocol** (no adaptive.json): every temperature with a finite D and
  an intact framework (framework MSD < 5 Å²) and frames close enough to unwrap
  (:mod:`ionmd.numerics.unwrap_check`), whether or not its Li MSD reached
  20 Å² — the study fitted all five temperatures it ran and its numbers, which
  the audit reproduced, rest on that choice.
- **Adaptive protocol**: exactly the protocol's fit set for the material
  (:func:`ionmd.analysis.fit_set.fit_set`, the definition its judge uses: every
  diffusive temperature, reliable or slow_diffusive, below any melt), so the
  σ(300 K) reported is the one that resolved it (same points, same function,
  :func:`ionmd.analysis.extrapolation.extrapolate_D`). A temperature it did not
  fit (caged, above a melt, melted, cancelled, failed) is left out with the
  protocol's reason. The analysis' own checks still apply on top (a framework
  that the analysis finds mobile, a D that is not finite, frames too far apart).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ionmd.analysis.diffusion import DiffusionResult
from ionmd.analysis.reliability import FRAMEWORK_MSD_THRESHOLD_A2

STUDY_REASON = "study protocol: framework intact (every such run is fitted)"
ADAPTIVE_REASON = (
    "fitted by the adaptive protocol (diffusive: reliable or slow_diffusive, below "
    "any melt)"
)


@dataclass(frozen=True, kw_only=True)
class CountedTemperatures:
    """The temperatures a protocol fits for one material, why each (temperature →
    reason; default :data:`ADAPTIVE_REASON`) and, for the others it ran, why not."""

    counted_K: tuple[float, ...]
    why_not: Mapping[float, str] = field(default_factory=dict)
    why_counted: Mapping[float, str] = field(default_factory=dict)
    #: one note on the set as a whole ("": none), e.g. that the protocol decided on
    #: another set (an adaptive.json written before the fit-set rule)
    note: str = ""
    protocol: str = "adaptive"


def _near(T: float, values: Sequence[float]) -> float | None:
    return next((v for v in values if abs(v - T) < 1e-6), None)


def fit_use(
    temps: Sequence[DiffusionResult], *, counted: CountedTemperatures | None = None
) -> list[tuple[bool, str]]:
    """(used in the fit, why) for each of ``temps``: the study's rule, or the
    protocol's ``counted`` temperatures (see the module doc)."""
    out: list[tuple[bool, str]] = []
    for r in temps:
        T = float(r.temperature_K)
        if not (math.isfinite(r.D_cm2_s) and r.D_cm2_s > 0):
            out.append((False, "no finite positive D"))
        elif r.framework_mobile:
            growth = r.framework_growth_A2
            grows = "" if growth is None else f", growing {growth:.3g} Å² per 100 ps"
            out.append(
                (
                    False,
                    f"framework MSD {r.framework_msd_max_A2:.3g} Å² ≥ "
                    f"{FRAMEWORK_MSD_THRESHOLD_A2:g} Å²{grows}: framework mobile (melting)",
                )
            )
        elif r.unwrap_unreliable:
            out.append((False, r.unwrap_unreliable))
        elif counted is None:
            out.append((True, STUDY_REASON))
        elif _near(T, counted.counted_K) is not None:
            key = _near(T, list(counted.why_counted))
            out.append((True, ADAPTIVE_REASON if key is None else counted.why_counted[key]))
        else:
            key = _near(T, list(counted.why_not))
            why = counted.why_not[key] if key is not None else "not in its fit set"
            out.append((False, f"not fitted by the adaptive protocol: {why}"))
    return out


def fit_notes(
    temps: Sequence[DiffusionResult],
    use: Sequence[tuple[bool, str]],
    *,
    counted: CountedTemperatures | None = None,
) -> list[str]:
    """One note per temperature left out of the fit, and one per temperature the
    protocol counted that has no analysed result (the judge fitted it, the report
    cannot)."""
    notes = [
        f"{r.temperature_K:g} K excluded from the fit: {why}"
        for r, (used, why) in zip(temps, use, strict=True)
        if not used
    ]
    if counted and counted.note:
        notes.append(counted.note)
    analysed = [float(r.temperature_K) for r in temps]
    for T in counted.counted_K if counted else ():
        if _near(T, analysed) is None:
            notes.append(
                f"{T:g} K fitted by the adaptive protocol but not analysed: the fit "
                "lacks it"
            )
    return notes


__all__ = ["CountedTemperatures", "fit_notes", "fit_use"]
