"""Numbers in analysis, pages in report (issue 23): the analysis returns typed
results and writes nothing; the report lays results.json out from them, with
σ(T) checked against Nernst–Einstein computed here and the study's MAEs against
a mean taken here."""

import math
import os
from dataclasses import replace

from adaptive_helpers import adaptive_run_dir

from ionmd.analysis.diffusion import DiffusionSettings
from ionmd.analysis.material_summary import MaterialSummary
from ionmd.analysis.pipeline import analyse_inputs
from ionmd.report.analysis_files import results_document, write_analysis
from ionmd.report.results_json import summary_dict

E_C = 1.602176634e-19
KB_J_K = 1.380649e-23


def _files(root):
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
    )


def _analysis(tmp_path):
    run = adaptive_run_dir(tmp_path)
    before = _files(tmp_path)
    found = analyse_inputs(
        paths=[run], settings=DiffusionSettings(use_kinisi=False), compare=False,
        verbose=False, allow_empty=True,
    )  # fmt: skip
    assert _files(tmp_path) == before, "the analysis wrote a file"
    return run, found


def test_analysis_writes_nothing_and_returns_typed_summaries(tmp_path):
    _, found = _analysis(tmp_path)
    assert found.materials and all(isinstance(m, MaterialSummary) for m in found.materials)
    assert found.adaptive_json is not None  # the run directory's adaptive.json was read


def test_results_json_is_laid_out_from_the_typed_results(tmp_path):
    run, found = _analysis(tmp_path)
    out = tmp_path / "out"
    doc = write_analysis(found, out_dir=out, figures=False, verbose=False)
    assert sorted(os.listdir(out)) == ["report.html", "report.md", "results.json"]
    again = results_document(found)
    assert {k: v for k, v in doc.items() if k != "created_utc"} == {
        k: v for k, v in again.items() if k != "created_utc"
    }
    n_checked = 0
    for m in found.materials:
        entry = doc["materials"][m.material_id]
        for r, t in zip(m.temperatures, entry["temperatures"], strict=True):
            n_cm3 = r.n_mobile / (r.volume_A3 * 1e-24)
            sigma = n_cm3 * E_C**2 * r.D_cm2_s / (KB_J_K * r.temperature_K) * 1e3
            if math.isfinite(sigma):
                assert math.isclose(t["sigma_mS_cm"], sigma, rel_tol=1e-9)
                n_checked += 1
    assert n_checked >= 2


def test_the_study_maes_are_the_mean_absolute_log10_errors(tmp_path):
    """Known errors given to the typed summaries: the written MAEs are their
    mean absolute values, over all and over the all-reliable subset."""
    _, found = _analysis(tmp_path)
    known = [0.5, -1.5, 2.0, -0.25, 1.0]
    ms = [replace(m, log10_error=e) for m, e in zip(found.materials, known, strict=False)]
    summary = summary_dict(ms)
    errors = [abs(m.log10_error) for m in ms]
    assert summary["n_materials_with_error"] == len(ms) >= 2
    assert math.isclose(summary["mae_log10_all"], sum(errors) / len(errors))
    reliable = [abs(m.log10_error) for m in ms if m.all_reliable]
    assert summary["n_materials_all_reliable"] == len(reliable)
    if reliable:
        mae_reliable = sum(reliable) / len(reliable)
        assert math.isclose(summary["mae_log10_all_reliable"], mae_reliable)


def test_verdicts_are_decided_on_the_typed_results(tmp_path):
    """The analysis decides each verdict on its typed summaries (and the adaptive
    protocol's section); deciding them again from the written results.json's
    numbers (a results.json without kept verdicts, as ``ionmd compare`` reads
    old runs) gives the same verdicts, lines included."""
    from ionmd.analysis.verdict import Verdict, verdicts_of, verdicts_of_summaries
    from ionmd.analysis.verdict_basis import basis_of_summary

    _, found = _analysis(tmp_path)
    doc = results_document(found)
    typed = verdicts_of_summaries(
        materials=found.materials,
        requested=found.requested_materials,
        adaptive=doc["adaptive"],
    )
    assert {v.decided_by for v in typed.values()} == {"adaptive protocol"}
    kept = {
        mid: Verdict.from_dict(mid, m["verdict"]) for mid, m in doc["materials"].items()
    }
    assert kept == {mid: typed[mid] for mid in kept}
    bare = {
        **doc,
        "materials": {
            mid: {k: v for k, v in m.items() if k != "verdict"}
            for mid, m in doc["materials"].items()
        },
        "requested_materials": {
            mid: {k: v for k, v in r.items() if k != "verdict"}
            for mid, r in doc["requested_materials"].items()
        },
    }
    assert verdicts_of(bare) == typed
    # without the adaptive section: the study's rule, on the same typed numbers
    study = verdicts_of_summaries(
        materials=found.materials, requested=found.requested_materials
    )
    assert {v.decided_by for v in study.values()} == {"study"}
    assert verdicts_of({k: v for k, v in bare.items() if k != "adaptive"}) == study
    assert all(basis_of_summary(m).formula == m.formula for m in found.materials)


def test_pools_are_typed_and_laid_out_by_the_report(tmp_path):
    """Members of known D: replicas of the analysed materials (their copies with
    D scaled), pooled by the analysis as typed results; results.json's pooled
    section is laid out from them and read back into the same types."""
    from ionmd.analysis.pipeline import _pools
    from ionmd.analysis.pooled_types import PooledMaterial
    from ionmd.analysis.results_file import pooled_of_document

    _, found = _analysis(tmp_path)
    m = found.materials[0]
    copy = replace(
        m,
        material_id=f"{m.material_id}#r2",
        temperatures=[replace(r, D_cm2_s=2 * r.D_cm2_s) for r in m.temperatures],
    )
    replicas, orderings = _pools([m, copy], sigma_exp={}, extrapolate_K=300.0)
    assert orderings == {}
    pool = replicas[m.material_id]
    assert isinstance(pool, PooledMaterial) and pool.word == "replica"
    assert pool.members == (m.material_id, copy.material_id)
    for r, t in zip(m.temperatures, pool.temperatures, strict=True):
        assert math.isclose(t.D_cm2_s.value, 1.5 * r.D_cm2_s, rel_tol=1e-12)
        assert t.D_cm2_s.members == (r.D_cm2_s, 2 * r.D_cm2_s)
    doc = results_document(replace(found, pooled_replicas=replicas))
    assert pooled_of_document(doc) == [(m.material_id, pool)]
