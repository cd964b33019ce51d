"""Figures a scientist checks before trusting a number (matplotlib, Agg backend).

- ``msd_<id>.png``: Li MSD vs lag per temperature, the framework MSD dashed, the
  20 Å² reliability threshold and the start of the fit.
- ``arrhenius_<id>.png``: D(T) with 95 % intervals against 1000/T, the fit with
  its 95 % band extended to 300 K and the extrapolated point; Ea and the 300 K
  value with their 95 % intervals in the legend; the y axis follows the points
  (a band tens of decades wide runs off it rather than flattening the data).
- ``parity.png``: predicted vs measured sigma at 300 K, marker size by the count
  of reliable temperatures (the study's Figure 1).
- ``log_error.png``: log10(sigma_pred / sigma_exp) per material (its Figure 3).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ionmd.analysis.material_summary import MaterialSummary
from ionmd.analysis.reliability import LI_MSD_THRESHOLD_A2
from ionmd.outputs import atomic_output
from ionmd.report.msd_figure import (
    draw_temperature,
    draw_threshold,
    key_handles,
    shade_windows,
)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: pixels per inch of every PNG written (a figure W inches wide is 120 W px)
FIGURE_DPI = 120


def _save(fig: object, path: Path) -> None:
    """Save ``fig`` as PNG whole or not at all (a full disk: one-line OutputError),
    and close it either way."""
    plt = _plt()
    try:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, dpi=FIGURE_DPI, format="png")  # type: ignore[attr-defined]
    finally:
        plt.close(fig)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _msd_name(material_id: str) -> str:
    return f"msd_{_safe(material_id)}.png"


def _arrhenius_name(material_id: str) -> str:
    return f"arrhenius_{_safe(material_id)}.png"


def figure_names(material_ids: Sequence[str]) -> list[str]:
    """The file names :func:`write_figures` gives, in its order (parity and
    log-error only when some material has a measured sigma)."""
    names = [f(mid) for mid in material_ids for f in (_msd_name, _arrhenius_name)]
    return [*names, "parity.png", "log_error.png"]


def msd_figure(*, material: MaterialSummary) -> Any:
    """The MSD figure of one material (:mod:`ionmd.report.msd_figure`), open."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    cmap = plt.get_cmap("plasma")
    n = len(material.temperatures)
    shade_windows(ax, results=material.temperatures)
    for k, r in enumerate(material.temperatures):
        draw_temperature(ax, result=r, colour=cmap(0.85 * k / max(1, n - 1)))
    draw_threshold(ax, threshold_A2=LI_MSD_THRESHOLD_A2)
    ax.set_xlabel("lag time (ps)")
    ax.set_ylabel("MSD (Å²)")
    ax.set_title(f"{material.material_id} {material.formula}: Li MSD", fontsize=9)
    handles = ax.get_legend_handles_labels()[0] + key_handles()
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def plot_msd(*, material: MaterialSummary, out_dir: str | os.PathLike[str]) -> Path:
    fig = msd_figure(material=material)
    path = Path(out_dir) / _msd_name(material.material_id)
    _save(fig, path)
    return path


#: decades of room the Arrhenius figure's y axis leaves around its points
ARRHENIUS_PAD_DECADES = 1.0


def arrhenius_ylim(material: MaterialSummary) -> tuple[float, float] | None:
    """The Arrhenius figure's D range: the measured points and the extrapolated
    value, ± :data:`ARRHENIUS_PAD_DECADES` (a 95 % band tens of decades wide is
    clipped, not allowed to squash the data into a line); None without a point."""
    values = [r.D_cm2_s for r in material.temperatures] + [material.D_extrap_cm2_s]
    good = [v for v in values if math.isfinite(v) and v > 0]
    if not good:
        return None
    pad = 10**ARRHENIUS_PAD_DECADES
    return min(good) / pad, max(good) * pad


def _draw_fit(ax: object, material: MaterialSummary) -> None:
    """The fit with its 95 % band to the extrapolation and the extrapolated point,
    their 95 % intervals in the legend (the band may run off the axis)."""
    fit = material.arrhenius
    if fit is None:
        return
    t_max = max(r.temperature_K for r in material.temperatures)
    inv = np.linspace(1000 / t_max, 1000 / material.extrapolate_K, 100)
    at = [fit.D_at(temperature_K=1000 / x) for x in inv]
    lo_ea, hi_ea = fit.Ea_ci95_eV
    ax.plot(  # type: ignore[attr-defined]
        inv,
        [D for D, _ in at],
        "C1-",
        label=f"Ea = {fit.Ea_eV:.2f} eV [95 %: {lo_ea:.2f}, {hi_ea:.2f}]",
    )
    ax.fill_between(  # type: ignore[attr-defined]
        inv, [c[0] for _, c in at], [c[1] for _, c in at], color="C1", alpha=0.25,
        label="95 % band",
    )  # fmt: skip
    D, (lo, hi) = material.D_extrap_cm2_s, material.D_extrap_ci95_cm2_s
    ax.errorbar(  # type: ignore[attr-defined]
        [1000 / material.extrapolate_K],
        [D],
        yerr=[[max(D - lo, 0)], [max(hi - D, 0)]],
        fmt="s",
        color="C3",
        label=f"{material.extrapolate_K:g} K: {D:.2g} cm²/s [95 %: {lo:.2g}, {hi:.2g}]",
    )


