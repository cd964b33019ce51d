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
#: sanity bounds on hostile values (far beyond any real campaign)
MAX_STEPS = 1e9
MAX_CELL_LENGTH_A = 200.0
#: temperatures per material (the study: 5); each is one system per material
MAX_TEMPERATURES = 100
#: ordered supercells per partially occupied material (occupancy = "order")
MAX_ORDERINGS = 64
#: a TOML run config larger than this is refused unread
MAX_CONFIG_BYTES = 16 * 1024 * 1024


#: The MD protocol: the RunConfig keys that change what a batch computes for its
#: systems with its model. Not in it: which materials and temperatures (the
#: systems' own content is fingerprinted instead), model (fingerprinted with its
#: version and weights), where and how it runs (device, out, batching, flush
#: cadence, progress), and the data folders.
PROTOCOL_KEYS = (
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
    #: partially occupied structures: "refuse" (default), "round" (as
    #: round_occupancies = true) or "order" (n_orderings ordered supercells,
    #: docs/disorder.md)
    occupancy: str = "refuse"
    n_orderings: int = 4
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
    #: fast paths (MACE; docs/gpu.md). cuEquivariance kernels: auto (on CUDA when
    #: installed), on (required), off
    cueq: str = "auto"
    #: torch.compile of the model with padded atom/edge budgets: off, default,
    #: reduce-overhead or max-autotune (these two CUDA-graph it: CUDA only)
    compile_mode: str = "off"
    #: Verlet skin of the neighbour list, Å (0: rebuilt at every step, as
    #: torch-sim does; > 0: rebuilt when an atom moved more than half of it)
    neighbor_skin_A: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.temperatures_K:
            raise InputError("temperatures_K is empty")
        if len(self.temperatures_K) > MAX_TEMPERATURES:
            raise InputError(
                f"temperatures_K lists {len(self.temperatures_K)} temperatures "
                f"(at most {MAX_TEMPERATURES}; the study: 5)"
            )
        for t in self.temperatures_K:
            if not (math.isfinite(t) and t > 0):
                raise InputError(f"temperatures_K must be positive, got {t}")
            if t > 5000:
                raise InputError(f"temperatures_K = {t} K is beyond any solid electrolyte")
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
        if self.min_cell_length_A > MAX_CELL_LENGTH_A:
            raise InputError(
                f"min_cell_length_A = {self.min_cell_length_A} Å is beyond "
                f"{MAX_CELL_LENGTH_A} Å (the study: 10)"
            )
        if self.seed < 0:
            raise InputError(f"seed must be >= 0, got {self.seed}")
        if not str(self.out).strip():
            raise InputError("out (the output directory) is empty")
        if self.thermostat_tau_fs <= 0 or self.chain_length < 1:
            raise InputError("thermostat_tau_fs must be > 0 and chain_length >= 1")
        if self.flush_every_ps <= 0 or self.flush_every_s <= 0:
            raise InputError("flush_every_ps and flush_every_s must be > 0")
        if self.max_atoms_per_batch < 0:
            raise InputError("max_atoms_per_batch must be >= 0")
        if self.equilibration_ps >= self.duration_ps:
            raise InputError(
                f"equilibration_ps ({self.equilibration_ps}) must be shorter than "
                f"duration_ps ({self.duration_ps})"
            )
        if not self.min_cell_length_A > 0:  # the supercell rule needs a length
            raise InputError(
                f"min_cell_length_A must be positive, got {self.min_cell_length_A}"
            )
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
        if self.occupancy not in ("refuse", "round", "order"):
            raise InputError(
                f"occupancy must be refuse, round or order, not {self.occupancy!r}"
            )
        if self.round_occupancies and self.occupancy == "order":
            raise InputError(
                'round_occupancies = true and occupancy = "order" contradict each other'
            )
        if not (1 <= self.n_orderings <= MAX_ORDERINGS):
            raise InputError(
                f"n_orderings must be in [1, {MAX_ORDERINGS}], got {self.n_orderings}"
            )
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
        self._check_step_counts()

    def _check_step_counts(self) -> None:
        """The protocol in steps: at least one step, and a production phase (after
        equilibration) long enough for two stored frames and one MSD lag; each
        temperature once (one system per material and temperature)."""
        seen: set[float] = set()
        for t in self.temperatures_K:
            if t in seen:
                raise InputError(f"temperatures_K lists {t:g} K twice")
            seen.add(t)
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
    def fault_check_every_steps(self) -> int:
        return self._steps(self.fault_check_every_fs)

    @property
    def flush_every_steps(self) -> int:
        return self._steps(self.flush_every_ps * 1000.0)

    @property
    def occupancy_mode(self) -> str:
        """ "refuse", "round" or "order" (round_occupancies = true means "round")."""
        return "round" if self.round_occupancies else self.occupancy

    def fast_paths(self) -> dict[str, Any]:
        """The fast-path keys as ``load_model`` keyword arguments."""
        return {
            "cueq": self.cueq,
            "compile_mode": self.compile_mode,
            "neighbor_skin_A": self.neighbor_skin_A,
        }

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def protocol(self) -> dict[str, Any]:
        """The settings that determine a trajectory, given its system and model
        (an allow-list: :data:`PROTOCOL_KEYS`)."""
        return {k: getattr(self, k) for k in PROTOCOL_KEYS}

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)


