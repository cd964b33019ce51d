"""An analysis's files: results.json (laid out from the analysis's typed results,
:mod:`ionmd.report.results_json`), the figures (if asked) and report.md/html.

:func:`analyse_paths` and :func:`analyze_run_dir` analyse
(:func:`ionmd.analysis.pipeline.analyse_inputs`, which writes nothing) and then
write; they are what the command line, the Python API and the campaign call."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ionmd.analysis.diffusion import DiffusionSettings
from ionmd.analysis.material_summary import MaterialSummary
from ionmd.analysis.pipeline import (
    Analysis,
    add_derived_sections,
    analyse_inputs,
    campaign_request,
)
from ionmd.log import get_logger
from ionmd.report.pages import write_text_reports
from ionmd.report.results_json import (
    build_results,
    pooled_sections,
    write_results_json,
)

log = get_logger(__name__)


def results_document(analysis: Analysis) -> dict[str, Any]:
    """The whole results.json document of ``analysis`` (JSON-able), with its
    pooled replicas and orderings, the derived sections and verdicts
    (:func:`ionmd.analysis.pipeline.add_derived_sections`)."""
    doc = build_results(
        materials=analysis.materials,
        settings=analysis.settings,
        inputs=analysis.inputs,
        skipped=analysis.skipped,
        kinisi_settings=analysis.kinisi_settings,
        requested_materials=analysis.requested_materials,
    ) | {"experiment_comparison": analysis.experiment}
    doc |= pooled_sections(
        replicas=analysis.pooled_replicas, orderings=analysis.pooled_orderings
    )
    return add_derived_sections(doc, analysis=analysis)


def write_analysis(
    analysis: Analysis,
    *,
    out_dir: str | os.PathLike[str],
    figures: bool = True,
    verbose: bool = True,
) -> dict[str, Any]:
    """results.json, the figures (if asked) and the text reports of ``analysis``
    in ``out_dir``; returns the results.json document."""
    doc = results_document(analysis)
    out = Path(out_dir)
    write_results_json(doc=doc, out_dir=out)
    fig_names: list[str] = []
    if figures:
        from ionmd.report.figures import write_figures

        written = write_figures(materials=analysis.materials, out_dir=out)
        fig_names = [p.name for p in written]
        run_dir = analysis.adaptive_run_dir
        if run_dir is not None and "adaptive" in doc:
            from ionmd.report.adaptive_figures import write_adaptive_figures

            adaptive_figs = write_adaptive_figures(
                adaptive=doc["adaptive"], run_dir=run_dir, out_dir=out
            )
            if verbose:
                log.info(f"adaptive figures: {', '.join(p.name for p in adaptive_figs)}")
        if verbose:
            log.info(f"figures: {', '.join(fig_names)}")
    write_text_reports(doc=doc, out_dir=out, figures=fig_names)
    return doc


def analyse_paths(
    *,
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    figures: bool = True,
    verbose: bool = True,
    **analysis: Any,
) -> tuple[dict[str, Any], list[MaterialSummary]]:
    """Analyse every trajectory under ``paths``
    (:func:`ionmd.analysis.pipeline.analyse_inputs`, whose keyword arguments
    ``analysis`` holds) and write ``out_dir/results.json``, the figures and the
    reports; returns the document and the per-material summaries."""
    found = analyse_inputs(paths=paths, verbose=verbose, **analysis)
    doc = write_analysis(found, out_dir=out_dir, figures=figures, verbose=verbose)
    return doc, found.materials


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
    systems too short to analyse are listed under ``skipped`` instead of raising.

    A ``campaign.json`` in ``run_dir`` (written by ``ionmd run``) adds the materials
    that could not be prepared (its ``failed_materials``) and the requested
    temperatures (its ``config.temperatures_K``) to ``requested_materials``."""
    requested, unprepared = campaign_request(Path(run_dir))
    doc, _ = analyse_paths(
        paths=[run_dir],
        out_dir=out_dir or run_dir,
        settings=settings,
        obelix_data=obelix_data,
        figures=figures,
        verbose=verbose,
        allow_empty=True,
        requested=requested,
        unprepared=unprepared,
    )
    return doc
