"""The adaptive protocol's figures (matplotlib, Agg; conventions of
:mod:`ionmd.report.figures`).

- ``adaptive_timeline.png``: one row per system (material and temperature on the
  left), its bar on the batch clock (ps of simulated batch time: step × time step)
  coloured by how it ended, a tick at each extension, a dashed line while it waited
  in the queue, and under the bar its stop reason on a line of its own; below it the
  batch occupancy (atoms in the batch / capacity) per chunk. 6 in wide at 8-9 pt,
  so that in the report at 600 px the text shows at ~10 px; a fixed height per row.
- ``adaptive_msd_<id>.png``: per material, two panels (stacked) sharing the MSD axis: each
  temperature's Li MSD against lag from the run file's ``/msd`` datasets; and the
  largest Li MSD each decision saw against the run time it was taken at (dots),
  where the system stopped (a star, coloured by outcome), the 20 Å² target on both.
  A decision is taken on run time, not on a lag, so it has its own axis.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ionmd.errors import InputError
from ionmd.fileformat import list_systems, read_system
from ionmd.report.figures import _plt, _safe, _save

TIMELINE_NAME = "adaptive_timeline.png"
#: outcome → colour (the timeline's and the MSD figure's stop markers)
OUTCOME_COLOURS = {
    "reliable": "#2ca02c",
    "slow_diffusive": "#ff7f0e",
    "caged": "#8c564b",
    "sub_diffusive": "#ff7f0e",  # an adaptive.json written before the split
    "uncertain": "#9467bd",
    "melted": "#d62728",
    "budget": "#7f7f7f",
    "failed": "#000000",
    "running": "#1f77b4",
    "cancelled": "#c7c7c7",
    "queued": "#ffffff",
}
#: a stop reason's label, cut to fit the timeline's width at its font
_LABEL_CHARS = 84


def msd_figure_name(material_id: str) -> str:
    return f"adaptive_msd_{_safe(material_id)}.png"


def _material_ids(a: Mapping[str, Any]) -> list[str]:
    """The materials, those with systems but no entry (yet) included."""
    ids = list(a.get("materials") or {})
    more = [s["material_id"] for s in (a.get("systems") or {}).values()]
    return ids + sorted({m for m in more if m not in ids})


def adaptive_figure_names(a: Mapping[str, Any]) -> list[str]:
    """The names :func:`write_adaptive_figures` gives, in its order."""
    return [TIMELINE_NAME, *(msd_figure_name(mid) for mid in _material_ids(a))]


def _short(s: Mapping[str, Any]) -> str:
    """The stop reason as a short label: ``outcome: reason`` cut to a line."""
    text = s["outcome"].replace("_", "-")
    if s.get("reason"):
        text += f": {s['reason']}"
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _queued_since(s: Mapping[str, Any]) -> float | None:
    """Batch ps at which a system was added (an add_temperature decision)."""
    added = [d["batch_time_ps"] for d in s["decisions"] if d["event"] == "add_temperature"]
    return added[0] if added else None


def _order(a: Mapping[str, Any]) -> list[str]:
    """Systems by entry (never entered: last), then material and temperature."""

    def key(k: str) -> tuple:
        s = a["systems"][k]
        e = s.get("entered_ps")
        return (e is None, e or 0.0, s["material_id"], s["temperature_K"])

    return sorted(a["systems"], key=key)


#: the timeline's width (in): at the report's 600 px (an image ~580 px wide)
#: its 8-9 pt text shows at ~10-12 px; at 1366 px it is drawn 1:1 (720 px)
TIMELINE_WIDTH_IN = 6.0
#: a system's NPT stage (``cell = "npt"``), before its production's bar
STAGE_COLOUR = "0.85"
#: one system's row (in): its bar, and under it its stop reason on a line of its own
TIMELINE_ROW_IN = 0.42
_FONT_PT = 8.5


def _row_label(s: Mapping[str, Any]) -> str:
    return f"{s['material_id']} {s['temperature_K']:g} K"


def _timeline_bar(ax: Any, s: Mapping[str, Any], y: float, now: float) -> None:
    """One system's row: queued (dashed), on the batch (bar, hatched while
    running), its extensions (ticks)."""
    start, end = s.get("entered_ps"), s.get("left_ps")
    staged = s.get("stage_entered_ps")  # cell = "npt": its stage first
    added = _queued_since(s)
    if added is not None:  # waiting in the queue
        wait_end = next((t for t in (staged, start) if t is not None), now)
        ax.plot([added, wait_end], [y, y], color="0.45", ls="--", lw=1.0)
    if staged is not None:  # in its stage: up to its production (or its stop)
        stage_end = next((t for t in (start, end) if t is not None), now)
        ax.barh(
            y, max(stage_end - staged, 1e-9), left=staged, height=0.42,
            color=STAGE_COLOUR, edgecolor="k", lw=0.5,
        )  # fmt: skip
    if start is None:
        return
    stop = end if end is not None else now
    ax.barh(
        y, max(stop - start, 1e-9), left=start, height=0.42,
        color=OUTCOME_COLOURS.get(s["outcome"], "#bcbd22"), edgecolor="k", lw=0.5,
        hatch="//" if end is None else None,
    )  # fmt: skip
    ticks = [d["batch_time_ps"] for d in s["decisions"] if d["event"] == "extend"]
    ax.plot(ticks, [y] * len(ticks), "|", color="k", ms=9, mew=1.0)


def _timeline_handles(a: Mapping[str, Any], order: list[str]) -> list[Any]:
    """Legend: each outcome drawn, then the marks the figure holds."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    systems = [a["systems"][k] for k in order]
    # a system that never entered has no bar: its outcome is only in its row's text
    outcomes = sorted({s["outcome"] for s in systems if s.get("entered_ps") is not None})
    events = {d["event"] for s in systems for d in s["decisions"]}
    handles: list[Any] = [
        Patch(facecolor=OUTCOME_COLOURS.get(o, "#bcbd22"), edgecolor="k", label=o)
        for o in outcomes
    ]
    if any(s.get("stage_entered_ps") is not None for s in systems):
        handles.append(Patch(facecolor=STAGE_COLOUR, edgecolor="k", label="NPT stage"))
    if "extend" in events:
        handles.append(Line2D([], [], color="k", marker="|", ls="", ms=9, label="extended"))
    if "add_temperature" in events:
        handles.append(Line2D([], [], color="0.45", ls="--", label="queued"))
    if "running" in outcomes:
        handles.append(Patch(facecolor="w", edgecolor="k", hatch="//", label="running"))
    return handles