def draw_arrhenius(*, material: MaterialSummary) -> object:
    """The Arrhenius figure (matplotlib Figure, not saved): D(T) with 95 %
    intervals, the fit and its 95 % band, the extrapolated point; the y axis
    follows the points (:func:`arrhenius_ylim`)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    fitted = material.used_in_fit_K
    for r in material.temperatures:
        lo, hi = r.D_ci95_cm2_s
        yerr = None
        if math.isfinite(lo) and math.isfinite(hi) and r.D_cm2_s > 0:
            yerr = [[max(r.D_cm2_s - lo, 0)], [max(hi - r.D_cm2_s, 0)]]
        style = {
            "mfc": "C0" if r.reliable else "white",
            "mec": "C0" if float(r.temperature_K) in fitted else "r",
        }
        ax.errorbar(
            [1000 / r.temperature_K], [r.D_cm2_s], yerr=yerr, fmt="o", color="C0", **style
        )
    _draw_fit(ax, material)
    ax.set_yscale("log")
    if (ylim := arrhenius_ylim(material)) is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("D (cm²/s)")
    ax.set_title(
        f"{material.material_id}: filled = MSD ≥ {LI_MSD_THRESHOLD_A2:g} Å², "
        "red edge = excluded; intervals 95 %",
        fontsize=9,
    )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_arrhenius(*, material: MaterialSummary, out_dir: str | os.PathLike[str]) -> Path:
    """:func:`draw_arrhenius` saved as ``arrhenius_<id>.png``."""
    path = Path(out_dir) / _arrhenius_name(material.material_id)
    _save(draw_arrhenius(material=material), path)
    return path


def _compared(materials: list[MaterialSummary]) -> list[MaterialSummary]:
    return [m for m in materials if math.isfinite(m.log10_error)]


def plot_parity(
    *, materials: list[MaterialSummary], out_dir: str | os.PathLike[str]
) -> Path | None:
    ms = _compared(materials)
    if not ms:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5))
    x = np.array([m.sigma_exp_mS_cm for m in ms], dtype=float)
    y = np.array([m.sigma_extrap_mS_cm for m in ms])
    lo = np.array([m.sigma_extrap_ci95_mS_cm[0] for m in ms])
    hi = np.array([m.sigma_extrap_ci95_mS_cm[1] for m in ms])
    nrel = np.array([m.n_reliable for m in ms])
    ax.errorbar(
        x,
        y,
        yerr=[np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)],
        fmt="none",
        ecolor="0.6",
        lw=0.8,
    )
    sc = ax.scatter(
        x,
        y,
        s=20 + 30 * nrel,
        c=nrel,
        cmap="viridis",
        vmin=0,
        vmax=5,
        edgecolors="k",
        zorder=3,
    )
    for m, xi, yi in zip(ms, x, y, strict=True):
        ax.annotate(
            m.material_id, (xi, yi), fontsize=6, xytext=(3, 3), textcoords="offset points"
        )
    vals = np.concatenate([x, y, lo, hi])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    lim = (10 ** math.floor(np.log10(vals.min())), 10 ** math.ceil(np.log10(vals.max())))
    ax.plot(lim, lim, "k--", lw=0.8)
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_aspect("equal")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("measured σ (mS/cm, OBELiX)")
    ax.set_ylabel("predicted σ at 300 K (mS/cm)")
    fig.colorbar(sc, ax=ax, label="temperatures with MSD ≥ 20 Å²")
    fig.tight_layout()
    path = Path(out_dir) / "parity.png"
    _save(fig, path)
    return path


def plot_log_error(
    *, materials: list[MaterialSummary], out_dir: str | os.PathLike[str]
) -> Path | None:
    ms = sorted(_compared(materials), key=lambda m: m.sigma_exp_mS_cm or 0.0)
    if not ms:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * len(ms) + 2), 3.8))
    nrel = [m.n_reliable for m in ms]
    colors = plt.get_cmap("viridis")(np.array(nrel) / 5.0)
    ax.bar(range(len(ms)), [m.log10_error for m in ms], color=colors, edgecolor="k")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(range(len(ms)), [m.material_id for m in ms], rotation=60, fontsize=7)
    ax.set_ylabel("log10(σ_pred / σ_exp)")
    errs = np.abs([m.log10_error for m in ms])
    rel = np.abs([m.log10_error for m in ms if m.all_reliable])
    mae_rel = (
        f"{rel.mean():.2f} over {rel.size} all-reliable"
        if rel.size
        else "none all-reliable"
    )
    ax.set_title(  # the study's figures: predictions or not (results.json: verdicts)
        f"MAE {errs.mean():.2f} over all {errs.size} (predictions or not); {mae_rel} "
        "(colour: reliable temperatures, 0–5)",
        fontsize=8,
    )
    fig.tight_layout()
    path = Path(out_dir) / "log_error.png"
    _save(fig, path)
    return path


def write_figures(
    *, materials: list[MaterialSummary], out_dir: str | os.PathLike[str]
) -> list[Path]:
    """All figures into ``out_dir``; returns their paths."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for m in materials:
        paths.append(plot_msd(material=m, out_dir=out_dir))
        paths.append(plot_arrhenius(material=m, out_dir=out_dir))
    for fn in (plot_parity, plot_log_error):
        p = fn(materials=materials, out_dir=out_dir)
        if p is not None:
            paths.append(p)
    return paths
