"""Human-readable reports next to results.json: ``report.md`` and ``report.html``
(the same tables; the HTML embeds the figures by file name)."""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ionmd.outputs import write_text_atomic
from ionmd.report.page_style import page_head, wide
from ionmd.report.tables import Section, Table, html_table, markdown_table


def _f(x: Any, fmt: str = ".3g") -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, float)):
        return format(x, fmt)
    return str(x)


def _ci(pair: list[float | None] | None) -> str:
    if not pair or pair[0] is None or pair[1] is None:
        return "–"
    return f"[{pair[0]:.3g}, {pair[1]:.3g}]"


def _temps(values: list[float] | None) -> str:
    return ", ".join(f"{t:g}" for t in values or []) or "none"


def _requested_vs_analysed(m: dict[str, Any]) -> str:
    """``800, 1000 of 800, 1000, 1200`` (analysed of requested)."""
    analysed = m.get("temperatures_analysed_K")
    if analysed is None:  # a results.json from before these keys existed
        analysed = [t["temperature_K"] for t in m.get("temperatures", [])]
    requested = m.get("temperatures_requested_K") or analysed
    return f"{_temps(analysed)} of {_temps(requested)}"


def _materials_table(mats: dict[str, Any]) -> Table:
    """One row per material: Ea, σ(300 K), experiment, reliability."""
    rows = [
        [
            mid,
            m["formula"],
            _f(m["Ea_eV"], ".3f"),
            _f(m["sigma_300K_mS_cm"]),
            _ci(m["sigma_300K_ci95_mS_cm"]),
            _f(m["sigma_exp_mS_cm"]),
            _f(m["log10_error"], ".2f"),
            f"{m['n_reliable']}/{m['n_temperatures']}",
            _requested_vs_analysed(m),
            _f(m.get("all_reliable")),
            str((m.get("verdict") or {}).get("status") or "–").replace("_", " "),
        ]
        for mid, m in mats.items()
    ]
    header = [
        "id",
        "formula",
        "Ea (eV)",
        "σ300 (mS/cm)",
        "95 %",
        "σexp (mS/cm)",
        "log10 err",
        "reliable T",
        "analysed of requested T (K)",
        "reliable at every requested T",
        "verdict",
    ]
    if any(m.get("cell_source") not in (None, "experimental") for m in mats.values()):
        header.insert(5, "cell")
        for row, m in zip(rows, mats.values(), strict=True):
            row.insert(5, _cell_label(m))
    return Table("Materials", header, rows)


def _cell_label(m: dict[str, Any]) -> str:
    """The cells σ(300 K) was computed at: ``npt (ΔV/V_exp +2.27 % at 300 K,
    +4.78 % at 600 K)``, ``relaxed (ΔV/V_exp +0.48 %)``, ``experimental``."""
    source = str(m.get("cell_source") or "experimental")
    changes = [(t["temperature_K"], t.get("volume_change_pct")) for t in m["temperatures"]]
    if source == "experimental" or any(c is None for _, c in changes) or not changes:
        return source
    if m.get("volume_change_pct") is not None:
        return f"{source} (ΔV/V_exp {m['volume_change_pct']:+.2f} %)"
    per_t = ", ".join(f"{c:+.2f} % at {t:g} K" for t, c in changes)
    return f"{source} (ΔV/V_exp {per_t})"


def _temperature_label(t: dict[str, Any]) -> str:
    """The temperature, with the frames read and why for a partial run."""
    return _f(t["temperature_K"], "g") + (
        f" (partial: {t.get('n_frames_read')} frames; {t.get('partial_reason')})"
        if t.get("partial")
        else ""
    )


def _temperatures_table(mats: dict[str, Any]) -> Table:
    """One row per (material, temperature): D, MSD, reliability, framework."""
    rows = [
        [
            mid,
            _temperature_label(t),
            _f(t["D_cm2_s"]),
            _ci(t["D_ci95_cm2_s"]),
            _f(t["D_ols_cm2_s"]),
            _f(t["msd_max_A2"], ".1f"),
            _f(t["reliable"]),
            _f(t["framework_msd_max_A2"], ".2f"),
            _f(t["used_in_fit"]),
        ]
        for mid, m in mats.items()
        for t in m["temperatures"]
    ]
    header = [
        "id",
        "T (K)",
        "D (cm²/s)",
        "95 %",
        "D least-sq.",
        "MSD max (Å²)",
        "MSD ≥ 20 Å²",
        "framework MSD (Å²)",
        "in fit",
    ]
    return Table("Temperatures", header, rows)