def _valid_keys() -> list[str]:
    return [f.name for f in dataclasses.fields(RunConfig) if f.name != "extra"]


_FLOAT_KEYS = tuple(
    f.name for f in dataclasses.fields(RunConfig) if isinstance(f.default, float)
)


def _check_type(key: str, value: Any, *, source: str) -> None:
    """InputError unless ``value`` has the type of ``key``'s default (ints pass as
    floats; bools never pass as numbers)."""
    default = next(f.default for f in dataclasses.fields(RunConfig) if f.name == key)
    if key == "temperatures_K":
        items = value if isinstance(value, list | tuple) else None
        ok = items is not None and all(
            isinstance(t, int | float) and not isinstance(t, bool) for t in items
        )
        want = "a list of numbers (K)"
    elif key == "materials":
        ok = isinstance(value, str) or (
            isinstance(value, list | tuple) and all(isinstance(m, str) for m in value)
        )
        want = "a name or a list of names/paths"
    elif key == "obelix_data":
        ok, want = value is None or isinstance(value, str), "a path"
    elif isinstance(default, bool):
        ok, want = isinstance(value, bool), "true or false"
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        want = "a number"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = "an integer"
    elif isinstance(default, str):
        ok, want = isinstance(value, str), "a string"
    else:
        return
    if not ok:
        raise InputError(f"{source}: {key} must be {want}, got {value!r}")


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
        _check_type(key, value, source=source)
        kwargs[key] = value
    if "temperatures_K" in kwargs:
        kwargs["temperatures_K"] = tuple(float(t) for t in kwargs["temperatures_K"])
    if "materials" in kwargs and not isinstance(kwargs["materials"], str):
        kwargs["materials"] = tuple(str(m) for m in kwargs["materials"])
    try:
        return RunConfig(**kwargs, extra=extra)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"{source}: {exc}") from None


def load_config(path: str | Path) -> RunConfig:
    """Read a TOML run configuration."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such config file")
    if p.stat().st_size > MAX_CONFIG_BYTES:
        raise InputError(
            f"{p}: {p.stat().st_size / 2**20:.0f} MiB is not a run config "
            f"(limit {MAX_CONFIG_BYTES // 2**20} MiB)"
        )
    try:
        data = tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not valid TOML ({exc})") from None
    except RecursionError:  # tomllib recurses once per level of [[[...]]] / {a = {...}}
        raise InputError(
            f"{p}: not a run config (arrays or tables nested too deeply)"
        ) from None
    return config_from_mapping(data, source=str(p))
