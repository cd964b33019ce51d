"""The report's first screen: σ(300 K) per material with a verdict, before any
table, and the settings it was made with."""

from ionmd.analysis.verdict import verdict_lines
from ionmd.report.pages import write_text_reports
from ionmd.report.results_json import summary_dict


def _t(T, reliable, framework_mobile=False):
    return {"temperature_K": T, "reliable": reliable, "framework_mobile": framework_mobile}


DOC = {
    "materials": {
        "good": {
            "formula": "Li3N",
            "sigma_300K_mS_cm": 0.5,
            "sigma_300K_ci95_mS_cm": [0.05, 5.0],
            "sigma_exp_mS_cm": 1.0,
            "all_reliable": True,
            "temperatures": [_t(800, True), _t(1000, True)],
            "temperatures_requested_K": [800, 1000],
        },
        "slow": {
            "formula": "Li4P2O7",
            "sigma_300K_mS_cm": 1e-9,
            "sigma_300K_ci95_mS_cm": [1e-15, 1e-3],
            "all_reliable": False,
            "temperatures": [_t(800, False), _t(1000, True), _t(1200, True, True)],
            "temperatures_requested_K": [800, 1000, 1200],
        },
    },
    "requested_materials": {
        "good": {"status": "fitted"},
        "slow": {"status": "fitted"},
        "short": {"status": "no_fit", "reason": "every temperature too short"},
        "bad": {"status": "not_simulated", "reason": "model lj does not cover Xx"},
    },
    "summary": summary_dict([]),
}


def test_each_requested_material_gets_a_verdict():
    lines = {line.split(" ")[0].rstrip(":"): line for line in verdict_lines(DOC)}
    assert set(lines) == {"good", "slow", "short", "bad"}
    assert "good (Li3N): prediction: σ(300 K)" in lines["good"]
    assert "1 decades" not in lines["good"]
    assert "2.0 decades" in lines["good"] and "experiment 1 mS/cm" in lines["good"]
    assert "not a prediction" in lines["slow"]
    assert "2 of 3 requested temperatures reached the 20 Å² Li MSD" in lines["slow"]
    assert "framework mobile (melting?) at 1200 K" in lines["slow"]
    assert "no σ(300 K)" in lines["short"] and "too short" in lines["short"]
    assert lines["bad"].startswith("bad: not simulated: model lj does not cover Xx")


def test_verdicts_and_settings_come_before_any_table(tmp_path):
    doc = {**DOC, "materials": {}}  # the tables: requested materials only
    write_text_reports(
        doc=doc, out_dir=tmp_path, preface=["Made with model lj (test) on cpu."]
    )
    md = (tmp_path / "report.md").read_text()
    first_table = md.index("\n|")
    for text in ("σ(300 K) per material", "short: no σ(300 K)"):
        assert md.index(text) < first_table, text
    # the settings: below the first table, folded (tests/analysis/test_report_layout.py)
    assert first_table < md.index("<details>") < md.index("Made with model lj")
    html = (tmp_path / "report.html").read_text()
    assert html.index("σ(300 K) per material") < html.index("<table")


def test_a_disordered_material_is_one_material_pooled_first(tmp_path):
    from ionmd.analysis.pooling import pool_orderings
    from ionmd.analysis.results_file import member_rows_of_document
    from ionmd.report.results_json import pooled_sections

    t = {
        "temperature_K": 800.0,
        "D_cm2_s": 1e-5,
        "D_ci95_cm2_s": [0.5e-5, 1.5e-5],
        "reliable": True,
        "n_mobile": 8,
        "volume_A3": 500.0,
    }
    mats = {"bnh#o1": {"temperatures": [t]}, "bnh#o2": {"temperatures": [t]}}
    pooled = pool_orderings(member_rows_of_document(mats))
    doc = {"materials": {}, **pooled_sections(replicas={}, orderings=pooled)}
    lines = verdict_lines(doc)
    assert lines[0].startswith("bnh (pooled over 2 orderings): no σ(300 K)")
