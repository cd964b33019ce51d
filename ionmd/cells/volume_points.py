"""The cell stage's volumes for the report, from campaign.json's ``cells``:
per material and temperature the NPT cell against the experimental one (the
V(T) figure and the material × temperature table), and a relaxed cell as its
0 K point.

An NPT row's point is its production cell's volume, 1 + ``volume_change_pct``
/ 100 of the experimental (the number of the Cells table); its error bar the
error of the mean volume of the stage's second half, whose mean cell the
production uses (:mod:`ionmd.cells.stage_error`: ±1 s.e. covers 68 %), or
"not resolved" (no bar) where the half is too short to say.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ionmd.cells.npt_framework import is_stage_melt
from ionmd.cells.stage_error import volume_error
from ionmd.fileformat import system_key

#: what the table and the figure say of an NPT point whose error is None
NOT_RESOLVED = "error not resolved"


def volume_points(
    cells: dict[str, Any],
    *,
    material_ids: Iterable[str],
    temperatures_K: Sequence[float],
) -> list[dict[str, Any]]:
    """One point per row of ``cells`` (rows of a melted NPT system left out):
    ``material_id``, ``temperature_K`` (0 for a relaxed cell), ``volume_ratio``
    (V/V_exp), ``volume_ratio_se`` (None for a relaxed cell, and for an NPT
    row whose stage was too short to say, which ``volume_ratio_note`` then
    says) and ``cell_source``. ``material_ids`` and ``temperatures_K`` (the campaign's)
    name the NPT rows, which campaign.json keys by system key."""
    names = {
        system_key(mid, t): (mid, float(t)) for mid in material_ids for t in temperatures_K
    }
    out = []
    for key, row in sorted(cells.items()):
        source = str(row.get("cell_source", "relaxed"))
        if row.get("failed") or row.get("converged") is False:
            continue
        ratio = 1.0 + float(row["volume_change_pct"]) / 100.0
        if source == "relaxed":
            out.append(_point(key, 0.0, ratio, None, source))
        elif source == "npt" and key in names:
            se = ratio_se(row)
            note = NOT_RESOLVED if se is None else None
            out.append(_point(*names[key], ratio, se, source, note=note))
    return sorted(out, key=lambda p: (p["material_id"], p["temperature_K"]))


def _point(
    mid: str, t: float, ratio: float, se: float | None, source: str, note: str | None = None
) -> dict[str, Any]:
    return {
        "material_id": mid,
        "temperature_K": t,
        "volume_ratio": ratio,
        "volume_ratio_se": se,
        "volume_ratio_note": note,
        "cell_source": source,
    }


def volume_by_temperature(
    cells: dict[str, Any],
    *,
    material_ids: Iterable[str],
    temperatures_K: Sequence[float],
) -> tuple[list[str], list[list[str]]]:
    """The report's material × temperature table of an NPT campaign: the header
    and per material ΔV/V_exp (%) ± its standard error at each temperature
    ("(error not resolved)" after it where the stage was too short to say,
    what ended a system its stage ended, "melted" or "cell blew up", "–" for
    one not run)."""
    temps = sorted(float(t) for t in temperatures_K)
    rows = []
    for mid in sorted(material_ids):
        row = [mid]
        for t in temps:
            r = cells.get(system_key(mid, t))
            row.append(
                "–" if r is None else _ended(r["failed"]) if r.get("failed") else _pct(r)
            )
        rows.append(row)
    return ["material", *(f"{t:g} K" for t in temps)], rows


def _ended(reason: str) -> str:
    """What ended a system's stage, in a word or two: "melted" (the volume ran
    away or the framework moved), else the reason up to its first ":" ("cell
    blew up during the NPT stage")."""
    return "melted" if is_stage_melt(reason) else str(reason).split(":", 1)[0]


def _pct(row: dict[str, Any]) -> str:
    se = ratio_se(row)
    text = f"{row['volume_change_pct']:+.2f}"
    return f"{text} ({NOT_RESOLVED})" if se is None else f"{text} ± {100.0 * se:.2f}"


def ratio_se(row: dict[str, Any]) -> float | None:
    """The standard error of an NPT row's V/V_exp: its stage's second-half mean
    volume's (recorded, or from the series of a row from before it was;
    :func:`ionmd.cells.stage_error.volume_error`) over the experimental volume;
    None when the half is too short to say."""
    v_exp = abs(np.linalg.det(np.asarray(row["experimental_cell_A"], dtype=np.float64)))
    se, _ = volume_error(row)
    return None if se is None else float(se) / v_exp
