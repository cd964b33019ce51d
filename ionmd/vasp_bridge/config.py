"""The settings of a VASP AIMD campaign: the campaign keys plus a ``[vasp]`` section.

A CONFIG.toml shared with ``ionmd run`` may hold other top-level keys (the engine's);
they are ignored here. The campaign keys and their defaults are ``ionmd run``'s
(:mod:`ionmd.campaign.config`); the file is read and the keys of ``[vasp]`` are
checked by :mod:`ionmd.settings_file` (an unknown one is refused with the nearest
valid name).

Example::

    materials = ["gvd", "9zk"]
    temperatures_K = [800, 900, 1000, 1100, 1200]
    timestep_fs = 2.0
    duration_ps = 100.0
    min_cell_length_A = 10.0
    obelix_data = "/path/to/obelix"

    [vasp]
    partition = "cpu"
    account = "def-someone"
    cores_per_node = 64
    walltime = "24:00:00"
    modules = ["module load vasp/6.4.2"]
    vasp_command = "srun vasp_gam"
    seconds_per_step = 30.0

    [vasp.overrides.9zk]
    supercell = "primitive"
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ionmd.campaign.config import flat_defaults
from ionmd.errors import InputError
from ionmd.obelix_location import relative_to_config
from ionmd.settings_file import check_keys, nearest, read_toml

#: the flat TOML's keys the bridge reads, with ``ionmd run``'s defaults
_SHARED = flat_defaults()

#: keys of a per-material override table ``[vasp.overrides.<id>]``
OVERRIDE_KEYS: tuple[str, ...] = (
    "supercell",
    "min_cell_length_A",
    "cores_per_node",
    "walltime",
    "seconds_per_step",
    "incar",
)


@dataclass(frozen=True, kw_only=True)
class VaspSettings:
    """The ``[vasp]`` section: the study's AIMD settings and the cluster's.

    Physics defaults follow Appendix A.4 of the study (PBE, MP PAW mapping, 520 eV,
    Γ-only, no spin, no U) plus NVT Nosé–Hoover (``MDALGO = 2``) with ``SMASS = 0``
    (VASP picks the Nosé mass for a temperature oscillation period of about 40 time
    steps, 80 fs at 2 fs). ``sample_every_steps`` is VASP's ``NBLOCK``: one XDATCAR
    frame every that many steps. ``overrides`` maps a material id to a table of
    :data:`OVERRIDE_KEYS`; ``supercell`` is ``"primitive"``, ``"as_is"``, ``"min_length"``
    or a list of three repeats / a 3×3 matrix.
    """

    partition: str = ""
    account: str = ""
    cores_per_node: int = 64
    walltime: str = "24:00:00"
    modules: tuple[str, ...] = ()
    vasp_command: str = "srun vasp_gam"
    seconds_per_step: float = 30.0
    stop_margin_s: float = 1800.0
    sample_every_steps: int = 10
    smass: float = 0.0
    encut_eV: float = 520.0
    ediff_per_atom_eV: float = 1e-5
    incar: dict[str, Any] = field(default_factory=dict)
    potcar_functional: str = "PBE"
    extra_sbatch: tuple[str, ...] = ()
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def for_material(self, material_id: str) -> dict[str, Any]:
        """The override table of one material (empty if none)."""
        return dict(self.overrides.get(material_id, {}))


@dataclass(frozen=True, kw_only=True)
class Campaign:
    """The campaign keys read by the bridge, with the ``[vasp]`` settings."""

    materials: tuple[str, ...]
    temperatures_K: tuple[float, ...]
    timestep_fs: float = _SHARED["timestep_fs"]
    duration_ps: float = _SHARED["duration_ps"]
    equilibration_ps: float = _SHARED["equilibration_ps"]
    min_cell_length_A: float = _SHARED["min_cell_length_A"]
    obelix_data: str | None = _SHARED["obelix_data"]
    round_occupancies: bool = _SHARED["round_occupancies"]
    vasp: VaspSettings = field(default_factory=VaspSettings)

    @property
    def total_steps(self) -> int:
        """MD steps of one run (``duration_ps`` at ``timestep_fs``)."""
        return round(self.duration_ps * 1000.0 / self.timestep_fs)


CAMPAIGN_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Campaign) if f.name != "vasp")
VASP_KEYS: tuple[str, ...] = tuple(f.name for f in fields(VaspSettings))


def _check_keys(table: dict[str, Any], valid: tuple[str, ...], where: str) -> None:
    check_keys(
        table,
        valid,
        where=where,
        message="unknown key {key!r} in {where}{hint}",
        hint=" (did you mean {match!r}?)",
        no_match=" (valid: {valid})",
        cutoff=0.5,
    )


def vasp_settings_from_dict(table: dict[str, Any]) -> VaspSettings:
    """Build :class:`VaspSettings` from a ``[vasp]`` table, refusing unknown keys."""
    _check_keys(table, VASP_KEYS, "[vasp]")
    values = dict(table)
    for name in ("modules", "extra_sbatch"):
        if name in values:
            if isinstance(values[name], str):
                values[name] = (values[name],)
            values[name] = tuple(str(v) for v in values[name])
    overrides = {str(k): dict(v) for k, v in values.get("overrides", {}).items()}
    for mid, over in overrides.items():
        _check_keys(over, OVERRIDE_KEYS, f"[vasp.overrides.{mid}]")
    values["overrides"] = overrides
    settings = VaspSettings(**values)
    if settings.cores_per_node < 1:
        raise InputError(
            f"[vasp] cores_per_node must be >= 1, got {settings.cores_per_node}"
        )
    if settings.sample_every_steps < 1:
        raise InputError("[vasp] sample_every_steps must be >= 1")
    parse_walltime_s(settings.walltime)
    return settings


def campaign_from_dict(config: dict[str, Any]) -> Campaign:
    """A :class:`Campaign` from a parsed CONFIG.toml (other top-level keys ignored)."""
    vasp = vasp_settings_from_dict(dict(config.get("vasp", {})))
    values = {k: config[k] for k in CAMPAIGN_KEYS if k in config}
    for required in ("materials", "temperatures_K"):
        if required not in values:
            typo = nearest(required, config)
            hint = f" (found {typo!r})" if typo else ""
            raise InputError(f"the configuration has no {required!r}{hint}")
    materials = values["materials"]
    if isinstance(materials, str):
        materials = [materials]
    values["materials"] = tuple(str(m) for m in materials)
    temps = values["temperatures_K"]
    if isinstance(temps, int | float):
        temps = [temps]
    values["temperatures_K"] = tuple(float(t) for t in temps)
    if not values["materials"] or not values["temperatures_K"]:
        raise InputError("materials and temperatures_K must not be empty")
    campaign = Campaign(**values, vasp=vasp)
    total = campaign.total_steps
    if (
        total < 1
        or abs(total * campaign.timestep_fs - campaign.duration_ps * 1000.0) > 1e-6
    ):
        raise InputError(
            f"duration_ps = {campaign.duration_ps} is not a whole number of "
            f"{campaign.timestep_fs} fs steps"
        )
    if total % vasp.sample_every_steps:
        raise InputError(
            f"the run's {total} steps are not a multiple of [vasp] sample_every_steps = "
            f"{vasp.sample_every_steps}"
        )
    return campaign


def load_campaign(path: str | Path) -> Campaign:
    """Read a CONFIG.toml into a :class:`Campaign` (``obelix_data`` relative to
    the file's folder, as ``ionmd run`` reads it)."""
    data = read_toml(path, what="campaign config")
    if isinstance(data.get("obelix_data"), str):
        data["obelix_data"] = relative_to_config(data["obelix_data"], config_path=path)
    return campaign_from_dict(data)


def parse_walltime_s(text: str) -> int:
    """SLURM walltime (``[D-]HH:MM:SS``, ``HH:MM`` or minutes) in seconds."""
    try:
        days = 0
        rest = text.strip()
        if "-" in rest:
            d, rest = rest.split("-", 1)
            days = int(d)
        parts = [int(p) for p in rest.split(":")]
        if len(parts) == 1:
            h, m, s = 0, parts[0], 0
        elif len(parts) == 2:
            h, m, s = parts[0], parts[1], 0
        elif len(parts) == 3:
            h, m, s = parts
        else:
            raise ValueError
    except ValueError:
        raise InputError(f"walltime {text!r} is not [D-]HH:MM:SS") from None
    total = ((days * 24 + h) * 60 + m) * 60 + s
    if total <= 0:
        raise InputError(f"walltime {text!r} must be positive")
    return total
