"""The MD settings: what the engine needs to run a batch, and nothing else.

Timestep, duration, equilibration, the strides of frames/MSD/thermo, the
Nosé–Hoover chain, the fault limits, the flush policy and the fast-path keys.
Defaults reproduce the reference study (2 fs, 100 ps, first 5 ps discarded).
Which materials, temperatures, model, device and output directory belong to the
campaign (:mod:`ionmd.campaign.config`), whose config contains these as ``md``
(``protocol`` there is the campaign's "study" | "adaptive").
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ionmd.errors import InputError

#: sanity bound on hostile values (far beyond any real campaign)
MAX_STEPS = 1e9

#: The MD keys that change what a batch computes for its systems with its
#: model (the checkpoint and campaign fingerprints: an allow-list). Not in it:
#: which materials and temperatures (the systems' own content is fingerprinted
#: instead), the model (fingerprinted with its version and weights), where and how
#: it runs (device, out, batching, flush cadence, progress, fast paths), and the
#: data folders.
MD_KEYS = (
    "timestep_fs",
    "duration_ps",
    "equilibration_ps",
    "dtype",
    "seed",
    "mobile_species",
    "thermostat_tau_fs",
    "chain_length",
    "sample_every_fs",
    "msd_every_fs",
    "msd_block_size",
    "thermo_every_fs",
    "fault_check_every_fs",
    "max_step_displacement_A",
    "max_temperature_factor",
)


@dataclass(frozen=True, kw_only=True)
class MDSettings:
    """NVT Nosé–Hoover MD of one batch, as the engine runs it."""

    timestep_fs: float = 2.0
    duration_ps: float = 100.0
    equilibration_ps: float = 5.0
    dtype: str = "auto"
    seed: int = 0
    mobile_species: str = "Li"
    #: Nosé–Hoover chain relaxation time (the study does not state it). 100 fs =
    #: 50 steps of 2 fs. The rules of thumb are in time steps, not fs: ASE's
    #: NoseHooverChainNVT docstring (ase 3.2x) says tdamp is "typically 100 times
    #: the timestep" (200 fs at 2 fs); we keep the tighter 100 fs, which also
    #: equilibrates the sub-ps demo runs (docs/engine.md).
    thermostat_tau_fs: float = 100.0
    chain_length: int = 3
    #: stride of the stored unwrapped mobile-ion trajectory (kinisi needs it)
    sample_every_fs: float = 100.0
    #: stride of the on-device MSD (the shortest lag)
    msd_every_fs: float = 10.0
    #: lags per decade of the multiple-window MSD (block length B)
    msd_block_size: int = 10
    thermo_every_fs: float = 100.0
    #: stride of the stored framework (non-mobile) positions, for viewing and
    #: exporting full structures (``ionmd export``); 0: off (Li frames only). A
    #: multiple of sample_every_fs, so each framework frame has its Li frame
    framework_every_fs: float = 0.0
    #: flush to HDF5 at least this often in simulated time and in wall time
    flush_every_ps: float = 5.0
    flush_every_s: float = 60.0
    #: fault isolation: check every system this often (and before each flush)
    fault_check_every_fs: float = 20.0
    #: an atom moving more than this per step (on average between two checks)
    max_step_displacement_A: float = 1.0
    #: kinetic temperature above this factor × target
    max_temperature_factor: float = 3.0
    progress: bool = True
    #: fast paths (MACE; docs/gpu.md). cuEquivariance kernels: auto (on CUDA when
    #: installed), on (required), off
    cueq: str = "auto"
    #: torch.compile of the model with padded atom/edge budgets: off, default,
    #: reduce-overhead or max-autotune (these two CUDA-graph it: CUDA only)
    compile_mode: str = "off"
    #: Verlet skin of the neighbour list, Å (0: rebuilt at every step, as
    #: torch-sim does; > 0: rebuilt when an atom moved more than half of it)
    neighbor_skin_A: float = 0.0

    def __post_init__(self) -> None:
        if not (0.05 <= self.timestep_fs <= 10.0):
            raise InputError(f"timestep_fs = {self.timestep_fs} is out of range [0.05, 10]")
        for name in _FLOAT_KEYS:
            if not math.isfinite(getattr(self, name)):
                raise InputError(
                    f"{name} must be a finite number, got {getattr(self, name)}"
                )
        if self.duration_ps <= 0 or self.equilibration_ps < 0:
            raise InputError("duration_ps must be > 0 and equilibration_ps >= 0")
        if self.duration_ps * 1000.0 / self.timestep_fs > MAX_STEPS:
            raise InputError(
                f"duration_ps = {self.duration_ps} is more than {MAX_STEPS:.0e} steps"
            )
        if self.seed < 0:
            raise InputError(f"seed must be >= 0, got {self.seed}")
        if self.thermostat_tau_fs <= 0 or self.chain_length < 1:
            raise InputError("thermostat_tau_fs must be > 0 and chain_length >= 1")
        if self.flush_every_ps <= 0 or self.flush_every_s <= 0:
            raise InputError("flush_every_ps and flush_every_s must be > 0")
        if self.equilibration_ps >= self.duration_ps:
            raise InputError(
                f"equilibration_ps ({self.equilibration_ps}) must be shorter than "
                f"duration_ps ({self.duration_ps})"
            )
        self._check_choices()
        for name in (
            "sample_every_fs",
            "msd_every_fs",
            "thermo_every_fs",
            "fault_check_every_fs",
        ):
            if getattr(self, name) < self.timestep_fs:
                raise InputError(f"{name} must be at least one timestep")
        self._check_step_counts()
        self._check_framework_stride()

    def _check_framework_stride(self) -> None:
        if self.framework_every_fs == 0:
            return
        n, li = self._steps(self.framework_every_fs), self.sample_every_steps
        if self.framework_every_fs < self.timestep_fs or n % li:
            raise InputError(
                f"framework_every_fs = {self.framework_every_fs:g} must be 0 (off) or a "
                f"multiple of sample_every_fs ({self.sample_every_fs:g} fs)"
            )

    def _check_choices(self) -> None:
        if self.dtype not in ("auto", "float32", "float64"):
            raise InputError(f"dtype must be auto, float32 or float64, not {self.dtype!r}")
        if self.cueq not in ("auto", "on", "off"):
            raise InputError(f"cueq must be auto, on or off, not {self.cueq!r}")
        if self.compile_mode not in ("off", "default", "reduce-overhead", "max-autotune"):
            raise InputError(
                "compile_mode must be off, default, reduce-overhead or max-autotune, "
                f"not {self.compile_mode!r}"
            )
        if not (0.0 <= self.neighbor_skin_A <= 3.0):
            raise InputError(
                f"neighbor_skin_A must be in [0, 3] Å, got {self.neighbor_skin_A}"
            )
        if self.msd_block_size < 2:
            raise InputError("msd_block_size must be >= 2")

    def _check_step_counts(self) -> None:
        """At least one step, and a production phase (after equilibration) long
        enough for two stored frames and one MSD lag."""
        if self.n_steps < 1:
            raise InputError(
                f"duration_ps = {self.duration_ps} is zero steps of {self.timestep_fs} fs"
            )
        production = self.n_steps - self.equilibration_steps
        need = max(self.sample_every_steps, self.msd_every_steps)
        if production < need:
            raise InputError(
                f"{production} production step(s) after equilibration "
                f"(duration_ps = {self.duration_ps}, equilibration_ps = "
                f"{self.equilibration_ps}, timestep_fs = {self.timestep_fs}): fewer than "
                f"one sample_every_fs/msd_every_fs stride ({need} steps), nothing to "
                "analyse"
            )

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
    def framework_every_steps(self) -> int:
        """0 when framework frames are off."""
        return 0 if self.framework_every_fs == 0 else self._steps(self.framework_every_fs)

    def framework_frame_due(self, step: int) -> bool:
        """Whether a system at its own ``step`` stores its framework (a Li frame
        step on the framework stride)."""
        n, eq = self.framework_every_steps, self.equilibration_steps
        return n > 0 and step >= eq and (step - eq) % n == 0

    @property
    def fault_check_every_steps(self) -> int:
        return self._steps(self.fault_check_every_fs)

    @property
    def flush_every_steps(self) -> int:
        return self._steps(self.flush_every_ps * 1000.0)

    def fast_paths(self) -> dict[str, Any]:
        """The fast-path keys as ``load_model`` keyword arguments."""
        return {
            "cueq": self.cueq,
            "compile_mode": self.compile_mode,
            "neighbor_skin_A": self.neighbor_skin_A,
        }

    def fingerprint_fields(self) -> dict[str, Any]:
        """The settings that determine a trajectory, given its system and model
        (an allow-list: :data:`MD_KEYS`), and ``framework_every_fs`` when
        on (off, checkpoints and campaigns fingerprinted before it existed still
        match)."""
        fields = {k: getattr(self, k) for k in MD_KEYS}
        if self.framework_every_fs:
            fields["framework_every_fs"] = self.framework_every_fs
        return fields

    def as_dict(self) -> dict[str, Any]:
        """Every field; ``framework_every_fs`` only when on, so a run file's and
        campaign.json's config stay as they were before the key existed."""
        out = dataclasses.asdict(self)
        if not self.framework_every_fs:
            del out["framework_every_fs"]
        return out

    def replace(self, **changes: Any) -> MDSettings:
        return dataclasses.replace(self, **changes)


#: the MD settings' keys, as the flat TOML names them
MD_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(MDSettings))

_FLOAT_KEYS = tuple(
    f.name for f in dataclasses.fields(MDSettings) if isinstance(f.default, float)
)
