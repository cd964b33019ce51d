"""Which DFT code runs, and the measured cost of one AIMD step with it."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from ase import Atoms

from benchmarks.dft import cp2k, gpaw
from benchmarks.dft.process import SYSTEM_PYTHON, load_avg

CP2K_DATA_DIR = cp2k.CP2K_DATA_DIR


class DFTCodeMissingError(RuntimeError):
    """The requested DFT code (or its data files, or mpiexec) is not installed."""


def _gpaw_available() -> bool:
    return gpaw.gpaw_available()


def _cp2k_available() -> bool:
    return cp2k.cp2k_available()


def resolve_code(*, code: str = "auto") -> str:
    """Pick the DFT code: ``"gpaw"``, ``"cp2k"`` or ``"auto"`` (GPAW first, then CP2K).

    Raises :class:`DFTCodeMissingError` naming the Debian packages to install.
    """
    code = code.lower()
    if code not in ("auto", "gpaw", "cp2k"):
        raise ValueError(f"code must be 'auto', 'gpaw' or 'cp2k', not {code!r}")
    if code in ("auto", "gpaw") and _gpaw_available():
        return "gpaw"
    if code in ("auto", "cp2k") and _cp2k_available():
        return "cp2k"
    hint = {
        "gpaw": "apt-get install --no-install-recommends gpaw gpaw-data openmpi-bin",
        "cp2k": "apt-get install --no-install-recommends cp2k cp2k-data openmpi-bin",
        "auto": "apt-get install --no-install-recommends gpaw gpaw-data openmpi-bin "
        "(or: cp2k cp2k-data)",
    }[code]
    raise DFTCodeMissingError(
        f"no usable DFT code for code={code!r} (GPAW must import in {SYSTEM_PYTHON}; "
        f"CP2K needs cp2k.psmp and {CP2K_DATA_DIR}; both need mpiexec). "
        f"Install it with: {hint}  (or run .ci/install-dft.sh)"
    )


def measure_dft_step(
    *,
    atoms: Atoms,
    code: str = "auto",
    n_cores: int = 2,
    n_steps: int = 2,
    timeout_s: float = 900,
) -> dict[str, Any]:
    """Wall time of one Born-Oppenheimer AIMD step of ``atoms`` with a Debian DFT code.

    Runs one force call from scratch (setup + first SCF: ``first_step_s``) and then
    ``n_steps`` velocity-Verlet steps, each one SCF restarted from the previous step
    (``step_time_s`` = their median). ``code``: ``"gpaw"`` (default choice of
    ``"auto"``), ``"cp2k"``. Settings: :data:`GPAW_SETTINGS`, :data:`CP2K_SETTINGS`.

    Returns ``code, version, settings, n_atoms, n_cores, first_step_s, step_time_s,
    step_times_s, step_cpu_s, scf_iterations, first_scf_iterations, total_wall_s,
    load_avg_before, load_avg_after``. Raises :class:`DFTCodeMissingError` when the
    code is not installed, :class:`TimeoutError` past ``timeout_s`` (the run's
    processes are killed).
    """
    if n_steps < 1:
        raise ValueError("n_steps must be >= 1")
    if n_cores < 1:
        raise ValueError("n_cores must be >= 1")
    chosen = resolve_code(code=code)
    load_before = load_avg()
    with tempfile.TemporaryDirectory(prefix=f"ionmd-{chosen}-") as tmp:
        runner = gpaw.measure_gpaw if chosen == "gpaw" else cp2k.measure_cp2k
        res = runner(
            atoms=atoms,
            n_cores=n_cores,
            n_steps=n_steps,
            timeout_s=timeout_s,
            workdir=Path(tmp),
        )
    return {
        "code": res["code"],
        "version": res["version"],
        "settings": res["settings"],
        "n_atoms": len(atoms),
        "n_cores": n_cores,
        "first_step_s": res["first_step_s"],
        "step_time_s": statistics.median(res["step_times_s"]),
        "step_time_min_s": min(res["step_times_s"]),
        "step_times_s": res["step_times_s"],
        "step_cpu_s": res["step_cpu_s"],
        "scf_iterations": res["scf_iterations"],
        "first_scf_iterations": res["first_scf_iterations"],
        "total_wall_s": res["total_wall_s"],
        "load_avg_before": load_before,
        "load_avg_after": load_avg(),
    }
