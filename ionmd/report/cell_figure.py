"""``cell_volume.png``: the simulated cell's volume against the experimental
one, V/V_exp vs T, per material (``cell`` not ``"experimental"``).

Points: an NPT stage's production cell at each temperature, with ±1 standard
error of the stage's second-half mean (blocked); a relaxed cell at T = 0 K.
The experimental cell is the line at 1. Its input is plain dicts (campaign.json's
cells made into points by :func:`ionmd.cells.volume_points.volume_points`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ionmd.report.figures import _plt, _save

#: the figure's file name in the run's folder
VOLUME_FIGURE = "cell_volume.png"


def write_volume_figure(points: Sequence[dict[str, Any]], *, out_dir: Path) -> Path | None:
    """Draw ``points`` (``material_id``, ``temperature_K``, ``volume_ratio``,
    ``volume_ratio_se`` or None, ``cell_source``) into ``out_dir``; None and
    nothing written when there are none."""
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
            bars = ax.errorbar(
                [p["temperature_K"] for p in npt],
                [p["volume_ratio"] for p in npt],
                yerr=[p["volume_ratio_se"] or 0.0 for p in npt],
                marker="o",
                capsize=3,
                label=f"{mid} (NPT)",
            )
            color = bars[0].get_color()
        if relaxed:
            ax.plot(
                [p["temperature_K"] for p in relaxed],
                [p["volume_ratio"] for p in relaxed],
                marker="s",
                ls="none",
                color=color,
                label=f"{mid} (relaxed, 0 K)",
            )
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
