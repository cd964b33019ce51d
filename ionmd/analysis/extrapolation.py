"""D (hence σ) at 300 K from an Arrhenius fit: the one definition both the
adaptive protocol's judge (:func:`ionmd.campaign.adaptive.judge.sigma300_log10_ci`)
and the report (:func:`ionmd.analysis.summarise.summarise_material`) use, so the
σ(300 K) interval that resolved a material is the one reported from the same
points.

Which points enter is the caller's choice (the report: docs/analysis.md, "Which
temperatures"); here every point with a finite positive D is fitted, weighted
when every point has a usable 95 % interval (:mod:`ionmd.analysis.arrhenius`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ionmd.analysis.arrhenius import (
    MIN_PREDICTION_TEMPERATURES,
    ArrheniusFit,
    fit_arrhenius,
    sigma_ln_from_interval,
)

NAN_PAIR = (math.nan, math.nan)


@dataclass(frozen=True, kw_only=True)
class ArrheniusPoint:
    """One temperature's D and its 95 % interval (NaN: none)."""

    temperature_K: float
    D_cm2_s: float
    D_ci95_cm2_s: tuple[float, float] = NAN_PAIR


@dataclass(frozen=True, kw_only=True)
class Extrapolation:
    """D at ``temperature_K`` from the fit (NaN without one) and whether it is a
    prediction (``reason``: why not, else "")."""

    fit: ArrheniusFit | None
    temperature_K: float
    D_cm2_s: float
    D_ci95_cm2_s: tuple[float, float]
    prediction: bool
    reason: str

    @property
    def log10_ci(self) -> float | None:
        """Width of D's (hence σ's, ∝ D at a fixed T) 95 % interval in decades,
        log10(hi / lo); None when it is not finite."""
        lo, hi = self.D_ci95_cm2_s
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi < lo:
            return None
        return math.log10(hi / lo)


def _finite_pair(pair: Sequence[float | None]) -> tuple[float, float]:
    lo, hi = (math.nan if x is None else float(x) for x in pair)
    return lo, hi


def extrapolate_D(
    *, points: Sequence[ArrheniusPoint], temperature_K: float = 300.0
) -> Extrapolation:
    """Fit ``points`` (those with a finite positive D) and extrapolate to
    ``temperature_K``. Fewer than two temperatures: no fit (NaN); fewer than
    :data:`~ionmd.analysis.arrhenius.MIN_PREDICTION_TEMPERATURES`: the value and
    its interval from the per-point errors alone, not a prediction."""
    pts = [p for p in points if math.isfinite(p.D_cm2_s) and p.D_cm2_s > 0]
    n_T = len({p.temperature_K for p in pts})
    if n_T < 2:
        return Extrapolation(
            fit=None,
            temperature_K=temperature_K,
            D_cm2_s=math.nan,
            D_ci95_cm2_s=NAN_PAIR,
            prediction=False,
            reason="fewer than two usable temperatures: no Arrhenius fit",
        )
    sig = np.array(
        [
            sigma_ln_from_interval(
                D_cm2_s=p.D_cm2_s, ci95_cm2_s=_finite_pair(p.D_ci95_cm2_s)
            )
            for p in pts
        ]
    )
    fit = fit_arrhenius(
        temperature_K=np.array([p.temperature_K for p in pts]),
        D_cm2_s=np.array([p.D_cm2_s for p in pts]),
        sigma_lnD=sig if np.all(np.isfinite(sig) & (sig > 0)) else None,
    )
    D, ci = fit.D_at(temperature_K=temperature_K)
    reason = ""
    if n_T < MIN_PREDICTION_TEMPERATURES:
        reason = (
            f"{n_T} temperatures in the Arrhenius fit: no residual to check the "
            f"per-point errors its {temperature_K:g} K interval rests on (at least "
            f"{MIN_PREDICTION_TEMPERATURES} needed)"
        )
    elif not fit.prediction:
        reason = f"no finite {temperature_K:g} K interval from the Arrhenius fit"
    return Extrapolation(
        fit=fit,
        temperature_K=temperature_K,
        D_cm2_s=D,
        D_ci95_cm2_s=ci,
        prediction=not reason,
        reason=reason,
    )


__all__ = ["ArrheniusPoint", "Extrapolation", "extrapolate_D"]
