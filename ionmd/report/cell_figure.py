"""``cell_volume.png``: the simulated cell's volume against the experimental
one, V/V_exp vs T, per material (``cell`` not ``"experimental"``).

Points: an NPT stage's production cell at each temperature, with ±1 standard
error of the stage's second-half mean volume (covers 68 %;
:mod:`ionmd.cells.stage_error`), an open marker and no bar where the stage was
too short to resolve it; a relaxed cell at T = 0 K.
The experimental cell is the line at 1. Its input is plain dicts (campaign.json's
cells made into points by :func:`ionmd.cells.volume_points.volume_points`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ionmd.cells.volume_points import NOT_RESOLVED
from ionmd.report.figures import _plt, _save

#: the figure's file name in the run's folder
VOLUME_FIGURE = "cell_volume.png"


def write_volume_figure(points: Sequence[dict[str, Any]], *, out_dir: Path) -> Path | None:
    """Draw ``points`` (``material_id``, ``temperature_K``, ``volume_ratio``,
    ``volume_ratio_se`` or None, ``cell_source``) into ``out_dir``; None and
    nothing written when there are none. An NPT point without an error is
    drawn open, without a bar ("error not resolved" in the legend), not as a
    bar of zero."""
    if not points:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.axhline(1.0, color="0.4", lw=1, ls="--", label="experimental cell")
    for mid in sorted({p["material_id"] for p in points}):
        mine = [p for p in points if p["material_id"] == mid]
        npt = [p for p in mine if p["cell_source"] == "npt"]
        relaxed = [p for p in mine if p["cell_source"] == "relaxed"]
        color = None
        if npt:
            color = _npt_points(ax, npt, label=f"{mid} (NPT)")
        if relaxed:
            ax.plot(
                [p["temperature_K"] for p in relaxed],
                [p["volume_ratio"] for p in relaxed],
                marker="s",
                ls="none",
                color=color,
                label=f"{mid} (relaxed, 0 K)",
            )
    if any(p["cell_source"] == "npt" and p["volume_ratio_se"] is None for p in points):
        ax.plot([], [], marker="o", mfc="white", color="0.3", ls="none", label=NOT_RESOLVED)
    ax.set_xlabel("T (K)")
    ax.set_ylabel("V / V_exp")
    if any(p["temperature_K"] == 0 for p in points):  # a relaxed cell's 0 K point
        t_max = max(100.0, *(p["temperature_K"] for p in points))
        ax.set_xlim(-0.05 * t_max, 1.05 * t_max)
    ax.set_title("Simulated cell volume against the experimental cell (±1 s.e.)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    path = Path(out_dir) / VOLUME_FIGURE
    _save(fig, path)
    return path


def _npt_points(ax: Any, npt: Sequence[dict[str, Any]], *, label: str) -> Any:
    """One material's NPT points, joined: ±1 s.e. bars where resolved, open
    markers where not; the colour used."""
    (line,) = ax.plot(
        [p["temperature_K"] for p in npt],
        [p["volume_ratio"] for p in npt],
        marker="o",
        label=label,
    )
    color = line.get_color()
    known = [p for p in npt if p["volume_ratio_se"] is not None]
    if known:
        ax.errorbar(
            [p["temperature_K"] for p in known],
            [p["volume_ratio"] for p in known],
            yerr=[p["volume_ratio_se"] for p in known],
            ls="none",
            capsize=3,
            color=color,
        )
    unknown = [p for p in npt if p["volume_ratio_se"] is None]
    if unknown:
        ax.plot(
            [p["temperature_K"] for p in unknown],
            [p["volume_ratio"] for p in unknown],
            marker="o",
            mfc="white",
            ls="none",
            color=color,
        )
    return color
