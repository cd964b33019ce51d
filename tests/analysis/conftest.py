"""Fixtures: the real data, skipped with a clear reason where absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_helpers import shared_dir


@pytest.fixture
def aimd_dir() -> Path:
    d = shared_dir() / "data" / "aimd"
    if not d.is_dir():
        pytest.skip(f"real AIMD data not found at {d} (set IONMD_SHARED)")
    return d


@pytest.fixture
def obelix_dir() -> Path:
    d = shared_dir() / "data" / "obelix"
    if not (d / "all.csv").is_file():
        pytest.skip(f"OBELiX data not found at {d} (set IONMD_SHARED)")
    return d
