"""The campaign's settings: what to run where, around the engine's MD settings.

A campaign config names the materials, temperatures, model, device, output
directory, occupancy policy and batching, and *contains* a
:class:`~ionmd.engine.md_settings.MDSettings` (what the engine runs). The TOML stays
flat for users: :func:`config_from_mapping` routes each key to its layer
(:data:`CAMPAIGN_KEYS` here, :data:`~ionmd.engine.md_settings.MD_FIELDS` to the
MD settings, ``protocol`` = "study" | "adaptive" and the adaptive keys to
:class:`~ionmd.campaign.adaptive.settings.AdaptiveSettings`), refuses unknown
ones with the nearest name and leaves other layers' tables (``[executor]``,
``[vasp]``) in ``extra``. Defaults reproduce the
reference study: 800–1200 K in 100 K steps, supercells >= 10 Å, MACE
medium-mpa-0.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ionmd.campaign.adaptive.settings import ADAPTIVE_KEYS, PROTOCOL_MODES, AdaptiveSettings
from ionmd.cells.settings import (
    CELL_KEYS,
    CELL_MODES,
    NPT_KEYS,
    RELAX_KEYS,
    CellSettings,
    refuse_other_modes_keys,
)
from ionmd.engine.md_settings import MD_FIELDS, MD_KEYS, MDSettings
from ionmd.errors import InputError
from ionmd.obelix_location import relative_to_config
from ionmd.settings_file import MAX_CONFIG_BYTES, check_keys, check_type, read_toml

STUDY_TEMPERATURES_K: tuple[float, ...] = (800.0, 900.0, 1000.0, 1100.0, 1200.0)
#: sanity bound on hostile values (far beyond any real campaign)
MAX_CELL_LENGTH_A = 200.0
#: temperatures per material (the study: 5); each is one system per material
MAX_TEMPERATURES = 100
#: ordered supercells per partially occupied material (occupancy = "order")
MAX_ORDERINGS = 64
#: independent copies of each (material, temperature, ordering)
MAX_REPLICAS = 64


@dataclass(frozen=True, kw_only=True)
class CampaignSettings:
    """The campaign layer's own keys (shared with ``ionmd vasp``)."""

    materials: tuple[str, ...] | str = ()
    temperatures_K: tuple[float, ...] = STUDY_TEMPERATURES_K
    model: str = "mace:medium-mpa-0"
    #: several models: one campaign per model into OUT/<model> and a comparison
    #: (ionmd.campaign.multi_model); empty: the one ``model``
    models: tuple[str, ...] = ()
    #: directories analysed from VASP AIMD (``ionmd analyze``): one "DFT (VASP)"
    #: row in the comparison of ``models``
    dft_runs: tuple[str, ...] = ()
    min_cell_length_A: float = 10.0
    device: str = "auto"
    out: str = "ionmd-out"
    obelix_data: str | None = None
    #: occupancy policy of disordered structures (kept: true means "round")
    round_occupancies: bool = False
    #: partially occupied structures: "refuse" (default), "round" (as
    #: round_occupancies = true) or "order" (n_orderings ordered supercells,
    #: docs/disorder.md)
    occupancy: str = "refuse"
    n_orderings: int = 4
    #: independent copies of each (material, temperature, ordering) with their
    #: own velocities, pooled like orderings (docs/uncertainty.md); 1: none
    n_replicas: int = 1
    #: atoms per batch (0: all systems in one batch on the CPU; on a GPU, from
    #: the free memory and the model's measured bytes per atom, then halved on
    #: out-of-memory)
    max_atoms_per_batch: int = 0
    #: the simulated cell: "experimental" (the study), "relaxed" (0 K, with
    #: the model, before the MD) or "npt" (an NPT stage per temperature);
    #: ionmd.cells.settings for the relax_* and npt keys
    cell: str = "experimental"
    relax_fmax_eV_A: float = 0.02
    relax_stress_GPa: float = 0.05
    relax_max_steps: int = 1000
    npt_ps: float = 10.0
    pressure_GPa: float = 0.0
    npt_cell: str = "isotropic"

    def __post_init__(self) -> None:
        _check_temperatures(self.temperatures_K)
        _check_models(self.models)
        self.cell_settings.check_for_a_campaign()
        _check_cell_model(self.cell_settings, models=self.models or (self.model,))
        if not math.isfinite(self.min_cell_length_A):
            raise InputError(
                f"min_cell_length_A must be a finite number, got {self.min_cell_length_A}"
            )
        if self.min_cell_length_A > MAX_CELL_LENGTH_A:
            raise InputError(
                f"min_cell_length_A = {self.min_cell_length_A} Å is beyond "
                f"{MAX_CELL_LENGTH_A} Å (the study: 10)"
            )
        if not str(self.out).strip():
            raise InputError("out (the output directory) is empty")
        if self.max_atoms_per_batch < 0:
            raise InputError("max_atoms_per_batch must be >= 0")
        if not self.min_cell_length_A > 0:  # the supercell rule needs a length
            raise InputError(
                f"min_cell_length_A must be positive, got {self.min_cell_length_A}"
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
        if not (1 <= self.n_replicas <= MAX_REPLICAS):
            raise InputError(
                f"n_replicas must be in [1, {MAX_REPLICAS}], got {self.n_replicas}"
            )

    @property
    def cell_settings(self) -> CellSettings:
        """The cell stage's settings (its own checks, one line each)."""
        return CellSettings(**{k: getattr(self, k) for k in CELL_KEYS})

    @property
    def occupancy_mode(self) -> str:
        """ "refuse", "round" or "order" (round_occupancies = true means "round")."""
        return "round" if self.round_occupancies else self.occupancy


def _check_temperatures(temperatures_K: tuple[float, ...]) -> None:
    if not temperatures_K:
        raise InputError("temperatures_K is empty")
    if len(temperatures_K) > MAX_TEMPERATURES:
        raise InputError(
            f"temperatures_K lists {len(temperatures_K)} temperatures "
            f"(at most {MAX_TEMPERATURES}; the study: 5)"
        )
    seen: set[float] = set()
    for t in temperatures_K:
        if not (math.isfinite(t) and t > 0):
            raise InputError(f"temperatures_K must be positive, got {t}")
        if t > 5000:
            raise InputError(f"temperatures_K = {t} K is beyond any solid electrolyte")
        if t in seen:  # one system per material and temperature
            raise InputError(f"temperatures_K lists {t:g} K twice")
        seen.add(t)


def _check_cell_model(cell: CellSettings, *, models: tuple[str, ...]) -> None:
    """Refuse a cell stage with a model that gives no stress, before it loads."""
    if cell.cell == "experimental":
        return
    from ionmd.calculators import gives_stress

    for m in models:
        if gives_stress(m) is False:
            raise InputError(
                f'cell = "{cell.cell}" needs a model that gives a stress; {m} does not '
                "here (lj, toy, MACE, SevenNet-0 and CHGNet do)"
            )


def _check_models(models: tuple[str, ...]) -> None:
    if any(not str(m).strip() for m in models):
        raise InputError("models lists an empty model name")
    dup = next((m for m in models if models.count(m) > 1), None)
    if dup is not None:
        raise InputError(f"models lists {dup!r} twice")


#: the campaign layer's keys, as the flat TOML names them
CAMPAIGN_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(CampaignSettings))
#: every key of the flat TOML, in the order docs/config.md and campaign.json list them
FLAT_KEYS: tuple[str, ...] = (
    "materials", "temperatures_K", "model", "models", "dft_runs", "timestep_fs",
    "duration_ps",
    "equilibration_ps", "min_cell_length_A", "device", "dtype", "seed", "out",
    "obelix_data", "mobile_species", "round_occupancies", "occupancy", "n_orderings",
    "n_replicas", "thermostat_tau_fs",
    "chain_length", "sample_every_fs", "msd_every_fs", "msd_block_size",
    "thermo_every_fs", "flush_every_ps", "flush_every_s", "fault_check_every_fs",
    "framework_every_fs",
    "max_step_displacement_A", "max_temperature_factor", "max_atoms_per_batch",
    "progress", "cueq", "compile_mode", "neighbor_skin_A",
    "protocol", *ADAPTIVE_KEYS, *CELL_KEYS,
)  # fmt: skip
assert set(FLAT_KEYS) == set(CAMPAIGN_KEYS) | set(MD_FIELDS) | {
    "protocol",
    *ADAPTIVE_KEYS,
}


