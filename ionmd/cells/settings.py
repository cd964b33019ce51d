"""The cell stage's keys (``cell``, ``relax_*``), each with its unit in its name
and a default (docs/config.md, docs/cells.md).

Defaults, and why:

- ``relax_fmax_eV_A = 0.02``: a residual force F on an ion held by a bond of
  stiffness k ≈ 5–20 eV/Å² leaves it F/k ≲ 0.004 Å from its minimum, two orders
  below the thermal amplitude (≈ 0.1 Å at 300 K) the MD adds anyway.
- ``relax_stress_GPa = 0.05``: a residual stress P leaves the volume P/B from
  the model's zero-pressure volume; for the soft electrolytes here (bulk moduli
  B ≈ 20–60 GPa) that is ≤ 0.25 %, an order below the 1–10 % volume errors of
  PBE-trained universal potentials the stage exists to expose.
- ``relax_max_steps = 1000``: FIRE on a few hundred atoms converges in
  100–400 steps; a material that has not converged by then is reported as
  failed (one line), not simulated at a cell that is neither experimental nor
  relaxed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ionmd.errors import InputError

CELL_MODES = ("experimental", "relaxed", "npt")
#: the modes this version runs ("npt": issue 24, not yet)
CELL_MODES_RUN = ("experimental", "relaxed")
#: 1 GPa in eV/Å³ (torch-sim's stress unit)
GPA_IN_EV_A3 = 1.0 / 160.21766208
MAX_RELAX_STEPS = 100_000


@dataclass(frozen=True, kw_only=True)
class CellSettings:
    """Which cell each material is simulated in, and how a relaxed one is made."""

    #: "experimental" (the structure file's cell; the study), "relaxed" (0 K,
    #: positions and cell, with the campaign's model) or "npt" (not yet)
    cell: str = "experimental"
    #: relaxed when every atom's force is at most this (eV/Å) ...
    relax_fmax_eV_A: float = 0.02
    #: ... and every stress component at most this (GPa), together
    relax_stress_GPa: float = 0.05
    #: FIRE steps before a material that has not converged is reported failed
    relax_max_steps: int = 1000

    def __post_init__(self) -> None:
        if self.cell not in CELL_MODES:
            raise InputError(
                f"cell must be one of {', '.join(CELL_MODES)}, not {self.cell!r}"
            )
        if self.cell not in CELL_MODES_RUN:
            raise InputError(
                f'cell = "{self.cell}" is not implemented yet (issue 24): use '
                '"experimental" or "relaxed"'
            )
        for name in ("relax_fmax_eV_A", "relax_stress_GPa"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be a positive number, got {v}")
        if not 1 <= self.relax_max_steps <= MAX_RELAX_STEPS:
            raise InputError(
                f"relax_max_steps must be in [1, {MAX_RELAX_STEPS}], "
                f"got {self.relax_max_steps}"
            )
        if self.cell == "experimental":
            changed = [k for k, v in self.relax_keys().items() if v != _DEFAULTS[k]]
            if changed:
                raise InputError(
                    f'{changed[0]} is a key of cell = "relaxed": add it (the default, '
                    '"experimental", simulates the structure file\'s cell as it is)'
                )

    def relax_keys(self) -> dict[str, Any]:
        """The ``relax_*`` keys and their values."""
        return {k: getattr(self, k) for k in RELAX_KEYS}

    def fingerprint(self) -> dict[str, Any]:
        """What the cell stage adds to the protocol's fingerprint: nothing for the
        experimental cell (runs from before the key existed resume), else the
        mode and every key that decides the relaxed cell."""
        if self.cell == "experimental":
            return {}
        return {"cell": self.cell, **self.relax_keys()}

    @property
    def relax_stress_eV_A3(self) -> float:
        return self.relax_stress_GPa * GPA_IN_EV_A3


CELL_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(CellSettings))
RELAX_KEYS: tuple[str, ...] = tuple(k for k in CELL_KEYS if k.startswith("relax_"))
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(CellSettings)}
