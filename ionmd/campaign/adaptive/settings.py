"""The adaptive protocol's keys (``protocol = "adaptive"``), each with its unit in
its name and a default (docs/config.md, docs/adaptive.md)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ionmd.engine.md_settings import MDSettings
from ionmd.errors import InputError

PROTOCOL_MODES = ("study", "adaptive")


@dataclass(frozen=True, kw_only=True)
class AdaptiveSettings:
    """When to judge, extend, stop, add temperatures, and the campaign budget."""

    #: a system is judged after every chunk of this much simulated time
    chunk_ps: float = 25.0
    #: the longest a system may run
    max_duration_ps: float = 1000.0
    #: the Li MSD a run must reach to be reliable (the study's 20 Å²)
    target_msd_A2: float = 20.0
    #: a reliable run also wants D's 95 % interval narrower than this (decades)
    target_D_log10_ci: float = 0.3
    #: step of an added temperature (up, or down)
    temperature_step_K: float = 100.0
    max_temperature_K: float = 1500.0
    min_temperature_K: float = 500.0
    #: temperatures a material needs in its fit set (diffusive: reliable or
    #: slow_diffusive, framework intact, below any melt; ionmd.analysis.fit_set)
    min_reliable_temperatures: int = 4
    #: σ(300 K)'s 95 % interval, in decades, at which a material is resolved
    target_sigma300_log10_ci: float = 1.0
    #: campaign budget in atom-steps (atoms × MD steps); 0: none
    max_atom_steps: float = 0.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and not math.isfinite(v):
                raise InputError(f"{f.name} must be a finite number, got {v}")
        positive = (
            "chunk_ps",
            "max_duration_ps",
            "target_msd_A2",
            "target_D_log10_ci",
            "temperature_step_K",
            "max_temperature_K",
            "min_temperature_K",
            "target_sigma300_log10_ci",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.temperature_step_K < 1.0:  # and two added temperatures would share a
            # run-file name (system_key keeps 6 digits: 1200.001 K is "m_1200K")
            raise InputError(
                f"temperature_step_K must be >= 1 K, got {self.temperature_step_K}"
            )
        if self.chunk_ps > self.max_duration_ps:
            raise InputError(
                f"chunk_ps ({self.chunk_ps}) is longer than max_duration_ps "
                f"({self.max_duration_ps})"
            )
        ratio = self.max_duration_ps / self.chunk_ps
        if abs(ratio - round(ratio)) > 1e-9:
            raise InputError(
                f"max_duration_ps ({self.max_duration_ps}) must be a whole number of "
                f"chunks (chunk_ps = {self.chunk_ps}): systems are judged, enter and "
                "leave at chunk boundaries"
            )
        if self.min_temperature_K > self.max_temperature_K:
            raise InputError(
                f"min_temperature_K ({self.min_temperature_K}) is above "
                f"max_temperature_K ({self.max_temperature_K})"
            )
        if not (2 <= self.min_reliable_temperatures <= 100):
            raise InputError(
                "min_reliable_temperatures must be in [2, 100] (an Arrhenius fit needs "
                f"two), got {self.min_reliable_temperatures}"
            )
        if self.max_atom_steps < 0:
            raise InputError(f"max_atom_steps must be >= 0, got {self.max_atom_steps}")

    def check_against(self, *, md: MDSettings, temperatures_K: Sequence[float]) -> None:
        """Refuse settings that contradict the MD settings or the temperatures."""
        lo, hi = min(temperatures_K), max(temperatures_K)
        if self.max_temperature_K < hi:
            raise InputError(
                f"max_temperature_K ({self.max_temperature_K:g}) is below the "
                f"temperature {hi:g} K in temperatures_K"
            )
        if self.min_temperature_K > lo:
            raise InputError(
                f"min_temperature_K ({self.min_temperature_K:g}) is above the "
                f"temperature {lo:g} K in temperatures_K"
            )
        for name in ("chunk_ps", "max_duration_ps"):
            steps = getattr(self, name) * 1000.0 / md.timestep_fs
            if abs(steps - round(steps)) > 1e-6:
                raise InputError(
                    f"{name} ({getattr(self, name)}) is not a whole number of "
                    f"{md.timestep_fs} fs steps"
                )
        chunk = self.chunk_steps(md)
        strides = {
            "msd_every_fs": md.msd_every_steps,
            "sample_every_fs": md.sample_every_steps,
            "thermo_every_fs": md.thermo_every_steps,
            "fault_check_every_fs": md.fault_check_every_steps,
        }
        for name, n in strides.items():
            if chunk % n:
                raise InputError(
                    f"chunk_ps ({self.chunk_ps}) must be a multiple of {name} "
                    f"({n * md.timestep_fs:g} fs)"
                )
        if self.max_duration_ps <= md.equilibration_ps:
            raise InputError(
                f"max_duration_ps ({self.max_duration_ps}) must be longer than "
                f"equilibration_ps ({md.equilibration_ps})"
            )

    def chunk_steps(self, md: MDSettings) -> int:
        return round(self.chunk_ps * 1000.0 / md.timestep_fs)

    def max_steps(self, md: MDSettings) -> int:
        return round(self.max_duration_ps * 1000.0 / md.timestep_fs)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: the adaptive keys, as the flat TOML names them
ADAPTIVE_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(AdaptiveSettings))