def _timeline_panel(ax: Any, a: Mapping[str, Any], order: list[str]) -> None:
    """One row per system (its name on the left), the bar on the row's upper half
    and its stop reason on the lower half, from the axis's left edge: no label
    runs into a bar, another label or the legend."""
    from matplotlib.transforms import blended_transform_factory

    now = float(a["batch_time_ps"] or 0.0)
    left_edge = blended_transform_factory(ax.transAxes, ax.transData)
    for y, k in enumerate(order):
        s = a["systems"][k]
        _timeline_bar(ax, s, y - 0.16, now)
        ax.text(
            0.005, y + 0.27, _short(s), transform=left_edge, va="center", ha="left",
            fontsize=_FONT_PT - 1, color="0.15", clip_on=True,
        )  # fmt: skip
    ax.set_yticks(range(len(order)), [_row_label(a["systems"][k]) for k in order])
    ax.tick_params(axis="y", labelsize=_FONT_PT, length=0)
    ax.tick_params(axis="x", labelsize=_FONT_PT)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlim(0, max(now, 1e-9) * 1.02)
    for y in range(len(order) - 1):
        ax.axhline(y + 0.5, color="0.85", lw=0.6)
    ax.legend(
        handles=_timeline_handles(a, order), fontsize=_FONT_PT, ncol=4, frameon=False,
        loc="lower left", bbox_to_anchor=(0.0, 1.0), borderaxespad=0.3,
        handlelength=1.6, columnspacing=1.0,
    )  # fmt: skip


def _occupancy_panel(ax: Any, a: Mapping[str, Any]) -> None:
    rows = a.get("occupancy") or []
    dt_ps = float(a["timestep_fs"]) / 1000.0
    cap = float(a["capacity_atoms"])
    xs = [x for r in rows for x in (r["step_start"] * dt_ps, r["step_end"] * dt_ps)]
    ys = [r["atoms"] / cap for r in rows for _ in (0, 1)]
    if xs:
        ax.fill_between(xs, ys, color="C0", alpha=0.35, lw=0)
        ax.plot(xs, ys, color="C0", lw=0.8)
    ax.axhline(0.9, color="k", ls=":", lw=0.8, label="90 % target")
    mean = a.get("occupancy_mean")
    if isinstance(mean, float):
        ax.axhline(mean, color="C3", ls="--", lw=0.8, label=f"mean {mean:.1%}")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("atoms / capacity", fontsize=_FONT_PT)
    ax.set_xlabel("batch time (ps)", fontsize=_FONT_PT + 0.5)
    ax.tick_params(labelsize=_FONT_PT)
    ax.legend(
        fontsize=_FONT_PT, ncol=2, frameon=False, loc="lower left",
        bbox_to_anchor=(0.0, 1.0), borderaxespad=0.2,
    )  # fmt: skip


