"""comparison.md and comparison.html from the comparison document.

The first screen answers the question before any table: per material, each
model's σ(300 K) with its interval and verdict (resolved, or not a prediction
and why), the best model by MAE if any can be ranked, and what each model's
results were made with. Then the rank, pairwise, per-material and cost tables,
the parity plots (inlined), and links to each model's own report.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ionmd.outputs import write_text_atomic
from ionmd.report.compare_figures import Figure
from ionmd.report.page_style import page_head, wide
from ionmd.report.tables import Table, html_table, markdown_table

TITLE = "ionmd model comparison"


def _f(x: Any, fmt: str = ".2f") -> str:
    return "–" if x is None else format(x, fmt)


def _ci(pair: Sequence[Any] | None, fmt: str = ".2f") -> str:
    if not pair or pair[0] is None:
        return "–"
    return f"[{_f(pair[0], fmt)}, {_f(pair[1], fmt)}]"


def short(text: str, n: int = 80) -> str:
    """``text`` cut to ``n`` characters with an ellipsis."""
    return text if len(text) <= n else text[: n - 1] + "…"


def headline(doc: Mapping[str, Any]) -> str:
    """One sentence: the best model by MAE over the materials where every ranked
    model gives a prediction, or "too few to rank" and why
    (:func:`ionmd.analysis.compare_rank.rank_headline`)."""
    from ionmd.analysis.compare_rank import rank_headline

    return rank_headline(doc["ranking"])


def first_screen(doc: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """(material, one verdict line per model) for every material."""
    return [
        (mid, [f"{label}: {cell['verdict']}" for label, cell in row.items()])
        for mid, row in doc["materials"].items()
    ]


def _g(x: Any) -> str:
    return format(x, ".3g") if isinstance(x, int | float) and math.isfinite(x) else "–"


def answer_cell(cell: Mapping[str, Any]) -> tuple[str, str]:
    """(σ(300 K) with its interval, or "–"; the verdict in a few words)."""
    sigma = cell.get("sigma_300K_mS_cm")
    status = cell.get("status", "absent")
    if cell.get("verdict") == "not in this run":
        return "–", "not in this run"
    if status != "fitted" or not isinstance(sigma, int | float) or not sigma > 0:
        return "–", f"no prediction: {status.replace('_', ' ')}"
    lo, hi = (cell.get("sigma_300K_ci95_mS_cm") or [None, None])[:2]
    value = f"{_g(sigma)} [{_g(lo)}, {_g(hi)}]"
    if cell.get("prediction"):
        return value, "prediction"
    n_ok, n_t = cell.get("n_reliable"), cell.get("n_temperatures")
    return value, f"not a prediction: {n_ok}/{n_t} T reliable"


def answer_rows(doc: Mapping[str, Any]) -> list[list[Any]]:
    """Per material: its experimental σ and each model's :func:`answer_cell`."""
    rows = []
    for mid, row in doc["materials"].items():
        exp = next(
            (v["sigma_exp_mS_cm"] for v in row.values() if v.get("sigma_exp_mS_cm")), None
        )
        rows.append([mid, _g(exp), *[answer_cell(v) for v in row.values()]])
    return rows


ANSWER_NOTE = (
    "σ(300 K) in mS/cm with its 95 % interval, from each model's Arrhenius fit; "
    "prediction: every requested temperature reached the 20 Å² Li MSD and the "
    "interval spans at most 2 decades (or the adaptive protocol resolved it); "
    "otherwise not a prediction (why: below, and in each model's report). Models "
    "are ranked only over the materials where each gives a prediction."
)


def tables(doc: Mapping[str, Any]) -> list[Table]:
    """The tables after the first screen (one with no row is left out)."""
    all_tables = [
        _rank_table(doc), _pairs_table(doc), _per_material_table(doc),
        _cells_table(doc), _d_by_cell_table(doc), _cost_table(doc)
    ]  # fmt: skip
    return [t for t in all_tables if t.rows]


