"""ionmd.structures: read, check, build and replicate crystal structures.

The names below load on first use (PEP 562), so that importing one submodule
(e.g. ``ionmd.structures.builders`` for the engine's benchmarks) does not import
pymatgen, which the readers and the supercell code need and the GPU machine
does not have.
"""

import importlib
from typing import Any

_WHERE = {
    "alpha_li3n": "builders",
    "alpha_li3n_atoms": "builders",
    "check_mobile_species": "load",
    "check_no_overlaps": "load",
    "load_structure": "load",
    "OccupancyRoundingWarning": "occupancy",
    "round_partial_occupancies": "occupancy",
    "min_length_supercell": "supercell",
    "perpendicular_widths": "supercell",
    "supercell_repeats": "supercell",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"ionmd.structures.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'ionmd.structures' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
