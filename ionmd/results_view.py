"""How :class:`ionmd.Results` shows itself: a short ``repr``, an HTML table for a
notebook, and a long-format table (one row per material and temperature, units
in the column names) as a pandas DataFrame. Every interval is the 95 % one."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ionmd.errors import InputError

if TYPE_CHECKING:
    from ionmd.analysis.verdict import Verdict
    from ionmd.results_entries import MaterialEntry, TemperatureEntry

NAN = float("nan")
#: materials listed by ``repr`` before "… and N more"
REPR_MATERIALS = 10


class ResultsLike(Protocol):
    """What the views read of :class:`ionmd.Results` (named here, not imported:
    ``ionmd.results`` builds on this module)."""

    @property
    def out_dir(self) -> Path: ...
    @property
    def materials(self) -> Mapping[str, MaterialEntry]: ...
    @property
    def verdicts(self) -> Mapping[str, Verdict]: ...
    @property
    def predictions(self) -> tuple[str, ...]: ...
    @property
    def mae_log10_predictions(self) -> float: ...
    @property
    def n_predictions_with_error(self) -> int: ...


class ResultsView:
    """The showing methods of :class:`ionmd.Results` (its base class)."""

    def __repr__(self: ResultsLike) -> str:
        return text_repr(self)

    def _repr_html_(self: ResultsLike) -> str:
        return html_repr(self)

    def to_dataframe(self: ResultsLike) -> Any:
        """One row per (material, temperature), units in the column names
        (pandas.DataFrame; pandas is optional: InputError naming it when absent)."""
        return to_dataframe(self)


def _g(x: float, fmt: str = ".3g") -> str:
    return format(x, fmt) if isinstance(x, int | float) and math.isfinite(x) else "–"


def _ci(pair: tuple[float, float], fmt: str = ".3g") -> str:
    return f"[{_g(pair[0], fmt)}, {_g(pair[1], fmt)}]"


def _mae_text(res: ResultsLike) -> str:
    n = res.n_predictions_with_error
    if not n:
        return "MAE over predictions: none"
    return f"MAE of log10 σ(300 K) over {n} prediction(s): {res.mae_log10_predictions:.2f}"


def text_repr(res: ResultsLike) -> str:
    """A few lines: where, how many materials and predictions, the headline MAE,
    then one verdict line per material (the first :data:`REPR_MATERIALS`)."""
    lines = [
        f"Results({str(res.out_dir)!r}: {len(res.verdicts)} material(s), "
        f"{len(res.predictions)} prediction(s); {_mae_text(res)})"
    ]
    verdicts = list(res.verdicts.values())
    lines += [f"  {v.line}" for v in verdicts[:REPR_MATERIALS]]
    if len(verdicts) > REPR_MATERIALS:
        lines.append(f"  … and {len(verdicts) - REPR_MATERIALS} more")
    return "\n".join(lines)


def _material_cells(m: MaterialEntry | None, verdict_line: str) -> list[str]:
    """σ(300 K), Ea (each with its interval) and the verdict of one material."""
    if m is None:
        return ["–", "–", verdict_line]
    sigma = f"{_g(m.sigma_300K_mS_cm)} {_ci(m.sigma_300K_ci95_mS_cm)}"
    ea = f"{_g(m.Ea_eV, '.3f')} {_ci(m.Ea_ci95_eV, '.3f')}"
    return [sigma, ea, verdict_line]


def html_repr(res: ResultsLike) -> str:
    """The notebook table: per material and temperature D with its interval and
    the Li MSD; per material σ(300 K) and Ea with intervals and the verdict."""
    e = html.escape
    head = [
        "material", "T (K)", "D (cm²/s) [95 %]", "Li MSD max (Å²)",
        "σ(300 K) (mS/cm) [95 %]", "Ea (eV) [95 %]", "verdict",
    ]  # fmt: skip
    out = [
        f"<p><b>ionmd results</b> in <code>{e(str(res.out_dir))}</code>: "
        f"{e(_mae_text(res))}</p>",
        "<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>",
    ]
    for mid, v in res.verdicts.items():
        m = res.materials.get(mid)
        temps = list(m.temperatures) if m is not None else []
        span = max(1, len(temps))
        state = v.status.replace("_", " ")
        cells = _material_cells(m, state)
        own = "".join(f"<td rowspan='{span}'>{e(c)}</td>" for c in cells)
        first = f"<td rowspan='{span}'>{e(mid)}</td>"
        if not temps:
            out.append(f"<tr>{first}<td>–</td><td>–</td><td>–</td>{own}</tr>")
        for i, t in enumerate(temps):
            cells = [
                _g(t.temperature_K, "g"),
                f"{_g(t.D_cm2_s)} {_ci(t.D_ci95_cm2_s)}",
                _g(t.msd_max_A2, ".1f") + ("" if t.reliable else " (< 20)"),
            ]
            tds = "".join(f"<td>{e(c)}</td>" for c in cells)
            out.append(f"<tr>{first if i == 0 else ''}{tds}{own if i == 0 else ''}</tr>")
    out.append("</table>")
    out.append("<ul>" + "".join(f"<li>{e(v.line)}</li>" for v in res.verdicts.values()))
    out.append("</ul>")
    return "\n".join(out)


def _temperature_row(t: TemperatureEntry | None) -> dict[str, Any]:
    if t is None:
        t_keys = ("temperature_K", "D_cm2_s", "D_ci95_low_cm2_s", "D_ci95_high_cm2_s")
        return {k: NAN for k in t_keys} | {"li_msd_max_A2": NAN, "reliable": False,
                                            "used_in_fit": False}  # fmt: skip
    return {
        "temperature_K": t.temperature_K,
        "D_cm2_s": t.D_cm2_s,
        "D_ci95_low_cm2_s": t.D_ci95_cm2_s[0],
        "D_ci95_high_cm2_s": t.D_ci95_cm2_s[1],
        "sigma_mS_cm": t.sigma_mS_cm,
        "li_msd_max_A2": t.msd_max_A2,
        "reliable": t.reliable,
        "framework_msd_max_A2": t.framework_msd_max_A2,
        "framework_mobile": t.framework_mobile,
        "used_in_fit": t.used_in_fit,
        "haven_ratio": t.haven_ratio,
        "haven_ratio_ci95_low": t.haven_ratio_ci95[0],
        "haven_ratio_ci95_high": t.haven_ratio_ci95[1],
        "cell_source": t.cell_source,
        "volume_change_pct": t.volume_change_pct,
    }


def _material_row(mid: str, m: MaterialEntry | None) -> dict[str, Any]:
    if m is None:
        return {"material_id": mid, "formula": ""}
    return {
        "material_id": mid,
        "formula": m.formula,
        "Ea_eV": m.Ea_eV,
        "Ea_ci95_low_eV": m.Ea_ci95_eV[0],
        "Ea_ci95_high_eV": m.Ea_ci95_eV[1],
        "sigma_300K_mS_cm": m.sigma_300K_mS_cm,
        "sigma_300K_ci95_low_mS_cm": m.sigma_300K_ci95_mS_cm[0],
        "sigma_300K_ci95_high_mS_cm": m.sigma_300K_ci95_mS_cm[1],
        "sigma_exp_mS_cm": m.sigma_exp_mS_cm,
        "log10_error": m.log10_error,
    }


def rows(res: ResultsLike) -> list[dict[str, Any]]:
    """One dict per (material, temperature), every material of ``res.verdicts``
    (one row with no temperature for a material without a result)."""
    out = []
    for mid, v in res.verdicts.items():
        m = res.materials.get(mid)
        own = _material_row(mid, m) | {
            "verdict": v.status,
            "prediction": v.prediction,
            "sigma300_ci95_decades": (
                NAN if v.sigma300_ci95_decades is None else v.sigma300_ci95_decades
            ),
        }
        for t in m.temperatures if m is not None and m.temperatures else [None]:
            out.append(own | _temperature_row(t))
    return out


def to_dataframe(res: ResultsLike) -> Any:
    """:func:`rows` as a pandas DataFrame (InputError when pandas is missing)."""
    try:
        import pandas as pd
    except ImportError:
        raise InputError(
            "Results.to_dataframe needs pandas (pip install pandas); without it, "
            "ionmd.results_view.rows(results) gives the same rows as dicts"
        ) from None
    return pd.DataFrame(rows(res))


__all__ = ["ResultsView", "html_repr", "rows", "text_repr", "to_dataframe"]
