"""Names of the groups and datasets of the ionmd run file (see docs/hdf5_layout.md)."""

import re
from typing import Final

H5MD_VERSION: Final[tuple[int, int]] = (1, 1)
PARTICLES: Final[str] = "particles"
OBSERVABLES: Final[str] = "observables"
#: the lag-grid MSDs: not under /observables, which H5MD readers (MDAnalysis)
#: read as per-frame time series; an MSD is indexed by lag, not by frame.
MSD_ROOT: Final[str] = "msd"
PARAMETERS: Final[str] = "parameters"
RUN_PARAMETERS: Final[str] = "parameters/ionmd"

MSD_DATASETS: Final[tuple[str, ...]] = (
    "lag_steps",
    "lag_ps",
    "mobile_A2",
    "framework_A2",
    "collective_A2",
    "n_origins",
)
THERMO_SERIES: Final[tuple[str, ...]] = (
    "temperature_K",
    "potential_energy_eV",
    "conserved_energy_eV",
)
STATUS_VALUES: Final[tuple[str, ...]] = ("running", "done", "failed")

_BAD_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


def system_key(material_id: str, temperature_K: float) -> str:
    """The group name of one (material, temperature) system, e.g. ``gvd_800K``."""
    label = _BAD_CHARS.sub("_", str(material_id)) or "material"
    t = float(temperature_K)
    t_text = f"{t:g}".replace(".", "p")
    return f"{label}_{t_text}K"


def particles_path(key: str) -> str:
    return f"{PARTICLES}/{key}"


def observables_path(key: str) -> str:
    return f"{OBSERVABLES}/{key}"


def msd_path(key: str) -> str:
    return f"{MSD_ROOT}/{key}"


def parameters_path(key: str) -> str:
    return f"{PARAMETERS}/{key}"
