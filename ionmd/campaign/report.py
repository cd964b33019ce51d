"""The campaign's part of the report: supercells (the 10 Å rule), failures,
and a cost table in the form of the study's Table 1 next to the study's own
rows; images inlined so report.html is self-contained."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from ionmd.analysis.campaign_record import (  # settings_lines: re-exported, its old home
    atom_steps_per_s,
    done_batches,
    settings_lines,
    simulated_ps_per_system,
)
from ionmd.errors import InputError
from ionmd.log import get_logger
from ionmd.report.tables import Section, Table

log = get_logger(__name__)

#: The study's Table 1: per (material, temperature) simulation of 100 ps.
STUDY_COST_ROWS = [
    [
        "MACE medium-mpa-0 via ASE (the study)",
        "1",
        "1",
        "47m",
        "20m",
        "2h 27m",
        "n/a",
        "100",
        "40",
        "1.2",
    ],
    [
        "DFT, VASP (the study)",
        "0",
        "64",
        "9d 21h 09m",
        "2d 3h 0m",
        "42d 09h 27m",
        "n/a",
        "100",
        "0",
        "32",
    ],
]


def _hms(seconds: float) -> str:
    seconds = float(seconds)
    d, rem = divmod(int(round(seconds)), 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    if d:
        return f"{d}d {h}h {m:02d}m"
    if h:
        return f"{h}h {m:02d}m"
    if m:
        return f"{m}m {s:02d}s"
    return f"{seconds:.1f}s"


def _simulated_ps_cell(per_batch: list[float], batches: list[dict[str, Any]]) -> str:
    """Picoseconds per simulation: the one length when all systems ran it, else
    the mean (an adaptive campaign stops each system at its own time)."""
    if max(per_batch) - min(per_batch) <= 1e-9 * max(per_batch) and all(
        b.get("protocol") != "adaptive" for b in batches
    ):
        return f"{per_batch[0]:g}"
    n = [int(b.get("n_systems") or 0) for b in batches]
    total = sum(ps * k for ps, k in zip(per_batch, n, strict=True))
    return f"{total / max(1, sum(n)):.3g} (mean; {total:.3g} in all)"


def campaign_tables(record: dict[str, Any]) -> list[Table]:
    """The campaign tables: supercells, failures, cost."""
    cfg = record.get("config", {})
    temps = cfg.get("temperatures_K", [])
    tables = []
    sc_rows = [
        [mid, "×".join(str(x) for x in v[:3]), str(v[3]), str(v[3] * len(temps))]
        for mid, v in sorted(record.get("supercells", {}).items())
    ]
    tables.append(
        Table(
            f"Supercells (perpendicular widths ≥ {cfg.get('min_cell_length_A')} Å)",
            ["material", "supercell", "atoms", "atoms × temperatures"],
            sc_rows,
        )
    )
    if record.get("cells"):
        tables.append(_cells_table(record["cells"]))
        if _is_npt(record["cells"]):
            tables.append(_volume_by_temperature_table(record))
    failed = [[mid, why] for mid, why in record.get("failed_materials", {}).items()]
    for b in record.get("batches", []):
        failed += [[key, why] for key, why in b.get("failed_systems", {}).items()]
    if failed:
        tables.append(
            Table(
                "Failed (reported, not run or stopped)",
                ["material / system", "reason"],
                failed,
            )
        )
    batches = done_batches(record)
    if batches:
        per_sim = [b["md_wall_s"] for b in batches for _ in range(b["n_systems"])]
        total = sum(b["wall_s"] for b in batches)
        gpu = "1" if "cuda" in str(record.get("device", "")) else "0"
        sim_ps = simulated_ps_per_system(
            batches, duration_ps=float(cfg.get("duration_ps", 0.0))
        )
        row = [
            f"ionmd, {record.get('model', {}).get('model_name', '?')} (this run, batched)",
            gpu,
            "1" if gpu == "1" else "all",
            _hms(statistics.median(per_sim)),
            _hms(min(per_sim)),
            _hms(max(per_sim)),
            _hms(total),
            _simulated_ps_cell(sim_ps, batches),
            f"{max(b['peak_device_GB'] for b in batches):.2f}",
            f"{max(b['peak_host_GB'] for b in batches):.2f}",
        ]
        rate = atom_steps_per_s(batches) or float("inf")
        tables.append(
            Table(
                "Cost (per simulation = one material at one temperature; in a batch all "
                f"run at once; {rate:.3g} atom-steps/s here)",
                [
                    "method",
                    "GPU",
                    "CPU",
                    "median",
                    "min",
                    "max",
                    "total",
                    "simulated ps",
                    "max GPU mem (GB)",
                    "max CPU mem (GB)",
                ],
                [row, *STUDY_COST_ROWS],
            )
        )
    return tables


def _cells_table(cells: dict[str, Any]) -> Table:
    """Per material: the cell simulated and its volume against the experimental."""
    from ionmd.cells.stage import volume_rows

    return Table(
        "Cells (cell = relaxed: 0 K with this model, per material; cell = npt: the "
        "mean cell of the NPT stage, per material and temperature; volume against "
        "the structure file's cell)",
        [
            "material (npt: and temperature)",
            "cell",
            "ΔV/V_exp (%)",
            "FIRE steps",
            "max force (eV/Å)",
            "max stress (GPa; npt: mean pressure of the second half)",
            "converged",
        ],
        list(volume_rows(cells)),
    )


def _is_npt(cells: dict[str, Any]) -> bool:
    return any(row.get("cell_source") == "npt" for row in cells.values())


def _names(record: dict[str, Any]) -> dict[str, Any]:
    """The campaign's materials and temperatures, which name campaign.json's
    NPT rows (keyed by system key)."""
    return {
        "material_ids": list(record.get("supercells", {})),
        "temperatures_K": record.get("config", {}).get("temperatures_K", []),
    }


def _volume_by_temperature_table(record: dict[str, Any]) -> Table:
    """Per material and temperature, the NPT cell's volume change."""
    from ionmd.cells.volume_points import volume_by_temperature

    header, rows = volume_by_temperature(record["cells"], **_names(record))
    return Table(
        "Volume of the NPT cell against the experimental cell, ΔV/V_exp (%) ± the "
        "standard error of the stage's second-half mean volume (±1 covers 68 %; "
        "'error not resolved' where the stage was too short to say), per temperature",
        header,
        rows,
    )


