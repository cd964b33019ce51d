"""Shared structures for calculator tests."""

import pytest
import torch
from ase import Atoms

from .helpers import li3n_supercell

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def li3n_small() -> Atoms:
    """32-atom rattled Li3N."""
    return li3n_supercell((2, 2, 2))