def _requested_table(doc: dict[str, Any]) -> Table:
    """One row per requested material: status and why."""
    return Table(
        "Requested materials",
        ["id", "status", "σexp (mS/cm)", "analysed of requested T (K)", "reason"],
        [
            [
                mid,
                r["status"],
                _f(r.get("sigma_exp_mS_cm")),
                _requested_vs_analysed(r),
                r.get("reason") or "",
            ]
            for mid, r in doc.get("requested_materials", {}).items()
        ],
    )


def _tables(doc: dict[str, Any]) -> list[Table]:
    mats = doc["materials"]
    return [_materials_table(mats), _temperatures_table(mats), _requested_table(doc)]


def _summary_lines(doc: dict[str, Any]) -> list[str]:
    s = doc["summary"]
    ref = s["study_reference"]
    counts = (
        [
            f"{s['n_materials_fitted']} of {s['n_materials_requested']} requested "
            "materials have a fit (the others: see Requested materials)."
        ]
        if "n_materials_requested" in s
        else []
    )
    adaptive = (
        [
            "Adaptive protocol: MAE of log10 σ over the "
            f"{s['n_materials_adaptive_resolved']} materials it resolved: "
            f"{_f(s['mae_log10_adaptive_resolved'], '.2f')}."
        ]
        if "n_materials_adaptive_resolved" in s
        else []
    )
    return (
        counts
        + mae_headline(s)
        + adaptive
        + [
            f"The study's figures: MAE of log10 σ over all {s['n_materials_with_error']} "
            "materials with a σ(300 K) and a measured σ, predictions or not: "
            f"{_f(s['mae_log10_all'], '.2f')}; over the "
            f"{s['n_materials_all_reliable']} reliable at every requested temperature: "
            f"{_f(s['mae_log10_all_reliable'], '.2f')}.",
            f"The study: MACE {ref['MACE']['mae_log10_all']} over {ref['MACE']['n_all']}, "
            f"{ref['MACE']['mae_log10_reliable']} over {ref['MACE']['n_reliable']}; DFT "
            f"{ref['DFT']['mae_log10_all']} over {ref['DFT']['n_all']}, "
            f"{ref['DFT']['mae_log10_reliable']} over {ref['DFT']['n_reliable']}.",
        ]
    )


def mae_headline(s: dict[str, Any]) -> list[str]:
    """The headline MAE: over the materials whose σ(300 K) is a prediction, with
    their count and ids (empty for a results.json written before verdicts)."""
    if "n_materials_predictions_with_error" not in s:
        return []
    n = s["n_materials_predictions_with_error"]
    if not n:
        return [
            "MAE of log10 σ(300 K) over predictions: none (no material with an "
            "experimental value has a σ(300 K) that is a prediction)."
        ]
    ids = ", ".join(s.get("materials_predictions_with_error") or [])
    return [
        f"MAE of log10 σ(300 K) over the {n} material(s) whose value is a prediction "
        f"({ids}): {_f(s['mae_log10_predictions'], '.2f')}."
    ]


def _image_src(name: str, *, folder: Path, embed: bool) -> str:
    """The ``src`` of a figure: its file name, or (``embed``) the PNG inlined as
    a data URI so the page stands alone (the name when the file is missing)."""
    path = folder / name
    if embed and path.is_file():
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    return name


def _adaptive_section(doc: dict[str, Any] | None, out: Path) -> Section | None:
    """The adaptive protocol's section (results.json's "adaptive"), with those of
    its figures that are in ``out``; None for a study campaign."""
    if doc is None or not isinstance(doc.get("adaptive"), dict):
        return None
    from ionmd.report.adaptive_figures import adaptive_figure_names
    from ionmd.report.adaptive_tables import adaptive_section

    a = doc["adaptive"]
    names = [n for n in adaptive_figure_names(a) if (out / n).is_file()]
    return adaptive_section(a, figures=names)


def _section_md(section: Section) -> list[str]:
    md = ["", f"# {section.title}", ""]
    for table in section.tables:
        md += markdown_table(table)
    return md + [f"![{name}]({name})" for name in section.figures]


def _section_html(section: Section, *, folder: Path, embed: bool) -> list[str]:
    h = [f"<h1>{html.escape(section.title)}</h1>"]
    for table in section.tables:
        h += wide(html_table(table))
    for name in section.figures:
        src = html.escape(_image_src(name, folder=folder, embed=embed))
        h.append(f"<p><img src='{src}' alt='{html.escape(name)}'></p>")
    return h


