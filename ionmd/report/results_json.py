"""``results.json`` written from the analysis's typed results (keys documented in
docs/analysis.md).

Per material (:class:`ionmd.analysis.material_summary.MaterialSummary`): the
per-temperature D and σ(T) with 95 % intervals and reliability, the Arrhenius fit
and whether each temperature is in it, D and σ at 300 K with 95 % intervals, the
measured σ and the log10 error. Top level: the study's two MAEs
(:func:`ionmd.analysis.summarise.study_maes`); the pooled replicas and orderings
(:class:`ionmd.analysis.pooled_types.PooledMaterial`). Every number comes from
:mod:`ionmd.analysis`; this module only lays them out (read back by
:func:`ionmd.analysis.results_file.read_results_json`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ionmd import __version__
from ionmd.analysis.diffusion import DiffusionResult, DiffusionSettings
from ionmd.analysis.material_summary import MaterialSummary
from ionmd.analysis.pooled_types import PooledMaterial, PooledTemperature
from ionmd.analysis.reliability import FRAMEWORK_MSD_THRESHOLD_A2, LI_MSD_THRESHOLD_A2
from ionmd.analysis.summarise import study_maes, temperature_sigma_mS_cm
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


def _temperature_dict(r: DiffusionResult, *, use: tuple[bool, str]) -> dict[str, Any]:
    sigma, sigma_ci = temperature_sigma_mS_cm(r)
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
        "sigma_mS_cm": sigma,
        "sigma_ci95_mS_cm": list(sigma_ci),
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
        "cell_source": r.cell_source,
        "volume_change_pct": r.volume_change_pct,
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


def material_dict(m: MaterialSummary) -> dict[str, Any]:
    fit = m.arrhenius
    return {
        "formula": m.formula,
        "temperatures": [
            _temperature_dict(r, use=u)
            for r, u in zip(m.temperatures, m.fit_use_per_temperature(), strict=True)
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
        "cell_source": m.cell_source,
        "volume_change_pct": m.volume_change_pct,
        "notes": m.notes,
    }


def _pooled_temperature_dict(t: PooledTemperature, *, word: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "temperature_K": t.temperature_K,
        f"n_{word}s": len(t.members),
        f"{word}s": list(t.members),
        "D_cm2_s": t.D_cm2_s.value,
        "D_ci95_cm2_s": list(t.D_cm2_s.ci95),
        "D_spread_cm2_s": t.D_cm2_s.spread,
        f"D_by_{word}_cm2_s": list(t.D_cm2_s.members),
        "reliable_all": t.reliable_all,
        "used_in_fit": t.used_in_fit,
        "n_mobile": t.n_mobile,
        "volume_A3": t.volume_A3,
    }
    if (s := t.sigma_mS_cm) is not None:
        entry |= {
            "sigma_mS_cm": s.value,
            "sigma_ci95_mS_cm": list(s.ci95),
            "sigma_spread_mS_cm": s.spread,
            f"sigma_by_{word}_mS_cm": list(s.members),
        }
    return entry


def _optional_pair(x: tuple[float, float] | None) -> list[float] | None:
    return None if x is None else list(x)


def pooled_dict(p: PooledMaterial) -> dict[str, Any]:
    """One entry of results.json's ``pooled_replicas`` / ``pooled_orderings``
    (read back by :func:`ionmd.analysis.results_file.pooled_of_dict`); written
    as computed (not through :func:`_clean`), as it always was."""
    word = p.word
    out: dict[str, Any] = {
        f"{word}s": list(p.members),
        "temperatures": [_pooled_temperature_dict(t, word=word) for t in p.temperatures],
    }
    if not p.fitted:
        return out | {
            "Ea_eV": None,
            "D_300K_cm2_s": None,
            "sigma_300K_mS_cm": None,
            "arrhenius_temperatures_K": [],
        }
    return out | {
        "arrhenius_temperatures_K": list(p.arrhenius_temperatures_K),
        "Ea_eV": p.Ea_eV,
        "Ea_ci95_eV": _optional_pair(p.Ea_ci95_eV),
        "extrapolation_K": p.extrapolation_K,
        "D_300K_cm2_s": p.D_300K_cm2_s,
        "D_300K_ci95_cm2_s": _optional_pair(p.D_300K_ci95_cm2_s),
        "sigma_300K_mS_cm": p.sigma_300K_mS_cm,
        "sigma_300K_ci95_mS_cm": _optional_pair(p.sigma_300K_ci95_mS_cm),
        "sigma_exp_mS_cm": p.sigma_exp_mS_cm,
        "log10_error": p.log10_error,
    }


def pooled_sections(
    *,
    replicas: Mapping[str, PooledMaterial],
    orderings: Mapping[str, PooledMaterial],
) -> dict[str, Any]:
    """results.json's ``pooled_replicas`` and ``pooled_orderings`` (each only when
    something was pooled)."""
    out: dict[str, Any] = {}
    for key, pools in (("pooled_replicas", replicas), ("pooled_orderings", orderings)):
        if pools:
            out[key] = {base: pooled_dict(p) for base, p in pools.items()}
    return out


def summary_dict(materials: list[MaterialSummary]) -> dict[str, Any]:
    maes = study_maes(materials)
    return {
        "mae_log10_all": maes.mae_log10_all,
        "n_materials_with_error": maes.n_all,
        "mae_log10_all_reliable": maes.mae_log10_all_reliable,
        "n_materials_all_reliable": maes.n_all_reliable,
        "study_reference": STUDY_REFERENCE,
    }


def build_results(
    *,
    materials: list[MaterialSummary],
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


def write_results_json(*, doc: dict[str, Any], out_dir: str | os.PathLike[str]) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    write_text_atomic(path, text)  # never a half-written results.json
    return path