def plot_timeline(*, adaptive: Mapping[str, Any], out_dir: str | os.PathLike[str]) -> Path:
    """``adaptive_timeline.png``: a fixed width for the report's page, and a
    fixed height per system row (a long campaign makes a tall figure, not
    squeezed rows)."""
    plt = _plt()
    order = _order(adaptive)
    top = 0.9 + TIMELINE_ROW_IN * max(len(order), 1)
    fig, (ax, occ) = plt.subplots(
        2,
        1,
        figsize=(TIMELINE_WIDTH_IN, top + 2.0),
        sharex=True,
        gridspec_kw={"height_ratios": [top, 1.4]},
        layout="constrained",
    )
    _timeline_panel(ax, adaptive, order)
    _occupancy_panel(occ, adaptive)
    fig.suptitle("Systems on the batch", fontsize=_FONT_PT + 1, x=0.02, ha="left")
    path = Path(out_dir) / TIMELINE_NAME
    _save(fig, path)
    return path


def _system_files(run_files: Sequence[Path]) -> dict[str, Path]:
    """System key → the run file that holds it (unreadable files are left out)."""
    where: dict[str, Path] = {}
    for f in run_files:
        try:
            for k in list_systems(f):
                where.setdefault(k, f)
        except InputError:
            continue
    return where


