"""Per material: the Arrhenius fit over the temperatures its protocol fits (each
temperature says whether and why: :mod:`ionmd.analysis.fit_temperatures`), D and
σ at 300 K with 95 % intervals, the measured σ and the log10 error; per
temperature σ(T) with its interval; over materials the study's two MAEs of log10
σ(300 K) (all materials with an error, and those reliable at every requested
temperature). The one place these numbers are computed; results.json is written
from them by :mod:`ionmd.report.results_json`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ionmd.analysis.arrhenius import ArrheniusFit
from ionmd.analysis.conductivity import sigma_mS_cm
from ionmd.analysis.diffusion import DiffusionResult
from ionmd.analysis.experiment import log10_error, mae_log10
from ionmd.analysis.extrapolation import ArrheniusPoint, extrapolate_D
from ionmd.analysis.fit_temperatures import CountedTemperatures, fit_notes, fit_use
from ionmd.analysis.material_summary import MaterialSummary
from ionmd.errors import InputError


def sigma_at_mS_cm(D: float, *, of: DiffusionResult, temperature_K: float) -> float:
    """σ (mS/cm) of diffusivity ``D`` with the ion count and volume of ``of``; NaN
    for a non-finite D."""
    if not math.isfinite(D):
        return float("nan")
    return sigma_mS_cm(
        D_cm2_s=D, n_mobile=of.n_mobile, volume_A3=of.volume_A3, temperature_K=temperature_K
    )


def temperature_sigma_mS_cm(r: DiffusionResult) -> tuple[float, tuple[float, float]]:
    """σ(T) (mS/cm) at the trajectory's own temperature, and its 95 % interval
    (from D's)."""

    def sig(D: float) -> float:
        return sigma_at_mS_cm(D, of=r, temperature_K=r.temperature_K)

    return sig(r.D_cm2_s), (sig(r.D_ci95_cm2_s[0]), sig(r.D_ci95_cm2_s[1]))


@dataclass(frozen=True, kw_only=True)
class StudyMAEs:
    """The study's headline figures: the mean absolute log10 error of σ(300 K)
    over every material with an error, and over those reliable at every
    requested temperature (NaN with a count of 0 when there is none)."""

    mae_log10_all: float
    n_all: int
    mae_log10_all_reliable: float
    n_all_reliable: int


def study_maes(materials: Iterable[MaterialSummary]) -> StudyMAEs:
    ms = list(materials)
    mae_all, n_all = mae_log10(m.log10_error for m in ms)
    mae_rel, n_rel = mae_log10(m.log10_error for m in ms if m.all_reliable)
    return StudyMAEs(
        mae_log10_all=mae_all,
        n_all=n_all,
        mae_log10_all_reliable=mae_rel,
        n_all_reliable=n_rel,
    )


def _extrapolated_D(
    *, used: list[DiffusionResult], extrapolate_K: float, notes: list[str]
) -> tuple[ArrheniusFit | None, float, tuple[float, float], str]:
    """(Arrhenius fit or None, D and its 95 % interval at ``extrapolate_K``, why it
    is not a prediction or "") by the one definition the adaptive judge also uses
    (:func:`ionmd.analysis.extrapolation.extrapolate_D`)."""
    if len(used) == 1 and abs(used[0].temperature_K - extrapolate_K) < 1e-6:
        return None, used[0].D_cm2_s, used[0].D_ci95_cm2_s, ""
    ex = extrapolate_D(
        points=[
            ArrheniusPoint(
                temperature_K=r.temperature_K,
                D_cm2_s=r.D_cm2_s,
                D_ci95_cm2_s=r.D_ci95_cm2_s,
            )
            for r in used
        ],
        temperature_K=extrapolate_K,
    )
    if ex.fit is None:
        notes.append(
            "fewer than two usable temperatures: no Arrhenius fit, no "
            f"{extrapolate_K:g} K value"
        )
    elif ex.reason:
        notes.append(f"not a prediction: {ex.reason}")
    return ex.fit, ex.D_cm2_s, ex.D_ci95_cm2_s, ex.reason


def summarise_material(
    *,
    results: list[DiffusionResult],
    sigma_exp_mS_cm: float | None = None,
    extrapolate_K: float = 300.0,
    temperatures_requested_K: list[float] | None = None,
    counted: CountedTemperatures | None = None,
) -> MaterialSummary:
    """Arrhenius fit and 300 K (``extrapolate_K``) conductivity of one material.

    ``temperatures_requested_K``: what the run was asked for; a requested
    temperature without a result keeps the material out of the "reliable at every
    temperature" subset (None: the analysed temperatures are all there was).
    ``counted``: the temperatures the adaptive protocol counted (then exactly
    those are fitted); None: the study's rule (:mod:`ionmd.analysis.fit_temperatures`)."""
    if not results:
        raise InputError("no temperature results to summarise")
    mid = results[0].material_id
    temps = sorted(results, key=lambda r: r.temperature_K)
    seen = [r.temperature_K for r in temps]
    if len(set(seen)) != len(seen):
        raise InputError(
            f"material {mid}: several trajectories at the same temperature "
            f"({seen}); give one run per temperature"
        )
    use = fit_use(temps, counted=counted)
    used = [r for r, (u, _) in zip(temps, use, strict=True) if u]
    notes = fit_notes(temps, use, counted=counted)
    fit, D_x, D_ci, not_prediction = _extrapolated_D(
        used=used, extrapolate_K=extrapolate_K, notes=notes
    )
    ref = temps[0]

    def to_sigma(D: float) -> float:
        return sigma_at_mS_cm(D, of=ref, temperature_K=extrapolate_K)

    s_x = to_sigma(D_x)
    s_ci = (to_sigma(D_ci[0]), to_sigma(D_ci[1]))
    err = log10_error(sigma_pred_mS_cm=s_x, sigma_exp_mS_cm=sigma_exp_mS_cm or float("nan"))
    return MaterialSummary(
        material_id=mid,
        formula=ref.formula,
        temperatures=temps,
        arrhenius=fit,
        extrapolate_K=extrapolate_K,
        D_extrap_cm2_s=D_x,
        D_extrap_ci95_cm2_s=D_ci,
        sigma_extrap_mS_cm=s_x,
        sigma_extrap_ci95_mS_cm=s_ci,
        sigma_exp_mS_cm=sigma_exp_mS_cm,
        log10_error=err,
        notes=notes,
        temperatures_requested_K=(
            None
            if temperatures_requested_K is None
            else sorted(float(t) for t in temperatures_requested_K)
        ),
        fit_use=use,
        fit_protocol="study" if counted is None else counted.protocol,
        prediction=not not_prediction and math.isfinite(D_x),
        prediction_reason=not_prediction,
    )


def group_by_material(
    results: list[DiffusionResult],
) -> dict[str, list[DiffusionResult]]:
    out: dict[str, list[DiffusionResult]] = {}
    for r in results:
        out.setdefault(r.material_id, []).append(r)
    return out


__all__ = [
    "StudyMAEs",
    "group_by_material",
    "sigma_at_mS_cm",
    "study_maes",
    "summarise_material",
    "temperature_sigma_mS_cm",
]
