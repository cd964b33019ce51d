"""Which models give a stress, and a model's stress switched on for a stage.

Every torch-sim model ionmd loads has stress off (NVT does not need it; it
costs a second derivative path). The cell stage needs it: on for the stage,
then back off. Which model families can give one is
:func:`ionmd.calculators.gives_stress` (known before the model loads)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ionmd.errors import InputError


@contextmanager
def stress_on(model: Any) -> Iterator[Any]:
    """``model`` computing its stress inside the block; InputError (one line)
    when it cannot (no ``_compute_stress`` switch, or no stress returned)."""
    if not hasattr(model, "_compute_stress"):
        raise InputError(
            f"{type(model).__name__} has no stress switch: a cell stage (cell = "
            '"relaxed" or "npt") needs a model that gives a stress'
        )
    before = model._compute_stress
    model._compute_stress = True
    try:
        yield model
    finally:
        model._compute_stress = before
