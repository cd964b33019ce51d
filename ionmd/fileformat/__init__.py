"""The ionmd run file: the documented contract between the engine, the VASP
bridge and the analysis layer (docs/hdf5_layout.md); and the VASP trajectory
formats both the analysis and the bridge read (:mod:`~ionmd.fileformat.vasp_xdatcar`,
:mod:`~ionmd.fileformat.vasprun`; not imported here)."""

from ionmd.fileformat.layout import system_key
from ionmd.fileformat.npt_series import NptStageSeries, read_npt_stage
from ionmd.fileformat.reader import (
    RunFileError,
    SystemRecord,
    list_systems,
    read_run_attrs,
    read_system,
)
from ionmd.fileformat.writer import RunFileWriter, SystemInfo, SystemUpdate, config_to_json

__all__ = [
    "NptStageSeries",
    "RunFileError",
    "RunFileWriter",
    "SystemInfo",
    "SystemRecord",
    "SystemUpdate",
    "config_to_json",
    "list_systems",
    "read_npt_stage",
    "read_run_attrs",
    "read_system",
    "system_key",
]
