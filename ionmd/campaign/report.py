"""The campaign's part of the report: supercells (the 10 Å rule), failures,
and a cost table in the form of the study's Table 1 next to the study's own
rows; images inlined so report.html is self-contained."""

from __future__ import annotations

import base64
import html
import re
import statistics
from pathlib import Path
from typing import Any

from ionmd.outputs import write_text_atomic

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


def campaign_tables(record: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of the campaign tables."""
    cfg = record.get("config", {})
    temps = cfg.get("temperatures_K", [])
    tables = []
    sc_rows = [
        [mid, "×".join(str(x) for x in v[:3]), str(v[3]), str(v[3] * len(temps))]
        for mid, v in sorted(record.get("supercells", {}).items())
    ]
    tables.append(
        (
            f"Supercells (perpendicular widths ≥ {cfg.get('min_cell_length_A')} Å)",
            ["material", "supercell", "atoms", "atoms × temperatures"],
            sc_rows,
        )
    )
    failed = [[mid, why] for mid, why in record.get("failed_materials", {}).items()]
    for b in record.get("batches", []):
        failed += [[key, why] for key, why in b.get("failed_systems", {}).items()]
    if failed:
        tables.append(
            (
                "Failed (reported, not run or stopped)",
                ["material / system", "reason"],
                failed,
            )
        )
    batches = [b for b in record.get("batches", []) if b.get("status") == "done"]
    if batches:
        per_sim = [b["md_wall_s"] for b in batches for _ in range(b["n_systems"])]
        total = sum(b["wall_s"] for b in batches)
        gpu = "1" if "cuda" in str(record.get("device", "")) else "0"
        sim_ps = float(cfg.get("duration_ps", 0.0))
        row = [
            f"ionmd, {record.get('model', {}).get('model_name', '?')} (this run, batched)",
            gpu,
            "1" if gpu == "1" else "all",
            _hms(statistics.median(per_sim)),
            _hms(min(per_sim)),
            _hms(max(per_sim)),
            _hms(total),
            f"{sim_ps:g}",
            f"{max(b['peak_device_GB'] for b in batches):.2f}",
            f"{max(b['peak_host_GB'] for b in batches):.2f}",
        ]
        rate = sum(b["n_atoms"] * b["steps"] for b in batches) / max(
            1e-9, sum(b["md_wall_s"] for b in batches)
        )
        tables.append(
            (
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


def _md_table(title: str, head: list[str], rows: list[list[str]]) -> list[str]:
    out = [f"## {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return out + ["| " + " | ".join(r) + " |" for r in rows] + [""]


def _html_table(title: str, head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<h2>{html.escape(title)}</h2><table><tr>{cells}</tr>{body}</table>"


def _inline_images(text: str, folder: Path) -> str:
    def repl(m: re.Match[str]) -> str:
        path = folder / html.unescape(m.group(1))
        if not path.is_file():
            return m.group(0)
        data = base64.b64encode(path.read_bytes()).decode()
        return f"src='data:image/png;base64,{data}'"

    return re.sub(r"src='([^':]+\.png)'", repl, text)


def finish_reports(out_dir: str | Path, record: dict[str, Any]) -> None:
    """Add the campaign tables to report.md/html (creating them if the analysis
    did not) and inline the figures into report.html."""
    out = Path(out_dir)
    tables = campaign_tables(record)
    md_path, html_path = out / "report.md", out / "report.html"
    md = md_path.read_text() if md_path.exists() else "# ionmd campaign\n\n"
    md = md.split("\n<!-- campaign -->\n")[0]
    md += "\n<!-- campaign -->\n\n# Campaign\n\n"
    for t in tables:
        md += "\n".join(_md_table(*t)) + "\n"
    write_text_atomic(md_path, md)
    page = (
        html_path.read_text()
        if html_path.exists()
        else ("<!doctype html><meta charset='utf-8'><title>ionmd campaign</title>")
    )
    page = page.split("\n<!-- campaign -->\n")[0]
    page += (
        "\n<!-- campaign -->\n<h1>Campaign</h1>"
        + "".join(_html_table(*t) for t in tables)
        + "\n"
    )
    write_text_atomic(html_path, _inline_images(page, out))
