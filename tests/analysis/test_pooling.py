"""Pooling the orderings of a disordered material per temperature
(ionmd.analysis.pooling) on a constructed results document."""

from __future__ import annotations

import math

import pytest

from ionmd.analysis.pooling import pool_orderings as _pool_orderings
from ionmd.analysis.pooling import pool_replicas, pooled_value
from ionmd.analysis.results_file import member_rows_of_document
from ionmd.report.results_json import pooled_sections


def pool_orderings(materials: dict, **kw):
    """Pool the orderings of a constructed results.json ``materials`` section."""
    return _pool_orderings(member_rows_of_document(materials), **kw)


def _material(d_by_t: dict[float, float], half_width: float) -> dict:
    return {
        "temperatures": [
            {
                "temperature_K": t,
                "D_cm2_s": d,
                "D_ci95_cm2_s": [d - half_width, d + half_width],
                "sigma_mS_cm": 10 * d,
                "sigma_ci95_mS_cm": [10 * (d - half_width), 10 * (d + half_width)],
                "reliable": True,
                "used_in_fit": True,
                "n_mobile": 24,
                "volume_A3": 1000.0,
            }
            for t, d in d_by_t.items()
        ]
    }


def test_orderings_pool_per_temperature_with_the_spread_in_the_interval():
    w = 0.392e-5  # 95 % half width -> sigma_i = 0.2e-5
    doc = {
        "abc#o1": _material({800.0: 1e-5, 900.0: 2e-5}, w),
        "abc#o2": _material({800.0: 3e-5, 900.0: 2e-5}, w),
        "abc#o3": _material({800.0: 2e-5}, w),
        "plain": _material({800.0: 9e-5}, w),  # not an ordering: left alone
    }
    pooled = pool_orderings(doc)
    assert list(pooled) == ["abc"]
    assert pooled["abc"].word == "ordering"
    assert pooled["abc"].members == ("abc#o1", "abc#o2", "abc#o3")
    t800, t900 = pooled["abc"].temperatures
    assert t800.temperature_K == 800.0 and len(t800.members) == 3
    assert t800.D_cm2_s.value == pytest.approx(2e-5)
    assert t800.D_cm2_s.members == pytest.approx([1e-5, 3e-5, 2e-5])
    assert t800.D_cm2_s.spread == pytest.approx(1e-5)
    # random effects: the spread (s = 1e-5) with Student's t on 2 dof, which
    # exceeds the floor of the own errors (1.96 * sqrt(3) * 0.2e-5 / 3)
    half = 4.302652729749462 * 1e-5 / math.sqrt(3)  # scipy.stats.t.ppf(0.975, 2)
    assert t800.D_cm2_s.ci95 == pytest.approx([0.0, 2e-5 + half])  # lower floored
    assert t800.sigma_mS_cm.value == pytest.approx(2e-4)
    # 900 K: two orderings that agree -> the floor: their own errors alone
    assert len(t900.members) == 2 and t900.D_cm2_s.spread == 0.0
    half = 1.96 * math.sqrt(2 * (0.2e-5) ** 2) / 2
    assert t900.D_cm2_s.ci95 == pytest.approx([2e-5 - half, 2e-5 + half], rel=1e-4)


def test_pooled_interval_covers_the_mean_whatever_the_spread():
    """Simulated members with a known mean (benchmarks/pooling_coverage.py): the
    pooled 95 % interval covers it >= 0.93 on the grid spread / own error 0-5 x
    2-8 members. The interval before issue 21 (own errors added to the spread,
    1.96) covered 0.75 with 2 members at ratio 5."""
    from benchmarks.pooling_coverage import MEMBERS, RATIOS, coverage

    for ratio in RATIOS:
        for n in MEMBERS:
            cov, _ = coverage(pooled_value, ratio=ratio, n=n, trials=4000, seed=21)
            assert cov >= 0.93, (ratio, n, cov)


def test_one_ordering_and_unfinite_values():
    v = pooled_value([5.0], [(4.0, 6.0)])
    assert v.value == 5.0 and v.spread == 0.0
    assert v.ci95 == pytest.approx([4.0, 6.0])
    doc = {"x#o1": _material({800.0: float("nan")}, 0.0)}
    assert pool_orderings(doc)["x"].temperatures == ()


