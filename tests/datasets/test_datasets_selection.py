"""The study's benchmark selection (Appendix A.3) on the local OBELiX copy."""

import math
import warnings

import numpy as np
import pytest

from ionmd.datasets import OBELIX22, benchmark_bins, select_benchmark_set
from ionmd.datasets.obelix import experimental_sigma_mS_cm
from ionmd.datasets.selection import fully_occupied_ids
from ionmd.errors import InputError
from ionmd.structures import load_structure


@pytest.fixture(scope="module")
def bins(obelix_dir):
    return benchmark_bins(data_path=obelix_dir)


def test_bin_edges_are_log_equal(bins):
    main = [b for b in bins if not b.is_low_range]
    low = [b for b in bins if b.is_low_range]
    assert len(main) == 20 and len(low) == 4
    assert main[0].lo_mS_cm == pytest.approx(1e-7)
    assert main[-1].hi_mS_cm == pytest.approx(25.0)  # the dataset maximum
    widths = [math.log10(b.hi_mS_cm / b.lo_mS_cm) for b in main]
    assert np.allclose(widths, math.log10(25.0 / 1e-7) / 20)
    assert [b.lo_mS_cm for b in low] == pytest.approx([1e-15, 1e-13, 1e-11, 1e-9])


def test_members_lie_in_their_bin(obelix_dir, bins):
    for b in bins:
        for mid in b.members:
            s = experimental_sigma_mS_cm(mid, data_path=obelix_dir, study_convention=True)
            assert b.lo_mS_cm * (1 - 1e-12) <= s.sigma_mS_cm < b.hi_mS_cm * (1 + 1e-12)


def test_non_empty_bins_match_the_study(bins):
    # The study: 18 of 20 main bins non-empty, plus the 4 low bins -> 22.
    assert sum(1 for b in bins if b.members and not b.is_low_range) == 18
    assert sum(1 for b in bins if b.members and b.is_low_range) == 4


def test_study_materials_occupy_distinct_bins(obelix_dir, bins):
    """Each of the study's 22 materials falls in its own non-empty bin."""
    hit = []
    for mid in OBELIX22:
        s = experimental_sigma_mS_cm(mid, data_path=obelix_dir, study_convention=True)
        idx = [i for i, b in enumerate(bins) if b.lo_mS_cm <= s.sigma_mS_cm < b.hi_mS_cm]
        assert len(idx) == 1, mid
        hit.append(idx[0])
    assert len(set(hit)) == 22
    assert set(hit) == {i for i, b in enumerate(bins) if b.members}


def test_selection_deterministic_one_per_bin_fully_occupied(obelix_dir, bins):
    first = select_benchmark_set(data_path=obelix_dir, seed=42)
    assert first == select_benchmark_set(data_path=obelix_dir, seed=42)
    non_empty = [b for b in bins if b.members]
    assert len(first) == len(non_empty) == 22
    for mid, b in zip(first, non_empty, strict=True):
        assert mid in b.members
    others = {tuple(select_benchmark_set(data_path=obelix_dir, seed=s)) for s in range(5)}
    assert len(others) > 1  # the seed matters
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a rounding warning would fail here
        for mid in first:
            cif = obelix_dir / "all_randomized_cifs" / f"{mid}.cif"
            assert load_structure(cif).is_ordered  # fully occupied, contains Li


def test_fully_occupied_excludes_public_joc(obelix_dir):
    ids = fully_occupied_ids(data_path=obelix_dir)
    assert "joc" not in ids
    assert set(OBELIX22) - {"joc"} <= set(ids)
    # b4c (Li4SiS4) is fully occupied but its public CIF has no Li
    with_li_free = fully_occupied_ids(data_path=obelix_dir, require_li=False)
    assert set(with_li_free) - set(ids) == {"b4c"}
    assert len(with_li_free) == 72


def test_include_max_closes_the_last_bin(obelix_dir):
    closed = benchmark_bins(data_path=obelix_dir, include_max=True)
    assert closed[19].members == ("4p7",)  # 25 mS/cm, the dataset maximum


def test_bad_bin_range(obelix_dir):
    with pytest.raises(InputError, match="bad bin range"):
        benchmark_bins(data_path=obelix_dir, low_range_mS_cm=(1e-7, 1e-15))
