"""Issue 13's decision log and picture: an adaptive campaign's adaptive.json becomes
results.json's "adaptive" section (every decision with its numbers), the report's
adaptive section (materials with their reasons, systems on the batch clock, the
decision log, the timeline and MSD figures) and the unresolved reason in the
verdict line; a study campaign (no adaptive.json) is unchanged; a malformed
adaptive.json is one line."""

import json
import shutil

import matplotlib.image
import pytest
from adaptive_helpers import (
    FAST_REASON,
    MELT_REASON,
    SLOW_REASON,
    adaptive_doc,
    adaptive_run_dir,
)

from ionmd.analysis.adaptive import find_adaptive_json
from ionmd.analysis.adaptive.results import adaptive_results
from ionmd.analysis.diffusion import DiffusionSettings
from ionmd.analysis.results_file import read_results_json
from ionmd.cli import main
from ionmd.errors import InputError
from ionmd.report.adaptive_figures import (
    TIMELINE_NAME,
    msd_figure_name,
    plot_timeline,
)
from ionmd.report.analysis_files import analyze_run_dir
from ionmd.report.figures import figure_names
from ionmd.report.pages import write_text_reports
from ionmd.report.tables import Section, Table

NO_KINISI = DiffusionSettings(use_kinisi=False)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """The synthetic adaptive campaign, analysed once with figures."""
    root = tmp_path_factory.mktemp("adaptive")
    run = adaptive_run_dir(root)
    doc = analyze_run_dir(run, settings=NO_KINISI, figures=True)
    return run, doc


def test_results_json_has_every_decision_with_its_numbers(analysed):
    run, doc = analysed
    src = adaptive_doc()
    a = read_results_json(run)["adaptive"]
    assert a == json.loads(json.dumps(doc["adaptive"]))  # what was returned is on disk
    assert set(a["systems"]) == set(src["systems"])
    for key, s in a["systems"].items():
        want = [e for e in src["events"] if e.get("key") == key]
        got = s["decisions"]
        assert [(d["step"], d["event"]) for d in got] == [
            (e["step"], e["event"]) for e in want
        ]
        for d, e in zip(got, want, strict=True):
            assert d["numbers"] == e.get("numbers", {})
            assert d.get("reason") == e.get("reason")
            assert d["batch_time_ps"] == pytest.approx(e["step"] * 4.0 / 1000)
        assert s["outcome"] == src["systems"][key]["outcome"]
        assert s["reason"] == src["systems"][key]["reason"]
    slow = a["systems"]["toy-slow_1100K"]
    assert slow["n_extensions"] == 3 and slow["entered_ps"] == pytest.approx(100.0)
    assert slow["decisions"][0]["event"] == "add_temperature"
    assert a["materials"]["toy-slow"]["status"] == "unresolved"
    assert a["materials"]["toy-slow"]["reason"] == SLOW_REASON
    assert [d["event"] for d in a["materials"]["toy-melt"]["decisions"]] == [
        "add_temperature",
        "material_done",
    ]
    assert a["occupancy_mean"] == 0.95 and a["atom_steps"] == src["atom_steps"]
    assert a["settings"] == src["settings"] and a["batch_time_ps"] == pytest.approx(200)


def test_report_has_the_timeline_the_reasons_and_the_figures(analysed):
    run, doc = analysed
    md = (run / "report.md").read_text()
    html = (run / "report.html").read_text()
    verdicts = [line for line in md.splitlines() if line.startswith("- toy-slow")]
    assert (
        len(verdicts) == 1
        and f"adaptive protocol: unresolved: {SLOW_REASON}" in (verdicts[0])
    )
    fast = next(line for line in md.splitlines() if line.startswith("- toy-fast"))
    # the protocol's own verdict replaces the study's "every requested temperature"
    assert "adaptive protocol: resolved: " in fast
    # the section comes after the first screen (verdict, materials table) and
    # before the rest of the analysis
    assert (
        md.index("## Materials")
        < md.index("# Adaptive protocol")
        < md.index("# Analysis")
        < md.index("## Temperatures")
    )
    materials = md[md.index("## Adaptive protocol: materials") :].split("\n\n")[1]
    for mid, status, reason in [
        ("toy-fast", "resolved", FAST_REASON),
        ("toy-melt", "resolved", MELT_REASON),
        ("toy-slow", "unresolved", SLOW_REASON),
    ]:
        row = next(r for r in materials.splitlines() if r.startswith(f"| {mid} |"))
        assert f"| {status} |" in row and reason in row
    for text in (md, html):
        assert "Adaptive protocol: systems on the batch clock" in text
        assert "melted at 1000 K leaves 1 of 2 reliable temperatures" in text
        assert (
            "framework MSD 5.2 Å² &gt; 1 Å²" in text or "framework MSD 5.2 Å² > 1" in text
        )
        assert "95.0%" in text  # mean occupancy
    names = [TIMELINE_NAME] + [
        msd_figure_name(m) for m in ("toy-fast", "toy-melt", "toy-slow")
    ]
    for name in names:
        assert f"![{name}]({name})" in md and f"src='{name}'" in html
        img = matplotlib.image.imread(run / name)
        assert img.shape[0] > 200 and img.shape[1] > 300 and img[..., :3].std() > 0.05


