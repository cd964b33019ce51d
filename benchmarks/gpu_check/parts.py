"""Which function runs each part (the order is :data:`settings.PARTS`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from benchmarks.gpu_check.adaptive import adaptive
from benchmarks.gpu_check.engine_vs_ase import engine_vs_ase
from benchmarks.gpu_check.environment import environment, model_load
from benchmarks.gpu_check.fast_paths import compile_, cueq, skin
from benchmarks.gpu_check.float64 import float64
from benchmarks.gpu_check.host_syncs import host_syncs
from benchmarks.gpu_check.largest_batch import largest_batch
from benchmarks.gpu_check.projection import projection
from benchmarks.gpu_check.real_model import real_model
from benchmarks.gpu_check.settings import PARTS
from benchmarks.gpu_check.study_batch import study_batch

if TYPE_CHECKING:
    from benchmarks.gpu_check.harness import Check

#: part name -> ``fn(check, limit_s) -> dict``
RUNNERS: dict[str, Callable[..., dict[str, Any]]] = {
    "environment": environment,
    "model_load": model_load,
    "engine_vs_ase": engine_vs_ase,
    "study_batch": study_batch,
    "largest_batch": largest_batch,
    "float64": float64,
    "cueq": cueq,
    "skin": skin,
    "host_syncs": host_syncs,
    "adaptive": adaptive,
    "compile": compile_,
    "real_model": real_model,
    "projection": projection,
}
assert tuple(RUNNERS) == PARTS, "every part in settings.PARTS has one runner, in order"


def run_part(check: Check, name: str) -> dict[str, Any]:
    """Run part ``name`` under the harness (time limit, fault isolation, JSON)."""
    return check.part(name, partial(RUNNERS[name], check))
