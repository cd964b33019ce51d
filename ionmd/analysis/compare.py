"""Compare campaigns run with different models (or DFT) against experiment.

Each run directory holds a results.json (``ionmd analyze`` / ``ionmd run``). Per
model: the MAE of log10 σ(300 K) against OBELiX over its predictions, and the
study's figures over all materials with an error and over the all-reliable
subset, each with a bootstrap-over-materials 95 % interval
(:mod:`ionmd.analysis.compare_bootstrap`); the pairwise MAE difference over the
materials both models have, with its interval (0 outside it: the two models can
be told apart); per material each model's verdict; the rank, over the materials
where every ranked model gives a prediction, or "too few to rank"
(:mod:`ionmd.analysis.compare_rank`). The numbers only: comparison.json,
comparison.md and comparison.html (with the model-vs-model parity figures) are
written by :func:`ionmd.report.compare.write_comparison`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ionmd.analysis.campaign_record import atom_steps_per_s, done_batches, settings_lines
from ionmd.analysis.compare_bootstrap import (
    BOOTSTRAP_SEED,
    MIN_MATERIALS_TO_TELL_APART,
    N_BOOTSTRAP,
    bootstrap_difference,
    bootstrap_mae,
)
from ionmd.analysis.compare_cells import d_by_cell
from ionmd.analysis.compare_rank import MIN_MATERIALS_TO_RANK, rank_models
from ionmd.analysis.verdict import Verdict, verdicts_of
from ionmd.errors import InputError

DFT_LABEL = "DFT (VASP)"


@dataclass(frozen=True, kw_only=True)
class ModelRun:
    """One run directory's results, under its model's label."""

    label: str
    run_dir: str
    #: material id -> its results.json entry
    materials: dict[str, dict[str, Any]]
    #: material id -> requested status ("fitted", "failed", ...) and reasons
    requested: dict[str, dict[str, Any]]
    #: campaign.json's cost summary (None for runs without one, e.g. DFT)
    cost: dict[str, Any] | None = None
    #: what the results were made with (model and version, protocol, device)
    settings: str = ""
    #: every run directory merged under this label (several DFT directories)
    run_dirs: tuple[str, ...] = ()
    #: material id -> its verdict in this run (prediction or not, and why)
    verdicts: Mapping[str, Verdict] = field(default_factory=dict)
    #: the campaign's cell mode (``cell``: "experimental", the default, "relaxed")
    cell: str = "experimental"


def _read_record(run_dir: Path) -> dict[str, Any]:
    """campaign.json as a dict ({} when absent or unreadable)."""
    try:
        data = json.loads((run_dir / "campaign.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _cost(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """Wall time, atom-steps/s and peak memory over a campaign's finished batches."""
    batches = done_batches(record)
    if not batches:
        return None
    model = record.get("model") if isinstance(record.get("model"), dict) else {}
    return {
        "device": record.get("device", ""),
        "model_version": model.get("model_version", ""),
        "n_batches": len(batches),
        "wall_s": sum(float(b.get("wall_s") or 0.0) for b in batches),
        "atom_steps_per_s": atom_steps_per_s(batches),
        "peak_device_GB": max(float(b.get("peak_device_GB") or 0.0) for b in batches),
        "peak_host_GB": max(float(b.get("peak_host_GB") or 0.0) for b in batches),
    }


def _model_label(run_dir: Path, doc: Mapping[str, Any]) -> str:
    """The model name: campaign.json's, else a VASP source, else the folder name."""
    data = _read_record(run_dir)
    if data:
        model = data.get("model") or {}
        name = model.get("model_name") if isinstance(model, dict) else None
        name = name or (data.get("config") or {}).get("model")
        if name:
            return str(name)
    inputs = [str(p).lower() for p in doc.get("inputs") or []]
    for m in (doc.get("materials") or {}).values():
        inputs += [str(t.get("source", "")).lower() for t in m.get("temperatures") or []]
    if doc.get("source_kind") == "vasp" or any(
        "xdatcar" in p or "vasprun" in p for p in inputs
    ):
        return DFT_LABEL
    return run_dir.name or str(run_dir)