def test_campaign_report_keeps_the_adaptive_section(analysed, tmp_path):
    """The campaign rewrites the report from results.json with its own section and
    inlined figures: the adaptive section comes with it, figures inlined."""
    run, doc = analysed
    out = tmp_path / "out"
    shutil.copytree(run, out)
    write_text_reports(
        doc=read_results_json(out),
        out_dir=out,
        figures=[n for n in figure_names(list(doc["materials"])) if (out / n).is_file()],
        sections=[Section("Campaign", [Table("Cost", ["a"], [["1"]])])],
        embed_images=True,
    )
    html = (out / "report.html").read_text()
    assert html.count("<h1>Adaptive protocol</h1>") == 1
    assert f"alt='{TIMELINE_NAME}'" in html and "src='data:image/png;base64," in html
    assert html.index("Adaptive protocol") < html.index("<h1>Campaign</h1>")


def test_a_study_campaign_is_unchanged(tmp_path):
    run = adaptive_run_dir(tmp_path)
    (run / "adaptive.json").unlink()
    doc = analyze_run_dir(run, settings=NO_KINISI, figures=True)
    assert "adaptive" not in doc and "adaptive" not in read_results_json(run)
    md = (run / "report.md").read_text()
    assert "Adaptive" not in md and "# Analysis" not in md
    assert not list(run.glob("adaptive_*.png"))
    assert "adaptive protocol" not in (run / "report.html").read_text()


def test_a_running_campaign_draws_queued_and_running_systems(tmp_path):
    doc = adaptive_doc()
    doc["done"] = False
    s = doc["systems"]["toy-slow_1100K"]
    s.update(outcome="running", left_step=None)
    doc["systems"]["toy-slow_1200K"] = {
        "material_id": "toy-slow",
        "temperature_K": 1200.0,
        "entered_step": None,
        "left_step": None,
        "run_ps": 0.0,
        "outcome": "queued",
        "reason": None,
        "numbers": {},
    }
    a = adaptive_results(doc, source="x")
    path = plot_timeline(adaptive=a, out_dir=tmp_path)
    assert matplotlib.image.imread(path).shape[0] > 200
    assert a["systems"]["toy-slow_1200K"]["entered_ps"] is None


def _malformed():
    bad = {
        "schema 2": lambda d: d.update(schema=2),
        "events not a list": lambda d: d.update(events={"a": 1}),
        "a step that is text": lambda d: d["events"][3].update(step="12"),
        "an unknown outcome": lambda d: d["systems"]["toy-fast_800K"].update(
            outcome="exploded"
        ),
        "a zero time step": lambda d: d.update(timestep_fs=0),
        "a number that is text": lambda d: next(e for e in d["events"] if "numbers" in e)[
            "numbers"
        ].update(msd_A2="12"),
        "a system that is a list": lambda d: d["systems"].update(x=[1]),
        "an occupancy row that ends first": lambda d: d["occupancy"][0].update(step_end=-1),
    }
    for name, change in bad.items():
        doc = adaptive_doc()
        change(doc)
        yield pytest.param(json.dumps(doc), id=name)
    yield pytest.param('{"schema": 1, "settings"', id="truncated")
    yield pytest.param("[1, 2]", id="a list")


@pytest.mark.parametrize("text", list(_malformed()))
def test_a_malformed_adaptive_json_is_one_line(tmp_path, text):
    run = adaptive_run_dir(tmp_path)
    (run / "adaptive.json").write_text(text)
    with pytest.raises(InputError) as err:
        analyze_run_dir(run, settings=NO_KINISI, figures=False)
    msg = str(err.value)
    assert "\n" not in msg and "adaptive.json" in msg
    assert not (run / "results.json").exists()  # refused before any analysis


def test_cli_malformed_adaptive_json_exit_2(tmp_path, capsys):
    run = adaptive_run_dir(tmp_path)
    (run / "adaptive.json").write_text('{"schema": 1}')
    rc = main(["analyze", str(run), "--out", str(tmp_path / "out"), "--no-kinisi"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "malformed adaptive.json" in err


def test_a_run_file_given_alone_brings_its_adaptive_json(tmp_path):
    """``ionmd analyze OUT/md.h5`` reads the adaptive.json next to it; a directory
    named twice (as itself and through its run file) counts once."""
    run = adaptive_run_dir(tmp_path)
    out = tmp_path / "out"
    rc = main(
        ["analyze", str(run / "md.h5"), "--out", str(out), "--no-kinisi"]
        + ["--no-figures", "--quiet", "--no-compare"]
    )
    doc = read_results_json(out)
    assert rc == 0 and doc["adaptive"]["source"] == str(run / "adaptive.json")
    assert find_adaptive_json([run / "md.h5", run, tmp_path]) == [run / "adaptive.json"]


def test_non_finite_numbers_become_null():
    doc = adaptive_doc()
    ev = next(e for e in doc["events"] if "numbers" in e)
    ev["numbers"]["D_log10_ci"] = float("inf")
    doc["settings"]["max_atom_steps"] = float("nan")
    a = adaptive_results(doc, source="x")
    key = ev["key"]
    got = next(d for d in a["systems"][key]["decisions"] if d["step"] == ev["step"])
    assert got["numbers"]["D_log10_ci"] is None
    assert a["settings"]["max_atom_steps"] is None
    json.dumps(a, allow_nan=False)  # what results.json needs
