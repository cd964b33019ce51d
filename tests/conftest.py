"""Shared test fixtures. Tests run on the CPU with one thread."""

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(int(os.environ.get("IONMD_TEST_THREADS", "1")))

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("IONMD_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared() -> Path:
    path = shared_dir()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set IONMD_SHARED)")
    return path


def _obelix_dir() -> Path:
    return (shared_dir() / "data" / "obelix").resolve()


@pytest.fixture(scope="session")
def obelix_cif_dir() -> Path:
    """The shared OBELiX CIFs (skip if absent)."""
    path = _obelix_dir() / "all_randomized_cifs"
    if not path.is_dir():
        pytest.skip(f"shared OBELiX data not found at {path} (set IONMD_SHARED)")
    return path


@pytest.fixture(scope="session")
def obelix_dir() -> Path:
    """The shared OBELiX copy (skip if absent)."""
    path = _obelix_dir()
    if not (path / "all.csv").is_file():
        pytest.skip(f"shared OBELiX data not found at {path} (set IONMD_SHARED)")
    return path