def _settings(run_dir: Path, record: Mapping[str, Any], doc: Mapping[str, Any]) -> str:
    """One line: what a run's results were made with."""
    if record.get("config"):
        model = dict(record.get("model") or {})
        version = str(model.get("model_version") or "version not recorded")
        model["model_version"] = version if len(version) <= 100 else version[:99] + "…"
        line = settings_lines({**record, "model": model})[0]
        return line.removeprefix("Made with ")
    parts = []
    for mid, m in (doc.get("materials") or {}).items():
        temps = m.get("temperatures") or []
        kelvin = ", ".join(f"{t.get('temperature_K', 0):g}" for t in temps)
        ps = sum(float(t.get("duration_ps") or 0.0) for t in temps)
        parts.append(f"{mid} at {kelvin or '?'} K ({ps:.3g} ps)")
    what = "; ".join(parts) or "no material"
    return f"trajectories analysed by ionmd analyze in {run_dir}: {what}"


def load_run(run_dir: str | os.PathLike[str], *, label: str | None = None) -> ModelRun:
    """A run directory's results.json (InputError naming the path when missing)."""
    from ionmd.analysis.results_file import read_results_json

    path = Path(run_dir)
    doc = read_results_json(path)
    record = _read_record(path)
    return ModelRun(
        label=label or _model_label(path, doc),
        run_dir=str(path),
        materials=dict(doc["materials"]),
        requested=dict(doc.get("requested_materials") or {}),
        cost=_cost(record),
        settings=_settings(path, record, doc),
        run_dirs=(str(path),),
        verdicts=verdicts_of(doc),
        cell=str((record.get("config") or {}).get("cell") or "experimental"),
    )


def label_by_cell(runs: Sequence[ModelRun]) -> list[ModelRun]:
    """Runs sharing a label (the same model) but not a cell mode, labelled by it:
    "sevennet-0 (relaxed cell)", so two runs that differ only in ``cell`` stand
    side by side instead of colliding."""
    labels = [r.label for r in runs]
    out = []
    for r in runs:
        same = [x for x in runs if x.label == r.label]
        if labels.count(r.label) > 1 and len({x.cell for x in same}) == len(same):
            r = replace(r, label=f"{r.label} ({r.cell} cell)")
        out.append(r)
    return out


def merge_runs(runs: Sequence[ModelRun], *, label: str) -> ModelRun:
    """Several run directories as one row (e.g. DFT analysed per material);
    InputError when two of them hold the same material."""
    materials: dict[str, dict[str, Any]] = {}
    requested: dict[str, dict[str, Any]] = {}
    verdicts: dict[str, Verdict] = {}
    seen: dict[str, str] = {}
    for r in runs:
        for mid in {*r.materials, *r.requested}:
            if mid in seen:
                raise InputError(
                    f"{label}: material {mid!r} is in both {seen[mid]} and {r.run_dir}"
                )
            seen[mid] = r.run_dir
        materials.update(r.materials)
        requested.update(r.requested)
        verdicts.update(r.verdicts)
    return ModelRun(
        label=label,
        run_dir=runs[0].run_dir,
        materials=materials,
        requested=requested,
        settings="; ".join(dict.fromkeys(r.settings for r in runs)),
        run_dirs=tuple(d for r in runs for d in r.run_dirs),
        verdicts=verdicts,
    )


def _verdict(run: ModelRun, mid: str) -> Verdict:
    """A material's verdict in ``run`` (computed when the run did not keep one)."""
    from ionmd.analysis.results_file import requested_state_of_dict, verdict_basis_of_dict
    from ionmd.analysis.verdict import material_verdict

    return run.verdicts.get(mid) or material_verdict(
        mid,
        verdict_basis_of_dict(run.materials.get(mid)),
        requested_state_of_dict(run.requested.get(mid)),
    )


def _errors(
    run: ModelRun, *, reliable_only: bool = False, predictions_only: bool = False
) -> dict[str, float]:
    """material -> |log10 σ_pred − log10 σ_exp| where both exist (only the study's
    reliable subset, or only the predictions)."""
    out = {}
    for mid, m in run.materials.items():
        err = m.get("log10_error")
        if err is None or not math.isfinite(err):
            continue
        if reliable_only and not m.get("all_reliable"):
            continue
        if predictions_only and not _verdict(run, mid).prediction:
            continue
        out[mid] = abs(float(err))
    return out


def _verdict_text(run: ModelRun, mid: str) -> str:
    """The report's verdict for one material and model, without the material's
    name ("not in this run" when the run does not have the material at all)."""
    if mid not in run.materials and mid not in run.requested:
        return "not in this run"
    line = _verdict(run, mid).line
    head, sep, rest = line.partition(": ")
    return rest if sep and head.startswith(mid) else line


