"""GPAW (Debian) as the DFT code: settings, the JSON job for
``dft_inputs/gpaw_aimd.py``, and one measured run under ``mpiexec``."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from ase import Atoms

from benchmarks.dft.common import MD_SEED, MD_TEMPERATURE_K, MD_TIMESTEP_FS
from benchmarks.dft.process import SYSTEM_PYTHON, mpi_command, run_bounded, tail

#: Templates and drivers shipped next to the benchmarks.
INPUTS_DIR = Path(__file__).resolve().parents[1] / "dft_inputs"

#: GPAW: PW at the VASP default for Li_sv/N (ENMAX 499/400 eV -> 500 eV), PBE, Gamma,
#: 0.05 eV Fermi-Dirac, SCF to 5e-5 eV/electron (~1e-4 eV/atom, tighter than VASP's
#: EDIFF = 5e-5 x N of pymatgen's MPMDSet) and GPAW's default density criterion.
GPAW_SETTINGS: dict[str, Any] = {
    "mode": "pw",
    "ecut_eV": 500.0,
    "xc": "PBE",
    "kpts": "gamma",
    "smearing": "fermi-dirac",
    "smearing_eV": 0.05,
    "scf_energy_eV_per_electron": 5e-5,
    "scf_density": 1e-4,
    "setups": "gpaw-data 0.9.20000 PAW (Li: 1 valence e-, N: 5)",
    "basis": "dzp",  # only the LCAO initial guess in PW mode
}


def gpaw_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists() or shutil.which("mpiexec") is None:
        return False
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import gpaw, gpaw.setup_data"],
        capture_output=True,
        timeout=60,
    )
    return probe.returncode == 0 and Path("/usr/share/gpaw-setups/Li.PBE.gz").exists()


def gpaw_job(
    *,
    atoms: Atoms,
    n_steps: int,
    settings: dict[str, Any] | None = None,
    timestep_fs: float = MD_TIMESTEP_FS,
    temperature_K: float = MD_TEMPERATURE_K,
    seed: int = MD_SEED,
) -> dict[str, Any]:
    """The JSON job read by ``dft_inputs/gpaw_aimd.py`` (plain lists, no ASE objects)."""
    return {
        "numbers": atoms.numbers.tolist(),
        "positions_A": atoms.positions.tolist(),
        "cell_A": atoms.cell.array.tolist(),
        "settings": dict(GPAW_SETTINGS if settings is None else settings),
        "n_steps": int(n_steps),
        "timestep_fs": float(timestep_fs),
        "temperature_K": float(temperature_K),
        "seed": int(seed),
        "txt": "gpaw.txt",
    }


def measure_gpaw(
    *, atoms: Atoms, n_cores: int, n_steps: int, timeout_s: float, workdir: Path
) -> dict[str, Any]:
    job = gpaw_job(atoms=atoms, n_steps=n_steps)
    (workdir / "job.json").write_text(json.dumps(job))
    cmd = [
        *mpi_command(n_cores=n_cores),
        SYSTEM_PYTHON,
        str(INPUTS_DIR / "gpaw_aimd.py"),
        "job.json",
        "result.json",
    ]
    log = workdir / "run.log"
    t0 = time.perf_counter()
    proc = run_bounded(cmd, cwd=workdir, timeout_s=timeout_s, log_path=log)
    total_s = time.perf_counter() - t0
    result_path = workdir / "result.json"
    if proc.returncode != 0 or not result_path.exists():
        raise RuntimeError(
            f"GPAW run failed (exit {proc.returncode}); last lines of {log}:\n{tail(log)}"
        )
    raw = json.loads(result_path.read_text())
    return {
        "code": "gpaw",
        "version": raw["version"],
        "settings": {
            **job["settings"],
            "md": f"velocity-Verlet NVE, {MD_TIMESTEP_FS} fs, MB start at "
            f"{MD_TEMPERATURE_K:g} K",
            "parallel": f"{raw['n_ranks']} MPI ranks x 1 thread",
        },
        "first_step_s": raw["first_step_s"],
        "step_times_s": raw["step_times_s"],
        "step_cpu_s": raw.get("step_cpu_s"),
        "scf_iterations": raw["scf_iterations"],
        "first_scf_iterations": raw["first_scf_iterations"],
        "total_wall_s": total_s,
    }
