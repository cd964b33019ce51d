"""The report's adaptive section from results.json's ``"adaptive"`` part: the
settings and cost, each material's status and reason, each system's run (when it
ran on the batch clock, how it ended, why), and the log of entries, exits and
decisions (extensions counted per system; every one of them is in results.json)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ionmd.report.tables import Section, Table

SECTION_TITLE = "Adaptive protocol"


def _g(x: Any, fmt: str = ".3g") -> str:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        return "–"
    return format(x, fmt)


def _temps(values: Any) -> str:
    return ", ".join(f"{t:g}" for t in values or []) or "none"


#: names of the decision numbers, as the report prints them (unit included)
_NUMBER_LABELS = {
    "run_ps": ("run", "ps", "g"),
    "msd_A2": ("Li MSD", "Å²", ".3g"),
    "D_cm2_s": ("D", "cm²/s", ".3g"),
    "D_log10_ci": ("D 95 % width", "decades", ".2f"),
    "framework_msd_A2": ("framework MSD", "Å²", ".3g"),
}


def numbers_text(numbers: Mapping[str, Any] | None) -> str:
    """``run 25 ps, Li MSD 12.1 Å², ...``: the known numbers first, then any other."""
    numbers = numbers or {}
    parts = [
        f"{label} {_g(numbers[k], fmt)} {unit}"
        for k, (label, unit, fmt) in _NUMBER_LABELS.items()
        if k in numbers
    ]
    ci = numbers.get("D_ci95_cm2_s")
    if isinstance(ci, list) and len(ci) == 2:
        parts.append(f"D 95 % [{_g(ci[0], '.3g')}, {_g(ci[1], '.3g')}] cm²/s")
    parts += [
        f"{k} {_g(v)}"
        for k, v in numbers.items()
        if k not in _NUMBER_LABELS and k != "D_ci95_cm2_s"
    ]
    return ", ".join(parts)


def _settings_table(a: Mapping[str, Any]) -> Table:
    occ = a.get("occupancy_mean")
    rows = [[k, v if isinstance(v, str) else _g(v, "g")] for k, v in a["settings"].items()]
    rows += [
        ["batch capacity (atoms)", _g(a["capacity_atoms"], "g")],
        ["batch time (ps)", _g(a["batch_time_ps"], "g")],
        ["atom-steps spent", _g(a["atom_steps"], ".3g")],
        ["batch occupancy, mean", f"{occ:.1%}" if isinstance(occ, float) else "–"],
        ["finished", "yes" if a.get("done") else "no (still running)"],
    ]
    return Table(f"{SECTION_TITLE}: settings and cost", ["setting", "value"], rows)


def _materials_table(a: Mapping[str, Any]) -> Table:
    rows = [
        [
            mid,
            m["status"],
            _temps(m["temperatures_K"]),
            _temps(m.get("fit_K") or []),
            _temps(m["reliable_K"]),
            _temps(m["melted_K"]),
            _g(m.get("sigma300_log10_ci"), ".2f"),
            m.get("reason") or "",
        ]
        for mid, m in a["materials"].items()
    ]
    header = [
        "id",
        "status",
        "temperatures (K)",
        "fitted (K)",
        "reached the Li MSD target (K)",
        "melted (K)",
        "σ300 95 % width (decades)",
        "reason",
    ]
    return Table(f"{SECTION_TITLE}: materials", header, rows)


def _systems_table(a: Mapping[str, Any]) -> Table:
    rows = [
        [
            s["material_id"],
            _g(s["temperature_K"], "g"),
            _g(s.get("entered_ps"), "g"),
            _g(s.get("left_ps"), "g") if s.get("left_ps") is not None else "–",
            _g(s.get("run_ps"), "g"),
            str(s["n_extensions"]),
            s["outcome"],
            s.get("reason") or "",
            numbers_text(s.get("numbers")),
        ]
        for s in a["systems"].values()
    ]
    header = [
        "id",
        "T (K)",
        "entered (batch ps)",
        "left (batch ps)",
        "ran (ps)",
        "extensions",
        "outcome",
        "reason",
        "last numbers",
    ]
    return Table(f"{SECTION_TITLE}: systems on the batch clock", header, rows)


def _log_rows(a: Mapping[str, Any]) -> list[list[str]]:
    """Every decision except the extensions, in batch order."""
    rows = []
    for key, s in a["systems"].items():
        for d in s["decisions"]:
            if d["event"] != "extend":
                rows.append((d["step"], 0, key, d))
    for mid, m in a["materials"].items():
        for d in m["decisions"]:
            if d["event"] != "add_temperature":  # already under its system
                rows.append((d["step"], 1, mid, d))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [
        [
            _g(d["batch_time_ps"], "g"),
            str(step),
            who,
            d["event"] + (f" ({d['outcome']})" if d.get("outcome") else ""),
            d.get("reason") or "",
            numbers_text(d.get("numbers")),
        ]
        for step, _, who, d in rows
    ]


def _log_table(a: Mapping[str, Any]) -> Table:
    header = ["batch time (ps)", "step", "system / material", "event", "why", "numbers"]
    return Table(
        f"{SECTION_TITLE}: entries, exits and decisions (extensions: see systems; "
        "all in results.json)",
        header,
        _log_rows(a),
    )


def adaptive_section(a: Mapping[str, Any], *, figures: list[str] | None = None) -> Section:
    """The report's section for results.json's ``"adaptive"`` part ``a``, with the
    adaptive figures (file names) that exist."""
    tables = [_settings_table(a), _materials_table(a), _systems_table(a), _log_table(a)]
    return Section(SECTION_TITLE, tables, figures or [])


__all__ = ["SECTION_TITLE", "adaptive_section", "numbers_text"]