def test_pooled_arrhenius_and_comparison_with_experiment():
    from ionmd.analysis.arrhenius import KB_EV_PER_K

    def d(t: float) -> float:  # Ea = 0.3 eV exactly
        return 1e-3 * math.exp(-0.3 / (KB_EV_PER_K * t))

    doc = {
        f"m#o{k}": _material({t: d(t) * f for t in (800.0, 1000.0, 1200.0)}, 1e-9)
        for k, f in ((1, 0.9), (2, 1.1))
    }
    pooled = pool_orderings(doc, sigma_exp_mS_cm={"m": 1.0})["m"]
    assert pooled.Ea_eV == pytest.approx(0.3, rel=1e-6)
    assert pooled.D_300K_cm2_s == pytest.approx(d(300.0), rel=1e-6)
    assert pooled.sigma_exp_mS_cm == 1.0
    assert pooled.log10_error == pytest.approx(math.log10(pooled.sigma_300K_mS_cm))
    lo, hi = pooled.sigma_300K_ci95_mS_cm
    assert lo < pooled.sigma_300K_mS_cm < hi


def test_report_shows_the_pooled_table(tmp_path):
    """The report (md and html) has one row per disordered material and
    temperature with the pooled D, its interval and the spread between orderings."""
    from ionmd.report.pages import write_text_reports

    w = 0.392e-5
    materials = {
        "abc#o1": _material({800.0: 1e-5, 900.0: 2e-5}, w),
        "abc#o2": _material({800.0: 3e-5, 900.0: 2e-5}, w),
    }
    from ionmd.report.results_json import summary_dict

    doc = {
        "materials": {},
        "summary": summary_dict([]),
        **pooled_sections(replicas={}, orderings=pool_orderings(materials)),
    }
    write_text_reports(doc=doc, out_dir=tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "D pooled over the orderings" in md
    rows = [ln for ln in md.splitlines() if ln.startswith("| abc |")]
    assert len(rows) == 2
    assert (
        "| 800 | 2 | 2e-05 [" in rows[0] and "| 1.41e-05 |" in rows[0]
    )  # sample std of 1e-5, 3e-5
    assert "D pooled over the orderings" in (tmp_path / "report.html").read_text()


def test_replicas_pool_first_then_orderings():
    """``<id>#oK#rJ``: each ordering's replicas are pooled (pooled_replicas), and
    the ordering enters the ordering pool with its replicas' mean and interval."""
    w = 0.392e-5
    doc = {
        "abc#o1": _material({800.0: 1e-5}, w),
        "abc#o1#r2": _material({800.0: 3e-5}, w),
        "abc#o2": _material({800.0: 5e-5}, w),
        "abc#o2#r2": _material({800.0: 5e-5}, w),
        "plain": _material({800.0: 4e-5}, w),
        "plain#r2": _material({800.0: 6e-5}, w),
    }
    reps = pool_replicas(member_rows_of_document(doc))
    assert sorted(reps) == ["abc#o1", "abc#o2", "plain"]
    assert reps["plain"].word == "replica"
    assert reps["plain"].members == ("plain", "plain#r2")
    (t,) = reps["plain"].temperatures
    assert len(t.members) == 2 and t.D_cm2_s.value == pytest.approx(5e-5)
    assert t.D_cm2_s.members == pytest.approx([4e-5, 6e-5])
    half = 12.706204736174694 * math.sqrt(2e-10) / math.sqrt(2)  # t(1) s / sqrt(2)
    assert t.D_cm2_s.ci95 == pytest.approx([0.0, 5e-5 + half])
    pooled = pool_orderings(doc, replicas=reps)
    assert list(pooled) == ["abc"] and pooled["abc"].members == ("abc#o1", "abc#o2")
    (t,) = pooled["abc"].temperatures
    assert t.D_cm2_s.members == pytest.approx([2e-5, 5e-5])  # replica means
    assert t.D_cm2_s.value == pytest.approx(3.5e-5)
    # without the replica pool, the orderings' first replicas alone
    (t,) = pool_orderings(doc)["abc"].temperatures
    assert t.D_cm2_s.members == pytest.approx([1e-5, 5e-5])


def test_verdict_says_when_intervals_come_from_single_runs():
    """A campaign without replicas: the note under the verdicts says that the
    intervals are single-run ones and how far they covered on the toy; with
    pooled replicas the note is not there and the pooled line comes first."""
    from ionmd.analysis.verdict import interval_note, verdict_lines

    w = 0.392e-5
    single = {"m": _material({800.0: 1e-5, 900.0: 2e-5}, w)}
    note = interval_note({"materials": single})
    assert "one run per temperature" in note and "n_replicas >= 4" in note
    assert "covered 0.9" in note
    both = single | {"m#r2": _material({800.0: 1.2e-5, 900.0: 2.2e-5}, w)}
    pooled = pool_replicas(member_rows_of_document(both))
    doc = {"materials": both, **pooled_sections(replicas=pooled, orderings={})}
    assert interval_note(doc) is None
    lines = verdict_lines(doc)
    assert lines[0].startswith("m (pooled over 2 replicas): ") and "σ(300 K) = " in lines[0]
