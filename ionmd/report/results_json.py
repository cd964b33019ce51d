"""Per-material summary and ``results.json`` (keys documented in docs/analysis.md).

Per material: the per-temperature D with 95 % intervals and reliability, the
Arrhenius fit over the temperatures its protocol fits (each temperature says
whether and why: :mod:`ionmd.analysis.fit_temperatures`), D and sigma
at 300 K with 95 % intervals, the measured sigma and the log10 error. Top level:
the mean absolute log10 error over all materials and over those reliable at
every simulated temperature (the study's headline figures).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ionmd import __version__
from ionmd.analysis.arrhenius import ArrheniusFit
from ionmd.analysis.conductivity import sigma_mS_cm
from ionmd.analysis.diffusion import DiffusionSettings, TemperatureResult
from ionmd.analysis.experiment import log10_error, mae_log10
from ionmd.analysis.extrapolation import ArrheniusPoint, extrapolate_D
from ionmd.analysis.fit_temperatures import CountedTemperatures, fit_notes, fit_use
from ionmd.analysis.material_result import MaterialResult  # re-exported: its old home
from ionmd.analysis.reliability import FRAMEWORK_MSD_THRESHOLD_A2, LI_MSD_THRESHOLD_A2
from ionmd.errors import InputError
from ionmd.outputs import write_text_atomic

#: The study's headline figures, for side-by-side reading in results.json.
STUDY_REFERENCE = {
    "MACE": {
        "mae_log10_all": 4.11,
        "n_all": 21,
        "mae_log10_reliable": 1.55,
        "n_reliable": 5,
    },
    "DFT": {
        "mae_log10_all": 4.10,
        "n_all": 20,
        "mae_log10_reliable": 2.35,
        "n_reliable": 6,
    },
}


def _sigma_or_nan(D: float, *, of: TemperatureResult, temperature_K: float) -> float:
    """σ (mS/cm) of diffusivity ``D`` with the ion count and volume of ``of``; NaN
    for a non-finite D."""
    if not math.isfinite(D):
        return float("nan")
    return sigma_mS_cm(
        D_cm2_s=D, n_mobile=of.n_mobile, volume_A3=of.volume_A3, temperature_K=temperature_K
    )


def _extrapolated_D(
    *, used: list[TemperatureResult], extrapolate_K: float, notes: list[str]
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
    results: list[TemperatureResult],
    sigma_exp_mS_cm: float | None = None,
    extrapolate_K: float = 300.0,
    temperatures_requested_K: list[float] | None = None,
    counted: CountedTemperatures | None = None,
) -> MaterialResult:
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
        return _sigma_or_nan(D, of=ref, temperature_K=extrapolate_K)

    s_x = to_sigma(D_x)
    s_ci = (to_sigma(D_ci[0]), to_sigma(D_ci[1]))
    err = log10_error(sigma_pred_mS_cm=s_x, sigma_exp_mS_cm=sigma_exp_mS_cm or float("nan"))
    return MaterialResult(
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
    results: list[TemperatureResult],
) -> dict[str, list[TemperatureResult]]:
    out: dict[str, list[TemperatureResult]] = {}
    for r in results:
        out.setdefault(r.material_id, []).append(r)
    return out


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return _clean(x.tolist())
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(float(x)) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _temperature_dict(r: TemperatureResult, *, use: tuple[bool, str]) -> dict[str, Any]:
    def sig(D: float) -> float:
        return _sigma_or_nan(D, of=r, temperature_K=r.temperature_K)

    return {
        "temperature_K": r.temperature_K,
        "D_cm2_s": r.D_cm2_s,
        "D_ci95_cm2_s": list(r.D_ci95_cm2_s),
        "D_method": r.D_method,
        "D_ols_cm2_s": r.D_ols_cm2_s,
        "D_sigma_cm2_s": r.D_sigma_cm2_s,
        "D_sigma_ci95_cm2_s": list(r.D_sigma_ci95_cm2_s),
        "D_sigma_ols_cm2_s": r.D_sigma_ols_cm2_s,
        "haven_ratio": r.haven_ratio,
        "haven_ratio_ci95": list(r.haven_ratio_ci95),
        "sigma_mS_cm": sig(r.D_cm2_s),
        "sigma_ci95_mS_cm": [sig(r.D_ci95_cm2_s[0]), sig(r.D_ci95_cm2_s[1])],
        "msd_max_A2": r.msd_max_A2,
        "framework_msd_max_A2": r.framework_msd_max_A2,
        "framework_growth_A2": r.framework_growth_A2,
        "reliable": r.reliable,
        "framework_mobile": r.framework_mobile,
        "used_in_fit": use[0],
        "used_in_fit_reason": use[1],
        "n_mobile": r.n_mobile,
        "n_atoms": r.n_atoms,
        "volume_A3": r.volume_A3,
        "duration_ps": r.duration_ps,
        "frame_interval_ps": r.frame_interval_ps,
        "fit_start_ps": r.fit_start_ps,
        "n_lags": r.n_lags,
        "dimension": r.dimension,
        "source": r.source,
        "notes": r.notes,
        "partial": bool(r.partial),
        "partial_reason": r.partial,
        "n_frames_read": r.n_frames_read,
        "unwrap_unreliable": bool(r.unwrap_unreliable),
        "unwrap_reason": r.unwrap_unreliable or None,
        "frame_displacement": r.unwrap_check,
    }


def _fit_use_of(m: MaterialResult) -> list[tuple[bool, str]]:
    """Each temperature's (used in the fit, why); the study's rule for a result
    built without one."""
    return m.fit_use or fit_use(m.temperatures)


def material_dict(m: MaterialResult) -> dict[str, Any]:
    fit = m.arrhenius
    return {
        "formula": m.formula,
        "temperatures": [
            _temperature_dict(r, use=u)
            for r, u in zip(m.temperatures, _fit_use_of(m), strict=True)
        ],
        "Ea_eV": fit.Ea_eV if fit else None,
        "Ea_sigma_eV": fit.Ea_sigma_eV if fit else None,
        "D0_cm2_s": fit.D0_cm2_s if fit else None,
        "arrhenius_temperatures_K": fit.temperatures_K if fit else [],
        "arrhenius_protocol": m.fit_protocol,
        "arrhenius_prediction": m.prediction,
        "arrhenius_prediction_reason": m.prediction_reason or None,
        "arrhenius_weighted": fit.weighted if fit else None,
        "arrhenius_chi2_reduced": fit.chi2_reduced if fit else None,
        "Ea_ci95_eV": list(fit.Ea_ci95_eV) if fit else None,
        "arrhenius_interval": (
            {"quantile": fit.interval, "value": fit.quantile95, "dof": fit.dof}
            if fit
            else None
        ),
        "extrapolation_K": m.extrapolate_K,
        "D_300K_cm2_s": m.D_extrap_cm2_s,
        "D_300K_ci95_cm2_s": list(m.D_extrap_ci95_cm2_s),
        "sigma_300K_mS_cm": m.sigma_extrap_mS_cm,
        "sigma_300K_ci95_mS_cm": list(m.sigma_extrap_ci95_mS_cm),
        "sigma_exp_mS_cm": m.sigma_exp_mS_cm,
        "log10_error": m.log10_error,
        "n_reliable": m.n_reliable,
        "n_temperatures": len(m.temperatures),
        "temperatures_requested_K": (
            m.temperatures_requested_K
            if m.temperatures_requested_K is not None
            else m.temperatures_analysed_K
        ),
        "temperatures_analysed_K": m.temperatures_analysed_K,
        "temperatures_missing_K": m.temperatures_missing_K,
        "all_reliable": m.all_reliable,
        "notes": m.notes,
    }


def summary_dict(materials: list[MaterialResult]) -> dict[str, Any]:
    mae_all, n_all = mae_log10(m.log10_error for m in materials)
    mae_rel, n_rel = mae_log10(m.log10_error for m in materials if m.all_reliable)
    return {
        "mae_log10_all": mae_all,
        "n_materials_with_error": n_all,
        "mae_log10_all_reliable": mae_rel,
        "n_materials_all_reliable": n_rel,
        "study_reference": STUDY_REFERENCE,
    }


def build_results(
    *,
    materials: list[MaterialResult],
    settings: DiffusionSettings,
    inputs: list[str],
    skipped: list[str],
    kinisi_settings: dict[str, object] | None = None,
    requested_materials: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole results.json document (JSON-able; NaN written as null).

    ``requested_materials``: every requested material with its status
    (:mod:`ionmd.analysis.requested`); default: the analysed ones."""
    doc = {
        "ionmd_version": __version__,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "skipped": skipped,
        "settings": {
            "diffusion": asdict(settings),
            "kinisi": kinisi_settings if settings.use_kinisi else None,
            "li_msd_threshold_A2": LI_MSD_THRESHOLD_A2,
            "framework_msd_threshold_A2": FRAMEWORK_MSD_THRESHOLD_A2,
            "arrhenius": "least squares in ln D, weighted by the 95 % intervals when "
            "every temperature has one; weighted 95 % intervals: the wider of 1.96 x "
            "the stated-error sigma and Student's t(0.975, n-2) x the residual-scaled "
            "sigma; unweighted: t(0.975, n-2) x the larger of the residual and HC3 "
            "sigma; fewer than 3 temperatures: not a prediction (docs/analysis.md)",
            "D_estimator": _d_estimator(settings),
        },
        "materials": {m.material_id: material_dict(m) for m in materials},
        "summary": summary_dict(materials),
    }
    if requested_materials is None:
        from ionmd.analysis.requested import requested_materials as _requested

        requested_materials = _requested(
            materials=materials,
            skipped=skipped,
            requested={},
            sigma_exp_mS_cm={m.material_id: m.sigma_exp_mS_cm for m in materials},
        )
    doc["requested_materials"] = requested_materials
    from ionmd.analysis.members import member_base

    # the orderings of a disordered material (id#oK) and the replicas of a
    # material (id#rK) count as that one material, fitted when any of them is
    by_base: dict[str, list[str]] = {}
    for mid, v in requested_materials.items():
        by_base.setdefault(member_base(mid), []).append(v["status"])
    n_fitted = sum("fitted" in statuses for statuses in by_base.values())
    doc["summary"]["n_materials_requested"] = len(by_base)
    doc["summary"]["n_materials_fitted"] = n_fitted
    doc["summary"]["n_materials_without_fit"] = len(by_base) - n_fitted
    return _clean(doc)


def _d_estimator(settings: DiffusionSettings) -> str:
    if not settings.use_kinisi:
        return "least-squares slope of the tracer MSD (no kinisi)"
    from ionmd.analysis.kinisi_fit import D_ESTIMATOR

    return "kinisi " + D_ESTIMATOR


def read_results_json(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The results.json in ``out_dir`` (the one reader of what
    :func:`write_results_json` writes); InputError in one line when it is missing,
    unreadable or not a results document."""
    out = Path(out_dir)
    path = out / "results.json"
    if not path.is_file():
        raise InputError(f"{out}: no results.json (run `ionmd analyze` on it first)")
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable results.json ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("materials"), dict):
        raise InputError(f"{path}: no 'materials' in this results.json")
    return doc


def write_results_json(*, doc: dict[str, Any], out_dir: str | os.PathLike[str]) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    write_text_atomic(path, text)  # never a half-written results.json
    return path