def _volume_figures(out: Path, record: dict[str, Any]) -> list[str]:
    """Write the V(T) figure (cell = relaxed or npt); its file name, or none."""
    from ionmd.cells.volume_points import volume_points
    from ionmd.report.cell_figure import write_volume_figure

    if not record.get("cells"):
        return []
    path = write_volume_figure(
        volume_points(record["cells"], **_names(record)), out_dir=out
    )
    return [] if path is None else [path.name]


def _analysis_doc(out: Path) -> dict[str, Any] | None:
    """The analysis's results.json in ``out`` (``None`` when there is none, or it
    cannot be read: the report then holds the campaign tables only)."""
    from ionmd.analysis.results_file import read_results_json

    if not (out / "results.json").is_file():  # no analysis (yet)
        return None
    try:
        return read_results_json(out)
    except InputError as exc:
        log.warning(f"{exc}; the report has the campaign tables only")
        return None


def finish_reports(out_dir: str | Path, record: dict[str, Any]) -> None:
    """Write report.md/html: the analysis (from results.json and its figures,
    when it ran) and then the campaign tables, with the V(T) figure of a cell
    stage (``cell_volume.png``); figures inlined into report.html.

    Written whole each time from its inputs, so a second call gives the same
    report (the campaign tables once)."""
    from ionmd.report.figures import figure_names
    from ionmd.report.pages import write_text_reports

    out = Path(out_dir)
    doc = _analysis_doc(out)
    figures = []
    if doc is not None:
        figures = [n for n in figure_names(list(doc["materials"])) if (out / n).is_file()]
    write_text_reports(
        doc=doc,
        out_dir=out,
        figures=figures,
        sections=[
            Section("Campaign", campaign_tables(record), _volume_figures(out, record))
        ],
        embed_images=True,
        preface=settings_lines(record),
    )
