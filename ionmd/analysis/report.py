"""Per-material summary and ``results.json`` (keys documented in docs/analysis.md).

Per material: the per-temperature D with 95 % intervals and reliability, the
Arrhenius fit over the temperatures not flagged framework-mobile, D and sigma
at 300 K with 95 % intervals, the measured sigma and the log10 error. Top level:
the mean absolute log10 error over all materials and over those reliable at
every simulated temperature (the study's headline figures).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ionmd import __version__
from ionmd.analysis.arrhenius import ArrheniusFit, fit_arrhenius, sigma_ln_from_interval
from ionmd.analysis.conductivity import sigma_mS_cm
from ionmd.analysis.diffusion import DiffusionSettings, TemperatureResult
from ionmd.analysis.experiment import log10_error, mae_log10
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


@dataclass(kw_only=True)
class MaterialResult:
    """One material over its temperatures (sorted by T)."""

    material_id: str
    formula: str
    temperatures: list[TemperatureResult]
    arrhenius: ArrheniusFit | None
    extrapolate_K: float
    D_extrap_cm2_s: float
    D_extrap_ci95_cm2_s: tuple[float, float]
    sigma_extrap_mS_cm: float
    sigma_extrap_ci95_mS_cm: tuple[float, float]
    sigma_exp_mS_cm: float | None
    log10_error: float
    notes: list[str] = field(default_factory=list)
    #: the temperatures the run was asked for (None: not stated, = the analysed ones)
    temperatures_requested_K: list[float] | None = None

    @property
    def n_reliable(self) -> int:
        return sum(r.reliable for r in self.temperatures)

    @property
    def temperatures_analysed_K(self) -> list[float]:
        return [float(r.temperature_K) for r in self.temperatures]

    @property
    def temperatures_missing_K(self) -> list[float]:
        """Requested temperatures without an analysed result (failed, too short,
        never run)."""
        have = self.temperatures_analysed_K
        return [
            t
            for t in self.temperatures_requested_K or []
            if not any(abs(t - a) < 1e-6 for a in have)
        ]

    @property
    def all_reliable(self) -> bool:
        """The study's subset: every *requested* temperature analysed and reliable
        (a failed or missing temperature disqualifies the material)."""
        return (
            bool(self.temperatures)
            and self.n_reliable == len(self.temperatures)
            and not self.temperatures_missing_K
        )


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
) -> tuple[ArrheniusFit | None, float, tuple[float, float]]:
    """(Arrhenius fit or None, D and its 95 % interval at ``extrapolate_K``)."""
    if len({r.temperature_K for r in used}) >= 2:
        sig = np.array(
            [
                sigma_ln_from_interval(D_cm2_s=r.D_cm2_s, ci95_cm2_s=r.D_ci95_cm2_s)
                for r in used
            ]
        )
        fit = fit_arrhenius(
            temperature_K=np.array([r.temperature_K for r in used]),
            D_cm2_s=np.array([r.D_cm2_s for r in used]),
            sigma_lnD=sig if np.all(np.isfinite(sig) & (sig > 0)) else None,
        )
        D_x, D_ci = fit.D_at(temperature_K=extrapolate_K)
        return fit, D_x, D_ci
    if len(used) == 1 and abs(used[0].temperature_K - extrapolate_K) < 1e-6:
        return None, used[0].D_cm2_s, used[0].D_ci95_cm2_s
    notes.append(
        "fewer than two usable temperatures: no Arrhenius fit, no "
        f"{extrapolate_K:g} K value"
    )
    return None, float("nan"), (float("nan"), float("nan"))


def summarise_material(
    *,
    results: list[TemperatureResult],
    sigma_exp_mS_cm: float | None = None,
    extrapolate_K: float = 300.0,
    temperatures_requested_K: list[float] | None = None,
) -> MaterialResult:
    """Arrhenius fit and 300 K (``extrapolate_K``) conductivity of one material.

    ``temperatures_requested_K``: what the run was asked for; a requested
    temperature without a result keeps the material out of the "reliable at every
    temperature" subset (None: the analysed temperatures are all there was)."""
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
    notes: list[str] = []
    used = [r for r in temps if r.used_in_fit]
    for r in temps:
        if r.framework_mobile:
            growth = r.framework_growth_A2
            notes.append(
                f"{r.temperature_K:g} K excluded from the fit: framework MSD "
                f"{r.framework_msd_max_A2:.3g} A2 >= {FRAMEWORK_MSD_THRESHOLD_A2} A2"
                + ("" if growth is None else f", growing {growth:.3g} A2 per 100 ps")
            )
    fit, D_x, D_ci = _extrapolated_D(used=used, extrapolate_K=extrapolate_K, notes=notes)
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


def _temperature_dict(r: TemperatureResult) -> dict[str, Any]:
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
        "used_in_fit": r.used_in_fit,
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
    }


def material_dict(m: MaterialResult) -> dict[str, Any]:
    fit = m.arrhenius
    return {
        "formula": m.formula,
        "temperatures": [_temperature_dict(r) for r in m.temperatures],
        "Ea_eV": fit.Ea_eV if fit else None,
        "Ea_sigma_eV": fit.Ea_sigma_eV if fit else None,
        "D0_cm2_s": fit.D0_cm2_s if fit else None,
        "arrhenius_temperatures_K": fit.temperatures_K if fit else [],
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
            "arrhenius": "weighted least squares in ln D (weights from the 95 % "
            "intervals), covariance scaled by reduced chi2 when > 1; 95 % intervals "
            "use Student's t(0.975, n-2) when the covariance was scaled by the "
            "residuals (unweighted, or chi2_red > 1), else the normal 1.96",
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
    from ionmd.structures.ordering import base_material_id

    # the orderings of a disordered material (id#oK) count as that one material,
    # fitted when any of them is
    by_base: dict[str, list[str]] = {}
    for mid, v in requested_materials.items():
        by_base.setdefault(base_material_id(mid)[0], []).append(v["status"])
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
