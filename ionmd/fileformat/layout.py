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
#: the framework (non-mobile) positions, on their own coarser stride, present only
#: when ``framework_every_fs`` > 0: not under /particles, which H5MD readers
#: (MDAnalysis) read as one trajectory per group at one stride
FRAMEWORK_ROOT: Final[str] = "framework"
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
#: per-frame (F, 3) series under /observables/<key>: the framework's centre-of-mass
#: displacement R_fw(t) - R_fw(0) already subtracted from the stored positions
FRAMEWORK_COM: Final[str] = "framework_com_displacement_A"
#: ``position_frame`` attribute values: positions relative to the framework's
#: centre of mass, or as simulated (files written before this attribute existed)
FRAME_FRAMEWORK: Final[str] = "framework_com"
FRAME_AS_SIMULATED: Final[str] = "as_simulated"

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


def framework_path(key: str) -> str:
    return f"{FRAMEWORK_ROOT}/{key}"


def parameters_path(key: str) -> str:
    return f"{PARAMETERS}/{key}"