#: the fold that holds what the results were made with (model, protocol)
PARAMETERS_SUMMARY = "Model and protocol parameters"


def _first_screen_md(
    answer: Sequence[str],
    first: Table | None,
    summary: Sequence[str],
    preface: Sequence[str],
) -> list[str]:
    """The verdict, the materials table and the summary; then the parameters,
    folded (``<details>``, which Markdown viewers such as GitHub's render)."""
    md = (
        ["**σ(300 K) per material**", ""] + [f"- {a}" for a in answer] + [""]
        if answer
        else []
    )
    md += markdown_table(first) if first is not None else []
    md += [*summary, ""] if summary else []
    if preface:
        md += [f"<details><summary>{PARAMETERS_SUMMARY}</summary>", "", *preface]
        md += ["", "</details>", ""]
    return md


def _first_screen_html(
    answer: Sequence[str],
    first: Table | None,
    summary: Sequence[str],
    preface: Sequence[str],
) -> list[str]:
    """As :func:`_first_screen_md`, in HTML."""
    h = []
    if answer:
        h.append("<p><b>σ(300 K) per material</b></p><ul>")
        h += [f"<li>{html.escape(line)}</li>" for line in answer]
        h.append("</ul>")
    h += wide(html_table(first)) if first is not None else []
    h += [f"<p>{html.escape(line)}</p>" for line in summary]
    if preface:
        h.append(f"<details><summary>{PARAMETERS_SUMMARY}</summary>")
        h += [f"<p>{html.escape(line)}</p>" for line in preface]
        h.append("</details>")
    return h


def write_text_reports(
    *,
    doc: dict[str, Any] | None,
    out_dir: str | os.PathLike[str],
    figures: Sequence[str] | None = None,
    sections: Sequence[Section] = (),
    embed_images: bool = False,
    preface: Sequence[str] = (),
) -> list[Path]:
    """Write ``report.md`` and ``report.html``; returns their paths.

    ``doc`` is the results.json document (``None``: no analysis, the report holds
    only ``sections``); ``sections`` (the campaign's tables) follow the analysis
    under their own headings; ``embed_images`` inlines the figures in the HTML.
    The first screen: the verdict per material (:mod:`ionmd.analysis.verdict`),
    the materials table and the summary; below, folded, ``preface`` (what it was
    made with: model, protocol, device); then, for an adaptive campaign, its
    section (:mod:`ionmd.report.adaptive_tables`: decision log, timeline, MSD
    curves) before the rest of the analysis.
    """
    out = Path(out_dir)
    title = "ionmd analysis" if doc is not None else "ionmd campaign"
    tables = _tables(doc) if doc is not None else []
    from ionmd.report.pooled_table import pooled_table

    for key, word in (("pooled_replicas", "replica"), ("pooled_orderings", "ordering")):
        if doc is not None and doc.get(key):
            tables.append(pooled_table(doc[key], word=word))
    summary = _summary_lines(doc) if doc is not None else []
    from ionmd.analysis.verdict import interval_note, verdict_lines

    answer = verdict_lines(doc) if doc is not None else []
    note = interval_note(doc) if doc is not None and answer else None
    summary = ([note] if note else []) + summary  # under the verdicts
    first, rest = (tables[0], tables[1:]) if tables else (None, [])
    md = [f"# {title}", "", *_first_screen_md(answer, first, summary, preface)]
    adaptive = _adaptive_section(doc, out)
    if adaptive is not None:
        md += _section_md(adaptive) + ["", "# Analysis", ""]
    for table in rest:
        md += markdown_table(table)
    md += [f"![{name}]({name})" for name in figures or []]
    for section in sections:
        md += _section_md(section)
    write_text_atomic(out / "report.md", "\n".join(md) + "\n")
    h = page_head(title) + _first_screen_html(answer, first, summary, preface)
    if adaptive is not None:
        h += _section_html(adaptive, folder=out, embed=embed_images)
        h.append("<h1>Analysis</h1>")
    for table in rest:
        h += wide(html_table(table))
    for name in figures or []:
        src = html.escape(_image_src(name, folder=out, embed=embed_images))
        h.append(f"<p><img src='{src}' alt='{html.escape(name)}'></p>")
    for section in sections:
        h += _section_html(section, folder=out, embed=embed_images)
    write_text_atomic(out / "report.html", "\n".join(h) + "\n")
    return [out / "report.md", out / "report.html"]
