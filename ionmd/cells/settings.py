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
- Upper bounds, ``relax_fmax_eV_A`` ≤ :data:`MAX_RELAX_FMAX_EV_A` (1 eV/Å) and
  ``relax_stress_GPa`` ≤ :data:`MAX_RELAX_STRESS_GPA` (10 GPa): a residual force
  of 1 eV/Å leaves an ion 0.05–0.2 Å from its minimum, the thermal amplitude
  itself, and a residual stress of 10 GPa leaves the volume 15–50 % from the
  model's (B ≈ 20–60 GPa), beyond the ±25 % a relaxed cell may differ from the
  experimental one; looser limits "converge" the structure in 0 steps at a cell
  that is not relaxed (found by a hostile test: ``relax_fmax_eV_A = 1e308``).
- ``relax_max_steps = 1000``: FIRE on a few hundred atoms converges in
  100–400 steps; a material that has not converged by then is reported as
  failed (one line), not simulated at a cell that is neither experimental nor
  relaxed.
- ``npt_ps = 10``: the NPT stage per (material, temperature) before the NVT
  production (``cell = "npt"``); the production cell is the mean of its second
  half. With the barostat's relaxation time of 1 ps (``ionmd.cells.npt``) the
  first half (5 barostat times) lets the volume settle and the second half
  averages ~5 volume oscillations (10 % of the default 100 ps production:
  `ionmd plan` prints the stage as a fraction of the MD).
- ``pressure_GPa = 0``: the experiments are at ambient pressure (1e-4 GPa).
- ``npt_cell = "isotropic"``: one strain for the whole cell (its shape kept),
  the study's cell shape with the model's volume; "anisotropic": one strain per
  lattice vector, the angles kept (``ionmd.cells.npt_aniso``), so a model that
  believes in another c/a than the experiment's relaxes to it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ionmd.errors import InputError

CELL_MODES = ("experimental", "relaxed", "npt")
#: how the NPT stage may change the cell: its volume only, or its three lengths
NPT_CELLS = ("isotropic", "anisotropic")
MAX_NPT_PS = 10_000.0
#: the shortest NPT stage a campaign runs (ps): the barostat's relaxation time
#: (``ionmd.cells.npt.BAROSTAT_TAU_FS``); a shorter stage's mean cell is that of
#: a volume still on its way (measured on LJ argon from its 0 K cell: the replicas'
#: mean volume settles within ~5 ps, docs/cells.md)
MIN_CAMPAIGN_NPT_PS = 1.0
#: 1 GPa in eV/Å³ (torch-sim's stress unit)
GPA_IN_EV_A3 = 1.0 / 160.21766208
MAX_RELAX_STEPS = 100_000
#: the loosest relaxation limits a campaign accepts (the module's docstring)
MAX_RELAX_FMAX_EV_A = 1.0
MAX_RELAX_STRESS_GPA = 10.0