def _rank_table(doc: Mapping[str, Any]) -> Table:
    """The rank over common predictions, then the study's MAEs per model (all
    materials with a σ(300 K), predictions or not; the reliable subset)."""
    models, ranking = doc["models"], doc["ranking"]
    order = list(ranking["rank"]) + [x for x in models if x not in ranking["rank"]]
    n_common = ranking["n_materials"]

    def rank_cells(label: str) -> list[str]:
        if label not in ranking["rank"]:
            least = ranking["min_materials"]
            why = ranking["not_ranked"].get(label) or f"too few to rank (n < {least})"
            return ["–", why, "", ""]
        m = ranking["mae_log10"][label]
        return [str(ranking["rank"].index(label) + 1), _f(m["mae"]), _ci(m["ci95"]),
                str(n_common)]  # fmt: skip

    return Table(
        "Rank (MAE of log10 σ(300 K) vs OBELiX over the materials where every ranked "
        "model gives a prediction, 95 % bootstrap interval over materials); then the "
        "study's figures, over all materials with a σ(300 K) (predictions or not) "
        "and over the reliable subset",
        ["rank", "model", "MAE predictions", "interval", "n", "MAE all (study)",
         "interval", "n", "MAE reliable (study)", "interval", "n"],
        [
            [
                rank_cells(label)[0],
                label,
                *rank_cells(label)[1:],
                _f(models[label]["mae_log10_all"]),
                _ci(models[label]["mae_log10_all_ci95"]),
                str(models[label]["n_all"]),
                _f(models[label]["mae_log10_reliable"]),
                _ci(models[label]["mae_log10_reliable_ci95"]),
                str(models[label]["n_reliable"]),
            ]
            for label in order
        ],
    )  # fmt: skip


def _pairs_table(doc: Mapping[str, Any]) -> Table:
    return Table(
        "Pairwise MAE difference (A − B, paired bootstrap; 0 outside the interval: "
        "told apart)",
        ["A", "B", "n", "MAE(A) − MAE(B)", "interval", "told apart"],
        [
            [
                p["a"],
                p["b"],
                str(p["n_materials"]),
                _f(p["difference"]),
                _ci(p["ci95"]),
                _told(p, min_n=doc["bootstrap"].get("min_materials_to_tell_apart")),
            ]
            for p in doc["pairwise_mae_difference"]
        ],
    )


def _told(pair: Mapping[str, Any], *, min_n: Any) -> str:
    if pair.get("too_few_materials"):
        return f"too few materials (n < {min_n})"
    return "yes" if pair.get("distinguishable") else "no"


def _cell(v: Mapping[str, Any]) -> str:
    s = v["sigma_300K_mS_cm"]
    if v["status"] != "fitted" or s is None or s <= 0:
        reason = v["reason"]  # a long one is on the first screen, not cut here
        return f"{v['status']}" + (f" ({reason})" if 0 < len(reason) <= 70 else "")
    rel = f" ({v['n_reliable']}/{v['n_temperatures']})" if v["n_temperatures"] else ""
    return f"{math.log10(s):.2f} / {_f(v['Ea_eV'], '.3f')}{rel}"


def _per_material_table(doc: Mapping[str, Any]) -> Table:
    labels = list(doc["models"])
    rows = []
    for mid, row in doc["materials"].items():
        exp = next(
            (v["sigma_exp_mS_cm"] for v in row.values() if v["sigma_exp_mS_cm"]), None
        )
        exp_text = _f(math.log10(exp)) if exp else "–"
        rows.append([mid, exp_text, *[_cell(row[x]) for x in labels]])
    return Table(
        "Per material: log10 σ(300 K) [mS/cm] / Ea [eV] (reliable T / temperatures)",
        ["material", "log10 σ exp", *labels],
        rows,
    )