def flat_defaults() -> dict[str, Any]:
    """Every flat key with its default."""
    defaults = {f.name: f.default for f in dataclasses.fields(CampaignSettings)}
    defaults |= {f.name: f.default for f in dataclasses.fields(MDSettings)}
    defaults |= {"protocol": "study"}
    defaults |= {f.name: f.default for f in dataclasses.fields(AdaptiveSettings)}
    return {k: defaults[k] for k in FLAT_KEYS}


@dataclass(frozen=True, kw_only=True)
class CampaignConfig(CampaignSettings):
    """A campaign: its own keys, the engine's MD settings (``md``), the adaptive
    settings and other layers' tables (``extra``: ``[executor]``, ``[vasp]``).
    Flat reads (``config.timestep_fs``) reach ``md``; the flat key ``protocol``
    ("study" | "adaptive") is :attr:`protocol_mode`."""

    md: MDSettings = field(default_factory=MDSettings)
    #: ``protocol = "adaptive"``: its settings (None: the study's fixed protocol)
    adaptive: AdaptiveSettings | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.adaptive is not None:
            self.adaptive.check_against(md=self.md, temperatures_K=self.temperatures_K)

    @property
    def protocol_mode(self) -> str:
        """ "study" or "adaptive"."""
        return "study" if self.adaptive is None else "adaptive"

    def protocol_fingerprint(self) -> dict[str, Any]:
        """What decides the trajectories, given systems and model: the MD
        settings' fields, the number of replicas when more than one, the
        adaptive settings when adaptive, and the cell stage's keys when the cell
        is not the experimental one (a study campaign without replicas at the
        experimental cell has the MD settings' alone, as before)."""
        fields = self.md.fingerprint_fields()
        if self.n_replicas != 1:
            fields["n_replicas"] = self.n_replicas
        if self.adaptive is not None:
            fields |= {"protocol": "adaptive", **self.adaptive.as_dict()}
            fields["max_atoms_per_batch"] = self.max_atoms_per_batch
        return fields | self.cell_settings.fingerprint()  # {} for the experimental cell

    def __getattr__(self, name: str) -> Any:
        if name in MD_FIELDS or name in _MD_DERIVED:
            return getattr(self.md, name)
        if name == "protocol":  # the attribute's name before it was ``md``
            raise AttributeError(
                "CampaignConfig.protocol is now CampaignConfig.md (the MD settings); "
                'protocol = "study" | "adaptive" is CampaignConfig.protocol_mode'
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle, also a config pickled before ``protocol`` was renamed ``md``
        (a queued executor task's ``config``)."""
        state = dict(state)
        if "protocol" in state and "md" not in state:
            state["md"] = state.pop("protocol")
        self.__dict__.update(state)

    def fast_paths(self) -> dict[str, Any]:
        return self.md.fast_paths()

    def as_dict(self) -> dict[str, Any]:
        """The flat form (the TOML's keys and ``extra``), as campaign.json and the
        run files record it."""
        flat = {k: getattr(self, k) for k in CAMPAIGN_KEYS} | self.md.as_dict()
        flat |= {"protocol": self.protocol_mode}
        flat |= (self.adaptive or AdaptiveSettings()).as_dict()
        # framework_every_fs is left out when off (MDSettings.as_dict), n_replicas
        # when 1: run files and campaign.json stay as before the keys existed
        if flat.get("n_replicas") == 1:
            del flat["n_replicas"]
        if self.cell == "experimental":  # and the relax_* keys at their defaults
            for k in CELL_KEYS:
                del flat[k]
        else:  # only the mode's own keys (a relaxed record as before npt existed)
            for k in NPT_KEYS if self.cell != "npt" else RELAX_KEYS:
                del flat[k]
        return {k: flat[k] for k in FLAT_KEYS if k in flat} | {"extra": dict(self.extra)}

    def replace(self, **changes: Any) -> CampaignConfig:
        """A copy with flat keys changed (each routed to its layer)."""
        mode = changes.pop("protocol", None)  # "study" | "adaptive"
        md_changes = {k: changes.pop(k) for k in list(changes) if k in MD_FIELDS}
        if md_changes:
            changes["md"] = self.md.replace(**md_changes)
        adaptive_changes = {k: changes.pop(k) for k in list(changes) if k in ADAPTIVE_KEYS}
        if mode is not None or adaptive_changes:
            changes["adaptive"] = _adaptive(
                mode or self.protocol_mode,
                {**(self.adaptive.as_dict() if self.adaptive else {}), **adaptive_changes},
            )
        return dataclasses.replace(self, **changes)


#: MDSettings' derived values (``n_steps``, ``*_steps``) read through the config
_MD_DERIVED = frozenset(
    n for n, v in vars(MDSettings).items() if isinstance(v, property)
) | {"fingerprint_fields"}


def RunConfig(**flat: Any) -> CampaignConfig:
    """A campaign config from flat keys (the TOML's), each routed to its layer:
    ``RunConfig(materials=("gvd",), timestep_fs=1.0)``. Unknown keys: TypeError,
    as for a dataclass."""
    extra = flat.pop("extra", None) or {}
    unknown = sorted(set(flat) - set(FLAT_KEYS))
    if unknown:
        raise TypeError(f"RunConfig() got an unexpected keyword argument {unknown[0]!r}")
    md = MDSettings(**{k: v for k, v in flat.items() if k in MD_FIELDS})
    own = {k: v for k, v in flat.items() if k in CAMPAIGN_KEYS}
    adaptive = _adaptive(
        flat.get("protocol", "study"), {k: v for k, v in flat.items() if k in ADAPTIVE_KEYS}
    )
    return CampaignConfig(**own, md=md, adaptive=adaptive, extra=dict(extra))


def _adaptive(mode: str, keys: dict[str, Any]) -> AdaptiveSettings | None:
    """The adaptive settings for ``protocol = mode`` (None for "study", where an
    adaptive key is refused: it would be silently ignored)."""
    if mode not in PROTOCOL_MODES:
        raise InputError(f'protocol must be "study" or "adaptive", not {mode!r}')
    if mode == "study":
        if keys:
            raise InputError(
                f"{sorted(keys)[0]} is a key of the adaptive protocol: add protocol = "
                '"adaptive" (the default, "study", runs every system for duration_ps)'
            )
        return None
    return AdaptiveSettings(**keys)


def _check_flat_type(key: str, value: Any, *, source: str) -> None:
    """InputError unless ``value`` has the type of ``key``'s default."""
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
    elif key == "models":
        ok = isinstance(value, list | tuple) and all(isinstance(m, str) for m in value)
        want = "a list of model names"
    elif key == "dft_runs":
        ok = isinstance(value, list | tuple) and all(
            isinstance(m, str | os.PathLike) for m in value
        )
        want = "a list of directories"
    elif key == "obelix_data":
        ok, want = value is None or isinstance(value, str), "a path"
    else:
        check_type(key, value, default=_DEFAULTS[key], source=source)
        return
    if not ok:
        raise InputError(f"{source}: {key} must be {want}, got {value!r}")


_DEFAULTS = flat_defaults()
#: the tables other layers read (``extra``): ``[executor]`` (``ionmd.cli.run``,
#: docs/scaleout.md) and ``[vasp]`` (``ionmd.vasp_bridge``); any other table is
#: a typo (``[execuor]``) that would silently drop what it holds
OTHER_LAYERS_TABLES = ("executor", "vasp")


def config_from_mapping(
    data: Mapping[str, Any], *, source: str = "config"
) -> CampaignConfig:
    """A :class:`CampaignConfig` from the flat TOML keys, refusing unknown keys
    with the nearest name; tables of other layers go to ``extra`` (an unknown
    table is refused the same way)."""
    keys = {
        k: v for k, v in data.items() if not (isinstance(v, dict) and k not in _DEFAULTS)
    }
    extra = {k: v for k, v in data.items() if k not in keys}
    check_keys(
        extra,
        OTHER_LAYERS_TABLES,
        message="{where}: unknown table [{key}]{hint}",
        where=source,
        hint="; did you mean [{match}]?",
        no_match=" (the tables: {valid}; every other key is top-level)",
    )
    check_keys(keys, FLAT_KEYS, where=source)
    for key, value in keys.items():
        _check_flat_type(key, value, source=source)
    if "temperatures_K" in keys:
        keys["temperatures_K"] = tuple(float(t) for t in keys["temperatures_K"])
    if "models" in keys and not keys["models"]:  # () inside: "the one model"
        raise InputError(
            f"{source}: models = [] lists no model: remove the key (to run the one "
            "`model`) or list the models to compare"
        )
    if "model" in keys and "models" in keys:
        raise InputError(f"{source}: give either model or models, not both")
    try:  # a key the file sets is refused even at its default
        cell = keys.get("cell", "experimental")
        if cell in CELL_MODES:  # else CellSettings says what cell may be
            refuse_other_modes_keys(keys, cell=cell)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    for key in ("models", "dft_runs"):
        if key in keys:
            keys[key] = tuple(str(x) for x in keys[key])
    if "materials" in keys and not isinstance(keys["materials"], str):
        keys["materials"] = tuple(str(m) for m in keys["materials"])
    try:
        return RunConfig(**keys, extra=extra)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"{source}: {exc}") from None


def load_config(
    path: str | Path, *, overrides: Mapping[str, Any] | None = None
) -> CampaignConfig:
    """Read a flat TOML run configuration; ``obelix_data`` is taken relative to
    the file's folder (:func:`ionmd.obelix_location.relative_to_config`).
    ``overrides`` (the command line's ``--model``, ``--out``) replace the file's
    keys before the checks, so that a check of a key they replace (a model
    without a stress for ``cell = "relaxed"``) does not refuse the run; None
    removes a key."""
    data = read_toml(path)
    for key, value in (overrides or {}).items():
        data.pop(key, None)
        if value is not None:
            data[key] = value
    if isinstance(data.get("obelix_data"), str):
        data["obelix_data"] = relative_to_config(data["obelix_data"], config_path=path)
    return config_from_mapping(data, source=str(path))


__all__ = [
    "CAMPAIGN_KEYS",
    "FLAT_KEYS",
    "MAX_CONFIG_BYTES",
    "MD_KEYS",
    "CampaignConfig",
    "CampaignSettings",
    "RunConfig",
    "config_from_mapping",
    "flat_defaults",
    "load_config",
]
