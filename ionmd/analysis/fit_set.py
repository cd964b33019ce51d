"""Which temperatures of an adaptive campaign enter a material's Arrhenius fit:
the one definition the protocol's judge (its σ(300 K) width, resolve and add
decisions: :func:`ionmd.campaign.adaptive.judge.plan_material`) and the analysis
(``used_in_fit``: :mod:`ionmd.analysis.adaptive.counted`) both call.

The fit set is every temperature whose run ended *diffusive*, below any melt:
``reliable`` (the Li MSD reached the target) **or** ``slow_diffusive`` (short of
it at ``max_duration_ps``, but still growing linearly in the lag); each enters
with its own interval, wider where fewer hops were seen. ``caged`` (the MSD
levels off: its slope is no diffusion coefficient), melted, cancelled, failed
and stopped runs stay out, and so does a diffusive run at or above a melt (too
short to see the melt nucleate).

Why not the reliable ones alone: classing a run usable because its own MSD
reached 20 Å² selects its upward fluctuations. Where 20 Å² is reached on average
just at ``max_duration_ps`` the runs that reach it have D high by 7 % (the
accumulator's estimate) to 14 % (the analysis's least squares), whatever the
stopping rule; the diffusive runs together are within 1–3 % of the truth
(``python -m benchmarks.adaptive_stopping_bias``, docs/adaptive.md "Which
temperatures are fitted"). The shape test that keeps ``caged`` out looks at the
log-log slope, which calls no hopping run caged at the boundary or above (the
split selects nothing there; it does select where a run sees only a few hops
on the vibrational plateau, and those runs' intervals are wide).

How many reached the target (``reached_K``, adaptive.json's ``reliable_K``) is
still reported: it is the study's reliability count (20 Å² Li MSD).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

#: outcomes whose D enters the fit (below any melt)
FIT_OUTCOMES = ("reliable", "slow_diffusive")


@dataclass(frozen=True, kw_only=True)
class FitSet:
    """One material's fit temperatures (``fit_K``), those among them whose Li MSD
    reached the target (``reached_K``), and the lowest melt (inf: none)."""

    fit_K: tuple[float, ...]
    reached_K: tuple[float, ...]
    melt_K: float

    def above_melt(self, temperature_K: float) -> bool:
        """A run at or above the lowest melt (a diffusive one there does not count)."""
        return temperature_K >= self.melt_K


def fit_set(outcomes: Mapping[float, str]) -> FitSet:
    """The fit set of one material from its temperatures' outcomes (temperature
    → outcome: adaptive.json's system outcomes; an old file's ``sub_diffusive``
    counts as caged, so an old file's fit set is its ``reliable_K``)."""
    melted = [float(T) for T, o in outcomes.items() if o == "melted"]
    melt = min(melted) if melted else math.inf
    below = {float(T): o for T, o in outcomes.items() if float(T) < melt}
    return FitSet(
        fit_K=tuple(sorted(T for T, o in below.items() if o in FIT_OUTCOMES)),
        reached_K=tuple(sorted(T for T, o in below.items() if o == "reliable")),
        melt_K=melt,
    )


__all__ = ["FIT_OUTCOMES", "FitSet", "fit_set"]