def _cells_table(doc: Mapping[str, Any]) -> Table:
    """Per material and run: the simulated cell's volume against the experimental
    one, % (no rows, so no table, when every run used the experimental cell)."""
    labels = list(doc["models"])
    if all(doc["models"][x].get("cell", "experimental") == "experimental" for x in labels):
        return Table("", [], [])
    rows = []
    for mid, row in doc["materials"].items():
        rows.append([mid, *[_volume_change(row[x]) for x in labels]])
    return Table(
        "Cells: volume change against the experimental cell, 100 (V/V_exp − 1) %",
        ["material", *labels],
        rows,
    )


def _d_by_cell_table(doc: Mapping[str, Any]) -> Table:
    """Runs that differ in ``cell``: D at each material and temperature, each run
    against the reference run (:mod:`ionmd.analysis.compare_cells`)."""
    cmp = doc.get("d_by_cell")
    if not cmp:
        return Table("", [], [])
    ref = cmp["reference"]
    others = [x for x in doc["models"] if x != ref]

    def d(v: Mapping[str, Any] | None) -> str:
        if not v or v.get("D_cm2_s") is None:
            return "–"
        sigma = v.get("D_sigma_cm2_s")
        text = f"{v['D_cm2_s']:.3g}" + ("" if sigma is None else f" ± {sigma:.2g}")
        return text + ("" if v.get("reliable") else " (unreliable)")

    rows = []
    for r in cmp["rows"]:
        row = [r["material"], f"{r['temperature_K']:g}", d(r["runs"].get(ref))]
        for x in others:
            a = r["against_reference"].get(x) or {}
            ratio = "–" if a.get("ratio") is None else f"×{a['ratio']:.2f}"
            row += [d(r["runs"].get(x)), f"{ratio}: {a.get('verdict', '–')}"]
        rows.append(row)
    return Table(
        f"D per material and temperature [cm²/s, ± kinisi σ], against {ref}: told "
        f"apart when |ΔD| ≥ {cmp['told_apart_z']} combined σ (about 95 %)",
        ["material", "T (K)", ref, *[h for x in others for h in (x, f"{x} / {ref}")]],
        rows,
    )


def _volume_change(v: Mapping[str, Any]) -> str:
    """One material's volume change in one run: the material's (one cell for
    every temperature), else each temperature's (``cell = "npt"``), else –."""
    change, src = v.get("volume_change_pct"), v.get("cell_source")
    if change is not None:
        return f"{change:+.2f} ({src})"
    per_t = v.get("volume_change_pct_per_T") or []
    if not per_t or any(c is None for _, c in per_t):
        return "–"
    return ", ".join(f"{c:+.2f} at {t:g} K" for t, c in per_t) + f" ({src})"


def _cost_table(doc: Mapping[str, Any]) -> Table:
    models = doc["models"]
    return Table(
        "Cost (finished batches, from each campaign.json; peak host GB is the "
        "process's peak since it started: a model run after another in one "
        "process shows at least the other's)",
        ["model", "device", "atom-steps/s", "wall time (s)", "peak device GB",
         "peak host GB", "model version"],
        [
            [
                label,
                c["device"],
                _f(c["atom_steps_per_s"], ".4g"),
                _f(c["wall_s"], ".1f"),
                _f(c["peak_device_GB"], ".2f"),
                _f(c["peak_host_GB"], ".2f"),
                short(str(c["model_version"])),
            ]
            for label, m in models.items()
            if (c := m["cost"]) is not None
        ],
    )  # fmt: skip


def _own_reports(doc: Mapping[str, Any], out: Path) -> list[tuple[str, str]]:
    """(model, relative link) to each model's report.html that exists."""
    links = []
    for label, m in doc["models"].items():
        for run_dir in m.get("run_dirs") or [m["run_dir"]]:
            page = Path(run_dir) / "report.html"
            if page.is_file():
                rel = os.path.relpath(page.resolve(), out.resolve())
                links.append((label, Path(rel).as_posix()))
    return links


