"""What a finished (or stopped) VASP segment says about itself: steps, cost, temperature.

Read from the text of OUTCAR and OSZICAR, without pymatgen (an OUTCAR of a long
AIMD segment is gigabytes; only a few lines matter):

- completion: VASP's closing ``General timing and accounting informations`` block;
- wall time: ``Elapsed time (sec):`` in that block;
- cores: ``running on N total cores`` (VASP 5/6), else ``running on N nodes``/
  ``distrk`` lines are not used;
- MD steps and instantaneous temperature: the OSZICAR lines ``n T= ... E= ...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_ELAPSED = re.compile(r"Elapsed time \(sec\):\s*([0-9.Ee+-]+)")
_CORES = re.compile(r"running\s+on\s+(\d+)\s+total\s+cores")
_CORES_MPI = re.compile(r"running\s+(\d+)\s+mpi-ranks")
_COMPLETE = "General timing and accounting"
_ITERATION = re.compile(r"Iteration\s+(\d+)\s*\(")
_OSZICAR_MD = re.compile(
    r"^\s*(\d+)\s+T=\s*([0-9.Ee+-]+)\s+E=\s*([0-9.Ee+-]+)\s+F=\s*([0-9.Ee+-]+)\s+E0=\s*"
    r"([0-9.Ee+-]+)"
)


@dataclass(frozen=True, kw_only=True)
class OutcarSummary:
    """The few facts of an OUTCAR: completion, ionic steps, wall time (s), cores."""

    complete: bool
    ionic_steps: int
    elapsed_s: float | None
    n_cores: int | None


@dataclass(frozen=True, kw_only=True)
class OszicarSeries:
    """MD lines of an OSZICAR: ``step (S,)``, ``temperature_K``, total energy
    ``conserved_eV`` (E, kinetic + potential + thermostat) and ``potential_eV`` (E0)."""

    step: np.ndarray
    temperature_K: np.ndarray
    conserved_eV: np.ndarray
    potential_eV: np.ndarray

    @property
    def n_steps(self) -> int:
        return int(self.step[-1]) if len(self.step) else 0


def read_outcar_summary(path: str | Path) -> OutcarSummary:
    """Scan an OUTCAR line by line (it may be huge, or cut off by a crash)."""
    complete = False
    steps = 0
    elapsed = None
    cores = None
    with Path(path).open("r", errors="replace") as fh:
        for line in fh:
            if "Iteration" in line:
                m = _ITERATION.search(line)
                if m:
                    steps = max(steps, int(m.group(1)))
            elif cores is None and "running" in line:
                m = _CORES.search(line) or _CORES_MPI.search(line)
                if m:
                    cores = int(m.group(1))
            elif _COMPLETE in line:
                complete = True
            elif "Elapsed time" in line:
                m = _ELAPSED.search(line)
                if m:
                    try:
                        elapsed = float(m.group(1))
                    except ValueError:
                        elapsed = None
    return OutcarSummary(
        complete=complete, ionic_steps=steps, elapsed_s=elapsed, n_cores=cores
    )


def read_oszicar(path: str | Path) -> OszicarSeries:
    """The MD lines of an OSZICAR (electronic-iteration lines skipped)."""
    rows = []
    with Path(path).open("r", errors="replace") as fh:
        for line in fh:
            if "T=" not in line:
                continue
            m = _OSZICAR_MD.match(line)
            if m:
                try:
                    rows.append([float(g) for g in m.groups()])
                except ValueError:
                    continue  # a garbled MD line (e.g. "-."): skipped, not fatal
    data = np.array(rows, dtype=float).reshape(-1, 5)
    return OszicarSeries(
        step=data[:, 0].astype(np.int64),
        temperature_K=data[:, 1],
        conserved_eV=data[:, 2],
        potential_eV=data[:, 4],
    )
