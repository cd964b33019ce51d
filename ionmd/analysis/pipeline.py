"""From input paths to results.json and figures: read → diffusion per
(material, temperature) → per-material Arrhenius and 300 K conductivity →
comparison with OBELiX → files."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ionmd.analysis.diffusion import DiffusionSettings, analyse_trajectory
from ionmd.analysis.readers import read_trajectories
from ionmd.analysis.report import (
    MaterialResult,
    build_results,
    group_by_material,
    summarise_material,
    write_results_json,
)
from ionmd.analysis.report_text import write_text_reports
from ionmd.errors import InputError


def analyse_paths(
    *,
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    settings: DiffusionSettings | None = None,
    temperature_K: float | None = None,
    timestep_fs: float | None = None,
    step_skip: int | None = None,
    material_id: str | None = None,
    obelix_data: str | os.PathLike[str] | None = None,
    compare: bool = True,
    figures: bool = True,
    extrapolate_K: float = 300.0,
    verbose: bool = True,
    allow_empty: bool = False,
) -> tuple[dict[str, Any], list[MaterialResult]]:
    """Analyse every trajectory under ``paths``; writes ``out_dir/results.json``
    (and figures) and returns the document and the per-material results.

    Nothing analysable is an :class:`InputError`, unless ``allow_empty``: then
    results.json lists only what was skipped and why."""
    s = settings or DiffusionSettings()
    trajs, skipped = read_trajectories(
        paths,
        temperature_K=temperature_K,
        timestep_fs=timestep_fs,
        step_skip=step_skip,
        material_id=material_id,
    )
    if not trajs and not allow_empty:
        raise InputError(
            "no usable trajectory in the inputs"
            + (f" ({'; '.join(skipped)})" if skipped else "")
        )
    results = []
    for t in trajs:
        if verbose:
            print(
                f"analysing {t.material_id} at {t.temperature_K:g} K "
                f"({t.n_frames} frames, {t.n_mobile} {t.species})",
                file=sys.stderr,
            )
        try:
            results.append(analyse_trajectory(traj=t, settings=s))
        except InputError as exc:  # one unusable system must not sink the others
            skipped.append(f"{t.material_id} {t.temperature_K:g} K: {exc}")
    if not results and not allow_empty:
        raise InputError("no trajectory could be analysed: " + "; ".join(skipped))
    sigma_exp: dict[str, float] = {}
    if compare:
        from ionmd.analysis.experiment import load_obelix_sigma_mS_cm

        try:
            sigma_exp = load_obelix_sigma_mS_cm(data_path=obelix_data)
        except InputError:
            if obelix_data is not None:
                raise
            skipped.append("OBELiX data not found: no comparison with experiment")
    materials = [
        summarise_material(
            results=rs, sigma_exp_mS_cm=sigma_exp.get(mid), extrapolate_K=extrapolate_K
        )
        for mid, rs in group_by_material(results).items()
    ]
    kinisi_settings = None
    if s.use_kinisi:
        from ionmd.analysis.kinisi_fit import KINISI_DOCUMENTED_SETTINGS

        kinisi_settings = dict(KINISI_DOCUMENTED_SETTINGS)
    doc = build_results(
        materials=materials,
        settings=s,
        inputs=[str(p) for p in paths],
        skipped=skipped,
        kinisi_settings=kinisi_settings,
    )
    out = Path(out_dir)
    write_results_json(doc=doc, out_dir=out)
    fig_names: list[str] = []
    if figures:
        from ionmd.analysis.figures import write_figures

        fig_names = [p.name for p in write_figures(materials=materials, out_dir=out)]
        if verbose:
            print(f"figures: {', '.join(fig_names)}", file=sys.stderr)
    write_text_reports(doc=doc, out_dir=out, figures=fig_names)
    return doc, materials


def analyze_run_dir(
    run_dir: str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    obelix_data: str | os.PathLike[str] | None = None,
    settings: DiffusionSettings | None = None,
    figures: bool = True,
    verbose: bool = False,
) -> dict[str, Any]:
    """Analyse an engine run directory (its ``md*.h5``) into ``out_dir`` (default: the
    run directory itself); returns the results.json document. For the campaign:
    systems too short to analyse are listed under ``skipped`` instead of raising."""
    doc, _ = analyse_paths(
        paths=[run_dir],
        out_dir=out_dir or run_dir,
        settings=settings,
        obelix_data=obelix_data,
        figures=figures,
        verbose=verbose,
        allow_empty=True,
    )
    return doc