def _msd_curve(path: Path | None, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(lag ps, Li MSD Å²) of one system from its run file, positive values only."""
    if path is None:
        return None
    try:
        msd = read_system(path, key, positions=False).msd
    except InputError:
        return None
    if "lag_ps" not in msd or "mobile_A2" not in msd:
        return None
    lag, val = np.asarray(msd["lag_ps"], float), np.asarray(msd["mobile_A2"], float)
    n = min(lag.size, val.size)
    ok = (lag[:n] > 0) & (val[:n] > 0) & np.isfinite(val[:n])
    return (lag[:n][ok], val[:n][ok]) if ok.any() else None


def _judged(s: Mapping[str, Any]) -> tuple[list[float], list[float]]:
    """(run ps, Li MSD) of the decisions that carry both."""
    pts = [
        (d["numbers"]["run_ps"], d["numbers"]["msd_A2"])
        for d in s["decisions"]
        if isinstance(d["numbers"].get("run_ps"), int | float)
        and isinstance(d["numbers"].get("msd_A2"), int | float)
        and d["numbers"]["run_ps"] > 0
        and d["numbers"]["msd_A2"] > 0
    ]
    return [p[0] for p in pts], [p[1] for p in pts]


def _label(s: Mapping[str, Any]) -> str:
    """A temperature's legend label; a system cancelled while it ran says so."""
    label = f"{s['temperature_K']:g} K"
    return label + " (cancelled)" if s["outcome"] == "cancelled" else label


def _draw_system(
    lag_ax: Any, run_ax: Any, s: Mapping[str, Any], curve: Any, colour: Any
) -> None:
    """One system: its MSD against lag (left) and its decisions against run time
    (right, the last one a star in the colour of how it ended)."""
    xs, ys = _judged(s)
    label = _label(s)
    if curve is not None:
        lag_ax.plot(*curve, color=colour, lw=1.2)
    run_ax.plot(xs, ys, "o-", color=colour, ms=3, lw=0.8, label=label)
    if xs and s["outcome"] not in ("running", "queued"):
        run_ax.plot(
            xs[-1:],
            ys[-1:],
            "*",
            ms=13,
            mfc=OUTCOME_COLOURS.get(s["outcome"], "#bcbd22"),
            mec="k",
            zorder=3,
        )


def _outcome_handles(outcomes: Sequence[str]) -> list[Any]:
    from matplotlib.lines import Line2D

    return [
        Line2D(
            [],
            [],
            ls="",
            marker="*",
            ms=10,
            mfc=OUTCOME_COLOURS.get(o, "#bcbd22"),
            mec="k",
            label=f"stopped: {o.replace('_', '-')}",
        )
        for o in sorted(set(outcomes))
    ]


def material_msd_figure(
    *, adaptive: Mapping[str, Any], material_id: str, where: Mapping[str, Path]
) -> Any:
    """``adaptive_msd_<id>.png``, open: the Li MSD against lag from the run file
    (top) and, against the run time each was taken at, the largest Li MSD every
    decision saw (below: :func:`ionmd.campaign.adaptive.judge.system_numbers`).
    A system that never ran (cancelled or queued) is named in the title only."""
    plt = _plt()
    target = float(adaptive["settings"].get("target_msd_A2", 20.0))
    systems = sorted(
        (s for k, s in adaptive["systems"].items() if s["material_id"] == material_id),
        key=lambda s: s["temperature_K"],
    )
    keys = {id(s): k for k, s in adaptive["systems"].items()}
    # stacked, not side by side: a column-wide figure stays legible on a phone
    fig, (lag_ax, run_ax) = plt.subplots(2, 1, figsize=(6.4, 6.2), sharey=True)
    cmap = plt.get_cmap("plasma")
    not_run, stopped = [], []
    for i, s in enumerate(systems):
        curve = _msd_curve(where.get(keys[id(s)]), keys[id(s)])
        if curve is None and not _judged(s)[0]:  # cancelled or queued: never ran
            not_run.append(f"{s['temperature_K']:g} K ({s['outcome']})")
            continue
        colour = cmap(0.85 * i / max(1, len(systems) - 1))
        _draw_system(lag_ax, run_ax, s, curve, colour)
        if _judged(s)[0] and s["outcome"] not in ("running", "queued"):
            stopped.append(s["outcome"])
    for ax in (lag_ax, run_ax):
        ax.axhline(target, color="k", ls="-.", lw=0.8)
        ax.set_yscale("log")
    lag_ax.set_xscale("log")
    run_ax.set_xlim(left=0)  # decisions come every chunk: a linear clock
    lag_ax.set_xlabel("lag time (ps)")
    lag_ax.set_ylabel("Li MSD (Å²)")
    lag_ax.set_title("Li MSD from the run file, by lag", fontsize=_FONT_PT + 0.5)
    run_ax.set_xlabel("run time (ps)")
    run_ax.set_ylabel("Li MSD (Å²)")
    run_ax.set_title("largest Li MSD at each decision", fontsize=_FONT_PT + 0.5)
    from matplotlib.lines import Line2D

    handles = [
        *run_ax.get_legend_handles_labels()[0],
        *_outcome_handles(stopped),
        Line2D([], [], color="k", ls="-.", lw=0.8, label=f"target {target:g} Å²"),
    ]
    lag_ax.legend(
        handles=handles, fontsize=_FONT_PT, loc="upper left", bbox_to_anchor=(1.02, 1)
    )
    m = adaptive["materials"].get(material_id) or {}
    skipped = f"; not run: {', '.join(not_run)}" if not_run else ""
    title = f"{material_id}: {m.get('status', '?')}{skipped}"
    fig.suptitle(textwrap.fill(title, 90), fontsize=_FONT_PT + 1)  # many not run: lines
    fig.tight_layout()
    return fig


def plot_material_msd(
    *,
    adaptive: Mapping[str, Any],
    material_id: str,
    where: Mapping[str, Path],
    out_dir: str | os.PathLike[str],
) -> Path:
    fig = material_msd_figure(adaptive=adaptive, material_id=material_id, where=where)
    path = Path(out_dir) / msd_figure_name(material_id)
    _save(fig, path)
    return path


def write_adaptive_figures(
    *,
    adaptive: Mapping[str, Any],
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
) -> list[Path]:
    """The timeline and one MSD figure per material into ``out_dir`` (curves from
    the ``md*.h5`` in ``run_dir``); returns their paths."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    paths = [plot_timeline(adaptive=adaptive, out_dir=out_dir)]
    where = _system_files(sorted(Path(run_dir).glob("md*.h5")))
    for mid in _material_ids(adaptive):
        paths.append(
            plot_material_msd(
                adaptive=adaptive, material_id=mid, where=where, out_dir=out_dir
            )
        )
    return paths


__all__ = [
    "OUTCOME_COLOURS",
    "TIMELINE_NAME",
    "adaptive_figure_names",
    "msd_figure_name",
    "write_adaptive_figures",
]