def write_markdown(doc: Mapping[str, Any], *, out: Path, figures: Sequence[Figure]) -> None:
    md = [f"# {TITLE}", "", "**σ(300 K) per material and model**", "", ANSWER_NOTE, ""]
    labels = list(doc["models"])
    md += ["| material | experiment | " + " | ".join(labels) + " |"]
    md += ["|" + "---|" * (2 + len(labels))]
    for mid, exp, *cells in answer_rows(doc):
        text = [f"{v}: {state}" if v != "–" else state for v, state in cells]
        md.append("| " + " | ".join([mid, exp, *text]).replace("\n", " ") + " |")
    md += ["", headline(doc), "", "**Why, per material and model**", ""]
    for mid, lines in first_screen(doc):
        md += [f"- {mid}"] + [f"  - {line}" for line in lines]
    md += ["", "**Made with**", ""]
    md += [f"- {label}: {m['settings']}" for label, m in doc["models"].items()]
    md.append("")
    for t in tables(doc):
        md += markdown_table(t)
    for fig in figures:
        md += [f"![{fig.caption}]({fig.name})" if fig.name else f"{fig.caption}.", ""]
    links = _own_reports(doc, out)
    md += [f"- {label}'s own report: [{rel}]({rel})" for label, rel in links]
    write_text_atomic(out / "comparison.md", "\n".join(md) + "\n")


#: the fold under the first screen with each model's parameters
MADE_WITH = "Made with: each model's and protocol's parameters"


def write_html(doc: Mapping[str, Any], *, out: Path, figures: Sequence[Figure]) -> None:
    from ionmd.report.pages import _image_src

    e = html.escape
    h = [*page_head(TITLE), "<div class='answer'><h2>σ(300 K) per material and model</h2>"]
    h.append(f"<p class='note'>{e(ANSWER_NOTE)}</p>")
    head = ["material", "experiment", *doc["models"]]
    table = ["<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in head) + "</tr>"]
    for mid, exp, *cells in answer_rows(doc):
        tds = "".join(f"<td>{e(v)}<br><small>{e(state)}</small></td>" for v, state in cells)
        table.append(f"<tr><td>{e(mid)}</td><td>{e(exp)}</td>{tds}</tr>")
    h += wide([*table, "</table>"])
    h.append(f"<p><b>{e(headline(doc))}</b></p>")
    h.append("<details><summary>Why, per material and model</summary>")
    for mid, lines in first_screen(doc):
        h.append(f"<h3>{e(mid)}</h3><ul>")
        h += [f"<li>{e(line)}</li>" for line in lines]
        h.append("</ul>")
    h += ["</details></div>", f"<details><summary>{MADE_WITH}</summary><ul>"]
    h += [f"<li>{e(label)}: {e(m['settings'])}</li>" for label, m in doc["models"].items()]
    h.append("</ul></details>")
    for t in tables(doc):
        h += wide(html_table(t))
    h.append("<h2>Parity</h2><div class='figs'>")
    for fig in figures:
        if fig.name:
            src = e(_image_src(fig.name, folder=out, embed=True))
            h.append(
                f"<figure><img src='{src}' alt='{e(fig.caption)}'>"
                f"<figcaption>{e(fig.caption)}</figcaption></figure>"
            )
    h.append("</div>")
    h += [f"<p class='note'>{e(fig.caption)}.</p>" for fig in figures if not fig.name]
    links = _own_reports(doc, out)
    if links:
        h.append("<h2>Each model's own report</h2><ul>")
        h += [f"<li><a href='{e(rel)}'>{e(label)}</a></li>" for label, rel in links]
        h.append("</ul>")
    write_text_atomic(out / "comparison.html", "\n".join(h) + "\n")


__all__ = ["first_screen", "headline", "short", "tables", "write_html", "write_markdown"]
