"""From input paths to the analysis's typed results: read → diffusion per
(material, temperature) → per-material Arrhenius and 300 K conductivity →
comparison with OBELiX → the replicas and orderings pooled (:class:`Analysis`);
then, on the results.json document the report lays out, the derived sections
(the adaptive protocol's decisions, the verdicts: :func:`add_derived_sections`). Writes
nothing: results.json, figures and pages are :mod:`ionmd.report.analysis_files`'s."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ionmd.analysis.diffusion import DiffusionSettings, analyse_trajectory
from ionmd.analysis.fit_temperatures import CountedTemperatures
from ionmd.analysis.material_summary import MaterialSummary
from ionmd.analysis.pooled_types import PooledMaterial
from ionmd.analysis.readers import read_trajectories
from ionmd.analysis.requested import requested_materials, requested_temperatures
from ionmd.analysis.skips import (
    STATUS_TOO_SHORT,
    STATUS_UNREADABLE,
    SkippedSystem,
    TooFewFramesError,
)
from ionmd.analysis.summarise import group_by_material, summarise_material
from ionmd.analysis.trajectory import MobileTrajectory
from ionmd.analysis.verdict_doc import attach_verdicts
from ionmd.errors import InputError
from ionmd.log import get_logger

log = get_logger(__name__)


def _requested_of(t: MobileTrajectory) -> tuple[float, ...] | None:
    temps = t.meta.get("requested_temperatures_K")
    return tuple(temps) if isinstance(temps, list | tuple) else None


def _listed(skipped: list) -> str:
    """`` (a; b)`` of what was skipped, or nothing."""
    return f" ({'; '.join(skipped)})" if skipped else ""


def _analyse_each(
    *,
    trajs: Sequence[MobileTrajectory],
    settings: DiffusionSettings,
    skipped: list,
    verbose: bool,
) -> list:
    """Diffusion of each trajectory; an unusable one is added to ``skipped``, one
    whose frames were too far apart to unwrap is analysed but said so."""
    results = []
    for t in trajs:
        if verbose:
            log.info(
                f"analysing {t.material_id} at {t.temperature_K:g} K "
                f"({t.n_frames} frames, {t.n_mobile} {t.species})"
            )
        if why := t.meta.get("unwrap_unreliable"):  # one line per file, always
            log.warning(f"{why}; {t.temperature_K:g} K kept out of the Arrhenius fit")
        try:
            results.append(analyse_trajectory(traj=t, settings=settings))
        except InputError as exc:  # one unusable system must not sink the others
            skipped.append(
                SkippedSystem(
                    f"{t.material_id} {t.temperature_K:g} K: {exc}",
                    material_id=t.material_id,
                    temperature_K=t.temperature_K,
                    status=STATUS_TOO_SHORT
                    if isinstance(exc, TooFewFramesError)
                    else STATUS_UNREADABLE,
                    reason=str(exc),
                    requested_temperatures_K=_requested_of(t),
                )
            )
    return results


def _experiment_sigma(
    *, obelix_data: str | os.PathLike[str] | None, skipped: list, compare: bool
) -> tuple[dict[str, float], dict[str, Any]]:
    """OBELiX conductivities and results.json's ``experiment_comparison`` (status
    "compared", "skipped" with its reason, or "not asked"). No data given and
    none found (:mod:`ionmd.obelix_location`) is a note in ``skipped`` and a log
    line; a given path that does not hold OBELiX is an error."""
    from ionmd.analysis.experiment import load_obelix_sigma_mS_cm
    from ionmd.caller import option
    from ionmd.obelix_location import ENV_VAR, default_obelix_path

    if not compare:
        return {}, {"status": "not asked", "obelix_data": None, "reason": None}
    try:
        sigma = load_obelix_sigma_mS_cm(data_path=obelix_data)
    except InputError as exc:
        if obelix_data is not None:
            raise
        why = (
            f"comparison with experiment skipped: {exc}; give {option('--obelix-data')} "
            f"or set {ENV_VAR}"
        )
        log.warning(why)
        skipped.append(why)
        return {}, {"status": "skipped", "obelix_data": None, "reason": str(exc)}
    used = obelix_data if obelix_data is not None else default_obelix_path()
    return sigma, {"status": "compared", "obelix_data": str(used), "reason": None}


def _summarise(
    *,
    results: list,
    sigma_exp: Mapping[str, float],
    extrapolate_K: float,
    requested: Mapping[str, Any],
    counted: Mapping[str, CountedTemperatures] | None = None,
) -> list[MaterialSummary]:
    """Arrhenius fit and conductivity per material; ``counted``: per material of
    an adaptive campaign, the temperatures its protocol counted (fitted alone)."""
    return [
        summarise_material(
            results=rs,
            sigma_exp_mS_cm=sigma_exp.get(mid),
            extrapolate_K=extrapolate_K,
            temperatures_requested_K=requested.get(mid),
            counted=(counted or {}).get(mid),
        )
        for mid, rs in group_by_material(results).items()
    ]


def _kinisi_settings(s: DiffusionSettings) -> dict[str, Any] | None:
    """The documented kinisi settings, when kinisi is used."""
    if not s.use_kinisi:
        return None
    from ionmd.analysis.kinisi_fit import KINISI_DOCUMENTED_SETTINGS

    return dict(KINISI_DOCUMENTED_SETTINGS)


def _adaptive_of(
    paths: Sequence[str | os.PathLike[str]], skipped: list
) -> tuple[Path, dict[str, Any]] | None:
    """(path, checked document) of the adaptive.json the report shows: the first
    run directory among ``paths`` holding one (any other is named in ``skipped``).
    Read before any analysis: a malformed file is one InputError line."""
    from ionmd.analysis.adaptive import find_adaptive_json, load_adaptive

    found = find_adaptive_json(paths)
    for extra in found[1:]:
        skipped.append(f"{extra}: not shown (the report shows {found[0]})")
    return (found[0], load_adaptive(found[0])) if found else None


@dataclass(frozen=True, kw_only=True)
class Analysis:
    """What an analysis found, before anything is written: the per-material
    summaries (D, σ(T), the Arrhenius fit, σ(300 K), their intervals, the log10
    error) and what the results.json document around them is built from."""

    materials: list[MaterialSummary]
    settings: DiffusionSettings
    #: the input paths, as given
    inputs: list[str]
    #: what was skipped and why (one line each)
    skipped: list[str]
    #: every requested material with its status (:mod:`ionmd.analysis.requested`)
    requested_materials: dict[str, Any]
    #: the comparison with experiment: "compared", "skipped" (why) or "not asked"
    experiment: dict[str, Any]
    #: material -> OBELiX σ (mS/cm) where known
    sigma_exp_mS_cm: Mapping[str, float]
    extrapolate_K: float
    #: (path, checked document) of the campaign's adaptive.json, if any
    adaptive_json: tuple[Path, dict[str, Any]] | None = None
    #: material -> its replicas pooled (:func:`ionmd.analysis.pooling.pool_replicas`)
    pooled_replicas: Mapping[str, PooledMaterial] = field(default_factory=dict)
    #: base material -> its orderings pooled, an ordering with replicas entering
    #: with its replicas' pool (:func:`ionmd.analysis.pooling.pool_orderings`)
    pooled_orderings: Mapping[str, PooledMaterial] = field(default_factory=dict)

    @property
    def kinisi_settings(self) -> dict[str, Any] | None:
        """The documented kinisi settings, when kinisi is used."""
        return _kinisi_settings(self.settings)

    @property
    def adaptive_run_dir(self) -> Path | None:
        """The run directory whose adaptive.json is shown (its figures read it)."""
        found = self.adaptive_json
        return None if found is None else found[0].parent


def analyse_inputs(
    *,
    paths: Sequence[str | os.PathLike[str]],
    settings: DiffusionSettings | None = None,
    temperature_K: float | None = None,
    timestep_fs: float | None = None,
    step_skip: int | None = None,
    material_id: str | None = None,
    obelix_data: str | os.PathLike[str] | None = None,
    compare: bool = True,
    extrapolate_K: float = 300.0,
    verbose: bool = True,
    allow_empty: bool = False,
    requested: Mapping[str, Sequence[float] | None] | None = None,
    unprepared: Mapping[str, str] | None = None,
) -> Analysis:
    """Analyse every trajectory under ``paths``; writes nothing.

    ``requested``: material → temperatures the run was asked for (added to what
    the run files' configs state); ``unprepared``: material → why it was never
    simulated. Both end up in ``requested_materials``, and a requested
    temperature without a result keeps its material out of the "reliable at
    every temperature" subset.

    A run directory's ``adaptive.json`` is read first (malformed: InputError) and
    its materials are fitted over the temperatures the protocol counted.

    Nothing analysable is an :class:`InputError`, unless ``allow_empty``: then
    the analysis lists only what was skipped and why."""
    s = settings or DiffusionSettings()
    adaptive_notes: list[str] = []
    adaptive = _adaptive_of(paths, adaptive_notes)
    trajs, skipped = read_trajectories(
        paths,
        temperature_K=temperature_K,
        timestep_fs=timestep_fs,
        step_skip=step_skip,
        material_id=material_id,
    )
    if not trajs and not allow_empty:
        raise InputError(f"no usable trajectory in the inputs{_listed(skipped)}")
    skipped += adaptive_notes
    results = _analyse_each(trajs=trajs, settings=s, skipped=skipped, verbose=verbose)
    if not results and not allow_empty:
        raise InputError("no trajectory could be analysed: " + "; ".join(skipped))
    sigma_exp, experiment = _experiment_sigma(
        obelix_data=obelix_data, skipped=skipped, compare=compare
    )
    materials, listed = _materials(
        trajs=trajs,
        results=results,
        sigma_exp=sigma_exp,
        skipped=skipped,
        extrapolate_K=extrapolate_K,
        requested=requested,
        unprepared=unprepared,
        adaptive_doc=adaptive[1] if adaptive else None,
    )
    replicas, orderings = _pools(
        materials, sigma_exp=sigma_exp, extrapolate_K=extrapolate_K
    )
    return Analysis(
        materials=materials,
        settings=s,
        inputs=[str(p) for p in paths],
        skipped=skipped,
        requested_materials=listed,
        experiment=experiment,
        sigma_exp_mS_cm=sigma_exp,
        extrapolate_K=extrapolate_K,
        adaptive_json=adaptive,
        pooled_replicas=replicas,
        pooled_orderings=orderings,
    )


def _pools(
    materials: Sequence[MaterialSummary],
    *,
    sigma_exp: Mapping[str, float],
    extrapolate_K: float,
) -> tuple[dict[str, PooledMaterial], dict[str, PooledMaterial]]:
    """The replicas pooled, then the orderings of disordered materials pooled (an
    ordering with replicas entering with its replicas' pool)."""
    from ionmd.analysis.pooling import member_rows, pool_orderings, pool_replicas

    members = {m.material_id: member_rows(m) for m in materials}
    replicas = pool_replicas(
        members, sigma_exp_mS_cm=sigma_exp, extrapolate_K=extrapolate_K
    )
    orderings = pool_orderings(
        members,
        sigma_exp_mS_cm=sigma_exp,
        extrapolate_K=extrapolate_K,
        replicas=replicas,
    )
    return replicas, orderings


def _materials(
    *,
    trajs: Sequence[MobileTrajectory],
    results: Any,
    sigma_exp: Mapping[str, float],
    skipped: list[str],
    extrapolate_K: float,
    requested: Mapping[str, Sequence[float] | None] | None,
    unprepared: Mapping[str, str] | None,
    adaptive_doc: Mapping[str, Any] | None = None,
) -> tuple[list[MaterialSummary], dict[str, Any]]:
    """Per material: the Arrhenius summary, and the requested-materials listing
    (what was asked for, what has a result, and why not). ``adaptive_doc``: the
    campaign's adaptive.json; its materials are fitted over the temperatures the
    protocol counted (its ``reliable_K``)."""
    from ionmd.analysis.adaptive.counted import adaptive_counted

    req = requested_temperatures(
        trajectories_meta=[(t.material_id, _requested_of(t)) for t in trajs],
        skipped=skipped,
        explicit=requested,
    )
    materials = _summarise(
        results=results,
        sigma_exp=sigma_exp,
        extrapolate_K=extrapolate_K,
        requested=req,
        counted=adaptive_counted(adaptive_doc) if adaptive_doc else None,
    )
    listed = requested_materials(
        materials=materials,
        skipped=skipped,
        requested=req,
        unprepared=unprepared,
        sigma_exp_mS_cm=sigma_exp,
    )
    return materials, listed


def add_derived_sections(doc: dict[str, Any], *, analysis: Analysis) -> dict[str, Any]:
    """Add to a results.json document (laid out from ``analysis`` by
    :mod:`ionmd.report.results_json`, its pooled sections included) what is
    computed over its material entries: the adaptive protocol's decisions with
    the MAE over the materials it resolved, and last every material's verdict
    (decided on the typed summaries; the protocol decides in the adaptive
    section) with the MAE over predictions. Returns the document."""
    from ionmd.analysis.verdict import verdicts_of_summaries

    if (adaptive_json := analysis.adaptive_json) is not None:
        _add_adaptive(doc, adaptive=adaptive_json)
    verdicts = verdicts_of_summaries(
        materials=analysis.materials,
        requested=analysis.requested_materials,
        adaptive=doc.get("adaptive"),
    )
    return attach_verdicts(doc, verdicts=verdicts)


def _add_adaptive(doc: dict[str, Any], *, adaptive: tuple[Path, Any]) -> None:
    """The adaptive protocol's decisions, and the MAE over the materials it
    resolved."""
    from ionmd.analysis.adaptive import adaptive_results
    from ionmd.analysis.experiment import mae_log10

    doc["adaptive"] = adaptive_results(adaptive[1], source=str(adaptive[0]))
    resolved = {
        mid for mid, m in doc["adaptive"].get("materials", {}).items()
        if m.get("status") == "resolved"
    }  # fmt: skip
    mae, n = mae_log10(
        m.get("log10_error") for mid, m in doc["materials"].items() if mid in resolved
    )
    doc["summary"]["mae_log10_adaptive_resolved"] = mae if n else None
    doc["summary"]["n_materials_adaptive_resolved"] = n


def campaign_request(run_dir: Path) -> tuple[dict[str, list[float]], dict[str, str]]:
    """(material → requested temperatures, material → why not prepared) from the
    run directory's campaign.json; empty when there is none or it is unreadable."""
    import json

    path = run_dir / "campaign.json"
    try:
        doc = json.loads(path.read_text())
        failed = doc.get("failed_materials") or {}
        temps = (doc.get("config") or {}).get("temperatures_K") or []
        temps = [float(t) for t in temps]
        unprepared = {str(k): str(v) for k, v in dict(failed).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}, {}
    return {mid: temps for mid in unprepared}, unprepared
