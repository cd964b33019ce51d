"""adaptive_msd_<id>.png and the timeline, read from their matplotlib objects: the
decisions sit on a run-time axis at their run times, no two labels overlap, and a
temperature cancelled before it ran is not in the legend."""

from itertools import combinations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from adaptive_helpers import adaptive_doc, write_run_file

from ionmd.analysis.adaptive.results import adaptive_results
from ionmd.fileformat import system_key
from ionmd.report import adaptive_figures as afig

CANCELLED = system_key("toy-slow", 1200.0)


@pytest.fixture
def drawn(monkeypatch):
    """The figures the adaptive plots make, drawn and kept open instead of saved."""
    kept = []

    def keep(fig, path):
        fig.canvas.draw()
        kept.append(fig)

    monkeypatch.setattr(afig, "_save", keep)
    yield kept
    for fig in kept:
        plt.close(fig)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """The toy campaign with toy-slow's 1200 K cancelled before it entered."""
    doc = adaptive_doc()
    doc["systems"][CANCELLED] = {
        "material_id": "toy-slow",
        "temperature_K": 1200.0,
        "entered_step": None,
        "left_step": None,
        "run_ps": 0.0,
        "outcome": "cancelled",
        "reason": "colder one sub-diffusive",
        "numbers": {},
    }
    run = tmp_path_factory.mktemp("run")
    write_run_file(run / "md.h5", doc)
    a = adaptive_results(doc, source="x")
    return a, {k: run / "md.h5" for k in a["systems"] if k != CANCELLED}


def _figure(drawn, campaign, material_id, tmp_path):
    a, where = campaign
    afig.plot_material_msd(
        adaptive=a, material_id=material_id, where=where, out_dir=tmp_path
    )
    return drawn[-1]


def _in_view(ax, which):
    """The tick labels of ``ax`` drawn (matplotlib keeps some outside the limits)."""
    lo, hi = sorted(ax.get_xlim() if which == "x" else ax.get_ylim())
    axis = ax.xaxis if which == "x" else ax.yaxis
    labels = [*axis.get_majorticklabels(), *axis.get_minorticklabels()]
    k = 0 if which == "x" else 1
    return [t for t in labels if lo * (1 - 1e-9) <= t.get_position()[k] <= hi * (1 + 1e-9)]


def _texts(fig):
    """Every drawn non-empty text of ``fig``: titles, axis and tick labels, legend
    entries, annotations."""
    seen = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        seen += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label]
        seen += [ax.yaxis.label, *ax.texts, *_in_view(ax, "x"), *_in_view(ax, "y")]
        if ax.get_legend() is not None:
            seen += ax.get_legend().get_texts()
    return [t for t in seen if t.get_visible() and t.get_text().strip()]


def _overlaps(fig):
    r = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer=r)) for t in _texts(fig)]
    return [
        (a, b)
        for (a, ba), (b, bb) in combinations(boxes, 2)
        if ba.width > 0 and bb.width > 0 and ba.overlaps(bb)
    ]


@pytest.mark.parametrize("mid", ["toy-fast", "toy-slow", "toy-melt"])
def test_decisions_are_at_their_run_times_on_a_run_time_axis(
    drawn, campaign, mid, tmp_path
):
    fig = _figure(drawn, campaign, mid, tmp_path)
    a, _ = campaign
    for s in a["systems"].values():
        if s["material_id"] != mid or not s["decisions"]:
            continue
        run = [d["numbers"]["run_ps"] for d in s["decisions"] if d.get("numbers")]
        msd = [d["numbers"]["msd_A2"] for d in s["decisions"] if d.get("numbers")]
        hits = [
            ax
            for ax in fig.axes
            for ln in ax.get_lines()
            if np.array_equal(ln.get_xdata(), run) and np.array_equal(ln.get_ydata(), msd)
        ]
        assert hits, (mid, s["temperature_K"])
        assert all(ax.get_xlabel() == "run time (ps)" for ax in hits)


@pytest.mark.parametrize("mid", ["toy-fast", "toy-slow", "toy-melt"])
def test_no_two_labels_overlap(drawn, campaign, mid, tmp_path):
    fig = _figure(drawn, campaign, mid, tmp_path)
    assert _texts(fig) and not _overlaps(fig)


