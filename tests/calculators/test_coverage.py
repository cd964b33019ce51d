"""The plan's element table by model name (``ionmd/calculators/coverage.py``)
says what the loaded model says, for every model that loads here; the run reads
the loaded model, so plan and run refuse the same materials."""

from __future__ import annotations

import pytest

from ionmd.calculators import load_model
from ionmd.calculators.coverage import model_coverage
from ionmd.campaign.model_loader import supported_numbers


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "model", ["sevennet-0", "chgnet", "mace-tiny", "mace-mpa0-arch", "toy", "lj"]
)
def test_table_matches_the_loaded_model(model: str) -> None:
    if model == "chgnet":
        pytest.importorskip("chgnet")
    loaded = supported_numbers(load_model(model, device="cpu"))
    table = model_coverage(model)
    if loaded is None:
        assert table.numbers is None and table.every
    else:
        assert table.numbers == loaded and not table.every


def test_mace_foundations_and_unknown_names() -> None:
    mp = model_coverage("mace:medium-mpa-0").numbers
    assert mp is not None and len(mp) == 89 and 84 not in mp and 94 in mp
    assert model_coverage("mace:large-0b2").numbers == mp
    unknown = model_coverage("mace:/some/file.model")
    assert unknown.numbers is None and not unknown.every
    assert "ionmd run checks" in unknown.source
