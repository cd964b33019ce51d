"""``ionmd compare`` of runs that differ in ``cell``: D per material and
temperature against the experimental cell's, with a verdict that says plainly
when the runs cannot tell the cells apart."""

from dataclasses import dataclass, field

import pytest

from ionmd.analysis.compare import ModelRun, compare_runs
from ionmd.analysis.compare_cells import d_by_cell


@dataclass
class Run:
    label: str
    cell: str
    materials: dict = field(default_factory=dict)


def _material(*rows):
    return {
        "temperatures": [
            {"temperature_K": t, "D_cm2_s": d, "D_sigma_cm2_s": s, "reliable": True}
            for t, d, s in rows
        ]
    }


def test_told_apart_and_cannot_tell_by_the_combined_sigma():
    exp = Run(
        "m (experimental cell)",
        "experimental",
        {"x": _material((800, 1e-5, 1e-6), (1000, 2e-5, 4e-6))},
    )
    npt = Run(
        "m (npt cell)", "npt", {"x": _material((800, 2e-5, 1e-6), (1000, 2.5e-5, 4e-6))}
    )
    doc = d_by_cell([npt, exp])  # the experimental cell is the reference, not the first
    assert doc["reference"] == "m (experimental cell)"
    by_t = {r["temperature_K"]: r["against_reference"]["m (npt cell)"] for r in doc["rows"]}
    # 800 K: ΔD = 1e-5, combined σ = √2 e-6: z = 7.07
    assert by_t[800]["z"] == pytest.approx(1e-5 / (2**0.5 * 1e-6))
    assert by_t[800]["ratio"] == pytest.approx(2.0)
    assert by_t[800]["verdict"].startswith("told apart")
    # 1000 K: ΔD = 5e-6, combined σ = 5.66e-6: z = 0.88
    assert by_t[1000]["z"] == pytest.approx(5e-6 / (2**0.5 * 4e-6))
    assert by_t[1000]["verdict"].startswith("cannot tell (|z| = 0.9")


def test_no_table_for_runs_of_one_cell_and_missing_d_said():
    a = Run("a", "experimental", {"x": _material((800, 1e-5, 1e-6))})
    b = Run("b", "experimental", {"x": _material((800, 2e-5, 1e-6))})
    assert d_by_cell([a, b]) is None
    c = Run("c", "relaxed", {"x": _material((1000, 2e-5, 1e-6))})
    rows = d_by_cell([a, c])["rows"]
    assert [r["against_reference"]["c"]["verdict"] for r in rows] == [
        "no D in both runs"
    ] * 2


def test_compare_runs_carries_it():
    runs = [
        ModelRun(
            label="m",
            run_dir="A",
            materials={"x": _material((800, 1e-5, 1e-6))},
            requested={},
            cell="experimental",
        ),
        ModelRun(
            label="m",
            run_dir="B",
            materials={"x": _material((800, 3e-5, 1e-6))},
            requested={},
            cell="npt",
        ),
    ]
    doc = compare_runs(runs, n_bootstrap=10)
    (row,) = doc["d_by_cell"]["rows"]
    assert row["against_reference"]["m (npt cell)"]["ratio"] == pytest.approx(3.0)
