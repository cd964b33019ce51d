"""Benchmark noise (issue 11): timed parts interleaved A/B/A/B, the median ratio
with its spread, and a warning when the spread is too large to trust."""

from benchmarks.timing import MAX_TRUSTED_SPREAD, interleave, ratio_stats


def test_parts_run_in_turn_each_repeat():
    order = []
    times = interleave(
        {"a": lambda: order.append("a") or 2.0, "b": lambda: order.append("b") or 1.0},
        repeats=3,
    )
    assert order == ["a", "b"] * 3
    assert times == {"a": [2.0] * 3, "b": [1.0] * 3}


def test_quiet_machine_gives_a_trusted_median():
    st = ratio_stats([1.10, 1.12, 1.11, 1.13, 1.12], [1.0] * 5)
    assert st["trusted"] and "warning" not in st
    assert abs(st["median"] - 1.12) < 1e-12
    assert st["spread"] < MAX_TRUSTED_SPREAD


def test_load_changing_during_the_run_is_flagged():
    # the numbers: 2.78 on a loaded machine, 1.13 on a quiet one
    st = ratio_stats([2.78, 1.13, 1.2], [1.0, 1.0, 1.0])
    assert not st["trusted"]
    assert "do not trust" in st["warning"]
    assert st["median"] == 1.2


def test_one_repeat_has_no_spread_to_judge():
    st = ratio_stats([1.1], [1.0])
    assert not st["trusted"] and "only 1 repeat" in st["warning"]


def test_bench_table_marks_an_untrusted_ratio():
    from ionmd.cli.bench import markdown

    noisy = ratio_stats([2.78, 1.13, 1.2], [1.0, 1.0, 1.0])
    quiet = ratio_stats([1.1, 1.1, 1.1], [1.0, 1.0, 1.0])
    text = markdown({"overhead": noisy, "batched_vs_ase": quiet, "warnings": ["x: y"]})
    line = next(x for x in text.splitlines() if x.startswith("| overhead"))
    assert "NOT TRUSTED" in line and "spread" in line
    line = next(x for x in text.splitlines() if x.startswith("| batched vs ASE"))
    assert "NOT TRUSTED" not in line and "1.1" in line
    assert "WARNING x: y" in text
