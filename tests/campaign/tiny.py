"""A tiny LJ campaign for the crash and changed-input tests: a 4-atom fcc argon
cell with one atom relabelled Li (32 atoms at the 10 Å rule), one batch per
temperature, run in this process through the CLI entry point (no interpreter
start-up per run)."""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk

from ionmd.cli import main

CONFIG = """
materials = [{materials}]
model = "{model}"
temperatures_K = [{temps}]
min_cell_length_A = 10
timestep_fs = {timestep_fs}
duration_ps = {duration_ps}
equilibration_ps = 0.1
sample_every_fs = 25
msd_every_fs = 10
thermo_every_fs = 25
flush_every_ps = 0.1
max_atoms_per_batch = 32
progress = false
seed = 7
out = "{out}"
"""


def write_cif(path: Path, *, a: float = 5.26) -> Path:
    atoms = bulk("Ar", "fcc", a=a, cubic=True)
    atoms.set_chemical_symbols(["Li", "Ar", "Ar", "Ar"])
    atoms.write(path)
    return path


def write_config(
    tmp_path: Path,
    name: str,
    *,
    cifs: list[Path] | None = None,
    temps: tuple[float, ...] = (30,),
    duration_ps: float = 0.3,
    timestep_fs: float = 5,
    model: str = "lj",
    out: Path | None = None,
) -> Path:
    """The TOML of a tiny campaign into ``out`` (default ``tmp_path / name``)."""
    if cifs is None:
        cif = tmp_path / "lj_li.cif"
        if not cif.exists():
            write_cif(cif)
        cifs = [cif]
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(
        CONFIG.format(
            materials=", ".join(f'"{c}"' for c in cifs),
            model=model,
            temps=", ".join(f"{t:g}" for t in temps),
            timestep_fs=timestep_fs,
            duration_ps=duration_ps,
            out=out or tmp_path / name,
        )
    )
    return cfg


def ionmd(*args: str) -> int:
    """``ionmd ARGS`` in this process; its exit status."""
    return main(list(args))


@pytest.fixture
def keep_signal_handlers():
    """The CLI installs SIGINT/SIGTERM handlers: put pytest's back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, h in saved.items():
        signal.signal(s, h)


def run_file_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every stored number of every system of a run file, by name."""
    from ionmd.fileformat import read_npt_stage
    from ionmd.fileformat.reader import list_systems, read_system

    out = {}
    for key in list_systems(path):
        rec = read_system(path, key)
        out[f"{key}/positions"] = rec.positions
        out[f"{key}/steps"] = rec.position_steps
        for name, arr in rec.msd.items():
            out[f"{key}/msd/{name}"] = arr
        for name, (steps, _, values) in rec.thermo.items():
            out[f"{key}/thermo/{name}"] = np.stack([steps, values])
        stage = read_npt_stage(path, key)  # cell = "npt" only
        if stage is not None:
            for name in ("time_ps", "volume_A3", "pressure_GPa", "mean_pressure_GPa"):
                out[f"{key}/npt_stage/{name}"] = np.asarray(getattr(stage, name))
    return out


def statuses(out: Path) -> dict[str, str]:
    """key -> status of every system in OUT's run files."""
    from ionmd.fileformat.reader import list_systems, read_system

    return {
        key: read_system(p, key, positions=False).attrs["status"]
        for p in sorted(out.glob("md*.h5"))
        for key in list_systems(p)
    }


def one_line(err: str, command: str = "run") -> str:
    """The stderr of a refused or stopped run: exactly one ``ionmd`` error line
    besides progress logging, and no traceback."""
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith(f"ionmd {command}:")]
    assert len(lines) == 1, err
    return lines[0]