def _model_entry(
    run: ModelRun, errs: Mapping[str, Mapping[str, float]], *, n: int, seed: int
) -> dict[str, Any]:
    """One model's MAEs (the study's "all" and "reliable", and over its own
    predictions), each with its bootstrap interval and count, and its cost."""
    entry: dict[str, Any] = {"run_dir": run.run_dir}
    for key, e in errs.items():
        mae, ci = bootstrap_mae(list(e.values()), n=n, seed=seed)
        entry[f"mae_log10_{key}"] = mae
        entry[f"mae_log10_{key}_ci95"] = ci
        entry[f"n_{key}"] = len(e)
    entry.update(
        cost=run.cost,
        settings=run.settings,
        run_dirs=list(run.run_dirs or (run.run_dir,)),
        cell=run.cell,
    )
    return entry


def _material_cell(run: ModelRun, mid: str) -> dict[str, Any]:
    """One material in one model's run, as the per-material table shows it."""
    m = run.materials.get(mid) or {}
    req = run.requested.get(mid) or {}
    absent = not m and not req
    return {
        "status": req.get("status", "fitted" if m else "absent"),
        "reason": req.get("reason") or "",
        "sigma_300K_mS_cm": m.get("sigma_300K_mS_cm"),
        "sigma_300K_ci95_mS_cm": m.get("sigma_300K_ci95_mS_cm"),
        "sigma_exp_mS_cm": m.get("sigma_exp_mS_cm"),
        "log10_error": m.get("log10_error"),
        "Ea_eV": m.get("Ea_eV"),
        "n_reliable": m.get("n_reliable"),
        "n_temperatures": m.get("n_temperatures"),
        "all_reliable": m.get("all_reliable"),
        "cell_source": m.get("cell_source"),
        "volume_change_pct": m.get("volume_change_pct"),
        # cell = "npt": one cell per temperature, so none for the material
        "volume_change_pct_per_T": [
            [t["temperature_K"], t.get("volume_change_pct")]
            for t in m.get("temperatures", [])
        ],
        "prediction": False if absent else _verdict(run, mid).prediction,
        "verdict_status": "absent" if absent else _verdict(run, mid).status,
        "verdict": _verdict_text(run, mid),
    }


def compare_runs(
    runs: Sequence[ModelRun], *, n_bootstrap: int = N_BOOTSTRAP, seed: int = BOOTSTRAP_SEED
) -> dict[str, Any]:
    """The comparison document (what comparison.json holds). The rank is over the
    materials where every ranked model gives a prediction
    (:mod:`ionmd.analysis.compare_rank`); the study's "all" and "reliable" MAEs
    are kept per model, labelled. Runs of one model that differ in ``cell`` are
    labelled by it (:func:`label_by_cell`)."""
    runs = label_by_cell(runs)
    labels = [r.label for r in runs]
    if len(set(labels)) != len(labels):
        dup = next(x for x in labels if labels.count(x) > 1)
        raise InputError(
            f"two run directories are both labelled {dup!r}: "
            "use --label DIR=NAME for one of them"
        )
    errs = {
        r.label: {
            "all": _errors(r),
            "reliable": _errors(r, reliable_only=True),
            "predictions": _errors(r, predictions_only=True),
        }
        for r in runs
    }
    models = {
        r.label: _model_entry(r, errs[r.label], n=n_bootstrap, seed=seed) for r in runs
    }
    pairs = []
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            diff = bootstrap_difference(
                errs[a]["all"], errs[b]["all"], n=n_bootstrap, seed=seed
            )
            pairs.append({"a": a, "b": b, **diff})
    ranking = rank_models(
        {x: errs[x]["predictions"] for x in labels}, n_bootstrap=n_bootstrap, seed=seed
    )
    material_ids = sorted({mid for r in runs for mid in (*r.materials, *r.requested)})
    return {
        "bootstrap": {
            "n_resamples": n_bootstrap,
            "seed": seed,
            "over": "materials",
            "min_materials_to_tell_apart": MIN_MATERIALS_TO_TELL_APART,
            "min_materials_to_rank": MIN_MATERIALS_TO_RANK,
        },
        "models": models,
        "pairwise_mae_difference": pairs,
        "materials": {
            mid: {r.label: _material_cell(r, mid) for r in runs} for mid in material_ids
        },
        "ranking": ranking,
        "rank": ranking["rank"],
        # runs that differ in cell: D per material and temperature against the
        # experimental cell's (None for a comparison of models)
        "d_by_cell": d_by_cell(runs),
    }


__all__ = [
    "DFT_LABEL",
    "ModelRun",
    "bootstrap_difference",
    "bootstrap_mae",
    "compare_runs",
    "label_by_cell",
    "load_run",
    "merge_runs",
]