def test_a_cancelled_temperature_is_not_in_the_legend(drawn, campaign, tmp_path):
    fig = _figure(drawn, campaign, "toy-slow", tmp_path)
    legend = [
        t.get_text()
        for ax in fig.axes
        if ax.get_legend()
        for t in ax.get_legend().get_texts()
    ]
    assert legend and not [t for t in legend if "1200" in t]
    assert "1200 K (cancelled)" in fig._suptitle.get_text()


def test_the_timeline_labels_do_not_overlap(drawn, campaign, tmp_path):
    """Stop reasons as long as the loop writes them (cut to one label each)."""
    a, _ = campaign
    long = "Li MSD 31.2 Å² ≥ 20 Å² and D's interval 0.25 ≤ 0.3 decades after 100 ps"
    systems = {k: {**s, "reason": long} for k, s in a["systems"].items()}
    afig.plot_timeline(adaptive={**a, "systems": systems}, out_dir=tmp_path)
    assert not _overlaps(drawn[-1])


#: the report's image width in a 600 px window (body padding .5em each side)
REPORT_IMG_PX_AT_600 = 584


def test_the_timeline_reads_at_600_px(drawn, campaign, tmp_path):
    """In the report at 600 px the PNG is scaled to the page: every text must still
    show at >= 9 px, each system row must hold its bar and its reason, and no
    reason may run into a bar. Before: 9 in wide at 6 pt, shown at 5.4 px."""
    from ionmd.report.figures import FIGURE_DPI

    a, _ = campaign
    long = "Li MSD 31.2 Å² ≥ 20 Å² and D's interval 0.25 ≤ 0.3 decades after 100 ps"
    systems = {k: {**s, "reason": long} for k, s in a["systems"].items()}
    afig.plot_timeline(adaptive={**a, "systems": systems}, out_dir=tmp_path)
    fig = drawn[-1]
    width_px = fig.get_figwidth() * FIGURE_DPI
    scale = min(1.0, REPORT_IMG_PX_AT_600 / width_px)
    shown_px = [t.get_fontsize() * FIGURE_DPI / 72 * scale for t in _texts(fig)]
    assert min(shown_px) >= 9.0, min(shown_px)
    timeline = fig.axes[0]
    r = fig.canvas.get_renderer()
    axes_px = timeline.get_window_extent(renderer=r).height * FIGURE_DPI / fig.dpi
    row_px = axes_px * scale / len(systems)
    assert row_px >= 2.5 * max(shown_px)  # a bar and a line of text per row
    bars = [p.get_window_extent(renderer=r) for p in timeline.patches]
    reasons = [t.get_window_extent(renderer=r) for t in timeline.texts]
    assert len(reasons) == len(systems) and bars
    assert not [1 for t in reasons for b in bars if t.overlaps(b)]
    assert not _overlaps(fig)


def test_the_timeline_shows_each_systems_npt_stage(drawn, campaign, tmp_path):
    """cell = "npt": a system's stage is its own bar before its production's,
    from entering the stage to entering the production (or to its stop, when
    its stage ended it), with an "NPT stage" legend entry. Before: the stage
    was drawn as time waiting in the queue, or not at all."""
    a, _ = campaign
    systems = {}
    for k, s in a["systems"].items():
        if s["entered_ps"] is None:
            systems[k] = s
            continue
        # its stage took the 1 ps before its production
        systems[k] = {**s, "stage_entered_ps": s["entered_ps"] - 1.0, "stage_ps": 1.0}
    failed = next(k for k, s in systems.items() if s["entered_ps"] is not None)
    systems[failed] |= {
        "entered_ps": None,
        "left_ps": systems[failed]["stage_entered_ps"] + 0.5,
    }
    afig.plot_timeline(adaptive={**a, "systems": systems}, out_dir=tmp_path)
    timeline = drawn[-1].axes[0]
    stage_bars = [
        (round(p.get_x(), 6), round(p.get_width(), 6))
        for p in timeline.patches
        if p.get_facecolor()[:3] == (0.85, 0.85, 0.85)
    ]
    expected = sorted(
        (round(s["stage_entered_ps"], 6), 0.5 if k == failed else 1.0)
        for k, s in systems.items()
        if s.get("stage_entered_ps") is not None
    )
    assert sorted(stage_bars) == expected
    legend = [t.get_text() for t in drawn[-1].axes[0].get_legend().get_texts()]
    assert "NPT stage" in legend
