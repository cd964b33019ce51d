"""Run configuration: the study's protocol as defaults, read from TOML.

Every key has a unit in its name; unknown keys are refused with the nearest
valid name, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ionmd.errors import InputError

STUDY_TEMPERATURES_K: tuple[float, ...] = (800.0, 900.0, 1000.0, 1100.0, 1200.0)


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Everything a run needs. Defaults reproduce the reference study:
    NVT Nosé–Hoover at 800–1200 K (100 K steps), 2 fs, 100 ps, first 5 ps
    discarded, supercells >= 10 Å, MACE medium-mpa-0.
    """

    materials: tuple[str, ...] | str = ()
    temperatures_K: tuple[float, ...] = STUDY_TEMPERATURES_K
    model: str = "mace:medium-mpa-0"
    timestep_fs: float = 2.0
    duration_ps: float = 100.0
    equilibration_ps: float = 5.0
    min_cell_length_A: float = 10.0
    device: str = "auto"
    dtype: str = "auto"
    seed: int = 0
    out: str = "ionmd-out"
    obelix_data: str | None = None
    mobile_species: str = "Li"
    round_occupancies: bool = False
    #: Nosé–Hoover chain relaxation time (the study does not state it; 100 fs
    #: = 50 steps of 2 fs is the common choice, e.g. ASE's and LAMMPS' docs).
    thermostat_tau_fs: float = 100.0
    chain_length: int = 3
    #: stride of the stored unwrapped mobile-ion trajectory (kinisi needs it)
    sample_every_fs: float = 100.0
    #: stride of the on-device MSD (the shortest lag)
    msd_every_fs: float = 10.0
    #: lags per decade of the multiple-window MSD (block length B)
    msd_block_size: int = 10
    thermo_every_fs: float = 100.0
    #: flush to HDF5 at least this often in simulated time and in wall time
    flush_every_ps: float = 5.0
    flush_every_s: float = 60.0
    #: fault isolation: check every system this often (and before each flush)
    fault_check_every_fs: float = 20.0
    #: an atom moving more than this per step (on average between two checks)
    max_step_displacement_A: float = 1.0
    #: kinetic temperature above this factor × target
    max_temperature_factor: float = 3.0
    #: atoms per batch (0: all systems in one batch on the CPU; on a GPU, from
    #: the free memory and the model's measured bytes per atom, then halved on
    #: out-of-memory)
    max_atoms_per_batch: int = 0
    progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.temperatures_K:
            raise InputError("temperatures_K is empty")
        for t in self.temperatures_K:
            if not (math.isfinite(t) and t > 0):
                raise InputError(f"temperatures_K must be positive, got {t}")
            if t > 5000:
                raise InputError(f"temperatures_K = {t} K is beyond any solid electrolyte")
        if not (0.05 <= self.timestep_fs <= 10.0):
            raise InputError(f"timestep_fs = {self.timestep_fs} is out of range [0.05, 10]")
        if self.duration_ps <= 0 or self.equilibration_ps < 0:
            raise InputError("duration_ps must be > 0 and equilibration_ps >= 0")
        if self.equilibration_ps >= self.duration_ps:
            raise InputError(
                f"equilibration_ps ({self.equilibration_ps}) must be shorter than "
                f"duration_ps ({self.duration_ps})"
            )
        if self.min_cell_length_A < 0:
            raise InputError("min_cell_length_A must be >= 0")
        if self.dtype not in ("auto", "float32", "float64"):
            raise InputError(f"dtype must be auto, float32 or float64, not {self.dtype!r}")
        if self.msd_block_size < 2:
            raise InputError("msd_block_size must be >= 2")
        for name in (
            "sample_every_fs",
            "msd_every_fs",
            "thermo_every_fs",
            "fault_check_every_fs",
        ):
            if getattr(self, name) < self.timestep_fs:
                raise InputError(f"{name} must be at least one timestep")

    # --- derived step counts -------------------------------------------------
    def _steps(self, fs: float) -> int:
        return max(1, round(fs / self.timestep_fs))

    @property
    def n_steps(self) -> int:
        return round(self.duration_ps * 1000.0 / self.timestep_fs)

    @property
    def equilibration_steps(self) -> int:
        return round(self.equilibration_ps * 1000.0 / self.timestep_fs)

    @property
    def sample_every_steps(self) -> int:
        return self._steps(self.sample_every_fs)

    @property
    def msd_every_steps(self) -> int:
        return self._steps(self.msd_every_fs)

    @property
    def thermo_every_steps(self) -> int:
        return self._steps(self.thermo_every_fs)

    @property
    def fault_check_every_steps(self) -> int:
        return self._steps(self.fault_check_every_fs)

    @property
    def flush_every_steps(self) -> int:
        return self._steps(self.flush_every_ps * 1000.0)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)


def _valid_keys() -> list[str]:
    return [f.name for f in dataclasses.fields(RunConfig) if f.name != "extra"]


def config_from_mapping(data: dict[str, Any], *, source: str = "config") -> RunConfig:
    """Build a :class:`RunConfig`, refusing unknown keys with the nearest name."""
    valid = _valid_keys()
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key not in valid:
            extra[key] = value  # other layers' tables, e.g. [vasp], [executor]
            continue
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(f"{source}: unknown key {key!r}{hint}")
        kwargs[key] = value
    if "temperatures_K" in kwargs:
        kwargs["temperatures_K"] = tuple(float(t) for t in kwargs["temperatures_K"])
    if "materials" in kwargs and not isinstance(kwargs["materials"], str):
        kwargs["materials"] = tuple(str(m) for m in kwargs["materials"])
    try:
        return RunConfig(**kwargs, extra=extra)
    except TypeError as exc:
        raise InputError(f"{source}: {exc}") from None


def load_config(path: str | Path) -> RunConfig:
    """Read a TOML run configuration."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such config file")
    try:
        data = tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not valid TOML ({exc})") from None
    return config_from_mapping(data, source=str(p))
