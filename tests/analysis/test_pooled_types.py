"""The pooled results are typed (ionmd.analysis.pooled_types) and results.json's
``pooled_replicas`` / ``pooled_orderings`` are laid out from them by the report:
byte for byte what ionmd wrote when pooling returned dicts (the committed
tests/fixtures/pooled/expected.json, written by that code from the same fixed
inputs, tests/analysis/pooled_inputs.py), and read back into the same types."""

from __future__ import annotations

import json
from pathlib import Path

from pooled_inputs import SIGMA_EXP_mS_cm, materials_section

from ionmd.analysis.pooled_types import PooledMaterial
from ionmd.analysis.pooling import pool_orderings, pool_replicas
from ionmd.analysis.results_file import (
    member_rows_of_document,
    pooled_of_dict,
    pooled_of_document,
)
from ionmd.report.results_json import pooled_dict, pooled_sections

EXPECTED = Path(__file__).parents[1] / "fixtures" / "pooled" / "expected.json"


def _pools() -> tuple[dict[str, PooledMaterial], dict[str, PooledMaterial]]:
    members = member_rows_of_document(materials_section())
    reps = pool_replicas(members, sigma_exp_mS_cm=SIGMA_EXP_mS_cm, extrapolate_K=300.0)
    ords = pool_orderings(
        members, sigma_exp_mS_cm=SIGMA_EXP_mS_cm, extrapolate_K=300.0, replicas=reps
    )
    return reps, ords


def test_pooled_sections_are_byte_identical_to_the_untyped_pooling():
    reps, ords = _pools()
    assert all(isinstance(p, PooledMaterial) for p in [*reps.values(), *ords.values()])
    text = json.dumps(
        pooled_sections(replicas=reps, orderings=ords), indent=2, allow_nan=False
    )
    assert text + "\n" == EXPECTED.read_text()


def test_the_fixture_covers_every_layout():
    """Replicas and orderings, a pool without a fit, a temperature without σ, a
    member without a D, a known and an unknown experiment."""
    reps, ords = _pools()
    assert set(reps) == {"plain", "abc#o1"} and set(ords) == {"abc", "one"}
    assert not ords["one"].fitted and ords["abc"].fitted
    assert ords["abc"].temperatures[2].members == ("abc#o1",)  # abc#o2: no D there
    assert reps["abc#o1"].temperatures[1].sigma_mS_cm is None
    assert ords["abc"].temperatures[0].used_in_fit is False
    assert ords["abc"].sigma_exp_mS_cm == 0.7 and reps["abc#o1"].sigma_exp_mS_cm is None


def test_results_json_pools_read_back_into_the_same_types():
    reps, ords = _pools()
    doc = json.loads(EXPECTED.read_text())
    for key, word, pools in (
        ("pooled_replicas", "replica", reps),
        ("pooled_orderings", "ordering", ords),
    ):
        for base, d in doc[key].items():
            typed = pooled_of_dict(d, word=word)
            assert pooled_dict(typed) == d  # the document's fragment, unchanged
            assert typed == pools[base]  # what the analysis computed
    read = pooled_of_document(doc)
    assert [b for b, _ in read] == ["abc", "one", "abc#o1", "plain"]
