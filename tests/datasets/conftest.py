"""Fixtures for ionmd.datasets tests: the shared OBELiX CIFs (skip if absent)."""

import os
from pathlib import Path

import pytest


def _obelix_dir() -> Path:
    env = os.environ.get("IONMD_SHARED")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared"
    return (base / "data" / "obelix").resolve()


@pytest.fixture(scope="session")
def obelix_cif_dir() -> Path:
    path = _obelix_dir() / "all_randomized_cifs"
    if not path.is_dir():
        pytest.skip(f"shared OBELiX data not found at {path} (set IONMD_SHARED)")
    return path


@pytest.fixture(scope="session")
def obelix_dir() -> Path:
    path = _obelix_dir()
    if not (path / "all.csv").is_file():
        pytest.skip(f"shared OBELiX data not found at {path} (set IONMD_SHARED)")
    return path
