"""The NPT stage's series in the run file (``cell = "npt"``): per system the
volume and pressure of its stage before the production, so the run file alone
says how the production cell was found (docs/hdf5_layout.md).

``/parameters/<key>/npt_stage/``: ``time_ps``, ``volume_A3``, ``pressure_GPa``
(one value every ``SERIES_EVERY_FS`` of :mod:`ionmd.cells.npt`), and the
attribute ``mean_pressure_GPa`` (the mean of the series' second half, whose
mean cell is the production's). Under ``/parameters``, not ``/observables``:
H5MD readers (MDAnalysis) pair every observable's rows with the production's
frames by index, and these rows are of another simulation, before it.
Written once, when the system's groups are created; a resumed production
never writes them again (its groups exist).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ionmd.fileformat import layout
from ionmd.fileformat.reader import RunFileError, _guarded, _open

#: the group under ``/parameters/<key>``
GROUP = "npt_stage"
#: dataset name -> unit attribute
SERIES = {"time_ps": "ps", "volume_A3": "Angstrom^3", "pressure_GPa": "GPa"}


@dataclass(frozen=True, kw_only=True)
class NptStageSeries:
    """One system's NPT stage: ``time_ps``, ``volume_A3``, ``pressure_GPa``
    (all ``(n,)``), and the mean pressure of the second half (GPa)."""

    time_ps: np.ndarray
    volume_A3: np.ndarray
    pressure_GPa: np.ndarray
    mean_pressure_GPa: float


def write_npt_stage(params: Any, series: NptStageSeries) -> None:
    """Create ``npt_stage`` in a system's ``/parameters/<key>`` group (h5py)."""
    g = params.create_group(GROUP)
    for name, unit in SERIES.items():
        ds = g.create_dataset(name, data=np.asarray(getattr(series, name), dtype="f8"))
        ds.attrs["unit"] = unit
    g.attrs["mean_pressure_GPa"] = float(series.mean_pressure_GPa)


@_guarded
def read_npt_stage(path: str | os.PathLike[str], key: str) -> NptStageSeries | None:
    """System ``key``'s NPT stage, or None when the run had none (``cell`` not
    ``"npt"``, or a file written before the stage was recorded)."""
    with _open(path) as f:
        ppath = layout.parameters_path(key)
        if ppath not in f:
            raise RunFileError(f"{path}: no system {key!r}")
        g = f[ppath].get(GROUP)
        if g is None:
            return None
        try:
            arrays = {name: np.asarray(g[name][()], dtype=np.float64) for name in SERIES}
            mean = float(g.attrs["mean_pressure_GPa"])
        except (KeyError, OSError, TypeError, ValueError) as exc:
            raise RunFileError(f"{path}: {key}/{GROUP} is incomplete ({exc})") from None
    if len({a.shape for a in arrays.values()}) != 1:
        raise RunFileError(f"{path}: {key}/{GROUP}: series of different lengths")
    return NptStageSeries(**arrays, mean_pressure_GPa=mean)