@dataclass(frozen=True, kw_only=True)
class CellSettings:
    """Which cell each material is simulated in, and how a relaxed one is made."""

    #: "experimental" (the structure file's cell; the study), "relaxed" (0 K,
    #: positions and cell, with the campaign's model) or "npt" (an NPT stage
    #: per material and temperature, then NVT at its mean cell)
    cell: str = "experimental"
    #: relaxed when every atom's force is at most this (eV/Å) ...
    relax_fmax_eV_A: float = 0.02
    #: ... and every stress component at most this (GPa), together
    relax_stress_GPa: float = 0.05
    #: FIRE steps before a material that has not converged is reported failed
    relax_max_steps: int = 1000
    #: cell = "npt": the NPT stage's length (ps) ...
    npt_ps: float = 10.0
    #: ... at this pressure (GPa) ...
    pressure_GPa: float = 0.0
    #: ... changing the cell's volume only ("isotropic") or its three lengths,
    #: each on its own, the angles kept ("anisotropic")
    npt_cell: str = "isotropic"

    def __post_init__(self) -> None:
        if self.cell not in CELL_MODES:
            raise InputError(
                f"cell must be one of {', '.join(CELL_MODES)}, not {self.cell!r}"
            )
        for name, top, unit in (
            ("relax_fmax_eV_A", MAX_RELAX_FMAX_EV_A, "eV/Å"),
            ("relax_stress_GPa", MAX_RELAX_STRESS_GPA, "GPa"),
        ):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0 < v <= top):
                raise InputError(
                    f"{name} must be in (0, {top:g}] {unit}, got {v:g}: a looser limit "
                    "leaves a structure that is not relaxed"
                )
        if not 1 <= self.relax_max_steps <= MAX_RELAX_STEPS:
            raise InputError(
                f"relax_max_steps must be in [1, {MAX_RELAX_STEPS}], "
                f"got {self.relax_max_steps}"
            )
        self._check_npt()
        refuse_other_modes_keys(
            [k for k in CELL_KEYS if k != "cell" and getattr(self, k) != _DEFAULTS[k]],
            cell=self.cell,
        )

    def _check_npt(self) -> None:
        """The ``npt_*`` keys: in range, and only with ``cell = "npt"``."""
        if not (math.isfinite(self.npt_ps) and 0 < self.npt_ps <= MAX_NPT_PS):
            raise InputError(f"npt_ps must be in (0, {MAX_NPT_PS:g}] ps, got {self.npt_ps}")
        if not (math.isfinite(self.pressure_GPa) and abs(self.pressure_GPa) <= 1000):
            raise InputError(
                f"pressure_GPa must be in [-1000, 1000], got {self.pressure_GPa}"
            )
        if self.npt_cell not in NPT_CELLS:
            raise InputError(
                f"npt_cell must be one of {', '.join(NPT_CELLS)}, not {self.npt_cell!r}"
            )

    def check_for_a_campaign(self) -> None:
        """What a campaign needs beyond :meth:`__post_init__`'s ranges (the
        stage's own tests run shorter stages): an NPT stage of at least
        ``MIN_CAMPAIGN_NPT_PS``."""
        if self.cell == "npt" and self.npt_ps < MIN_CAMPAIGN_NPT_PS:
            raise InputError(
                f"npt_ps = {self.npt_ps:g} ps is shorter than the barostat's relaxation "
                f"time ({MIN_CAMPAIGN_NPT_PS:g} ps): the stage's mean cell would be that "
                "of a volume still settling"
            )

    def npt_steps(self, *, timestep_fs: float) -> int:
        """The NPT stage's MD steps at ``timestep_fs`` (at least 2: a first and a
        second half), as the stage runs them and the plan counts them."""
        return max(2, round(self.npt_ps * 1000.0 / timestep_fs))

    def npt_keys(self) -> dict[str, Any]:
        """The NPT stage's keys and their values."""
        return {k: getattr(self, k) for k in NPT_KEYS}

    def relax_keys(self) -> dict[str, Any]:
        """The ``relax_*`` keys and their values."""
        return {k: getattr(self, k) for k in RELAX_KEYS}

    def fingerprint(self) -> dict[str, Any]:
        """What the cell stage adds to the protocol's fingerprint: nothing for the
        experimental cell (runs from before the key existed resume), else the
        mode and every key that decides the relaxed or NPT cell."""
        if self.cell == "experimental":
            return {}
        if self.cell == "npt":
            return {"cell": self.cell, **self.npt_keys()}
        return {"cell": self.cell, **self.relax_keys()}

    @property
    def relax_stress_eV_A3(self) -> float:
        return self.relax_stress_GPa * GPA_IN_EV_A3


CELL_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(CellSettings))
RELAX_KEYS: tuple[str, ...] = tuple(k for k in CELL_KEYS if k.startswith("relax_"))
NPT_KEYS: tuple[str, ...] = ("npt_ps", "pressure_GPa", "npt_cell")
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(CellSettings)}


def key_mode(key: str) -> str | None:
    """The cell mode a cell key belongs to ("relaxed", "npt"; None: ``cell``)."""
    if key in RELAX_KEYS:
        return "relaxed"
    if key in NPT_KEYS:
        return "npt"
    return None


def refuse_other_modes_keys(keys: Any, *, cell: str) -> None:
    """InputError (one line) for the first of ``keys`` that belongs to another
    cell mode than ``cell``: a ``relax_*`` key outside ``cell = "relaxed"``, an
    NPT key outside ``cell = "npt"``, which that mode would silently ignore.
    :class:`CellSettings` gives the keys not at their defaults; a config file
    (:func:`ionmd.campaign.config.config_from_mapping`) every cell key it sets,
    at its default or not."""
    for key in keys:
        mode = key_mode(key)
        if mode is not None and mode != cell:
            default = " (the default)" if cell == "experimental" else ""
            raise InputError(
                f'{key} is a key of cell = "{mode}", not of cell = "{cell}"{default}: '
                f'set cell = "{mode}" or leave {key} out'
            )
