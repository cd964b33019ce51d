"""CP2K (Debian) as the DFT code: settings, input text, log parsing, one
measured run under ``mpiexec``."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from ase import Atoms

from benchmarks.dft.common import MD_SEED, MD_TEMPERATURE_K, MD_TIMESTEP_FS
from benchmarks.dft.process import mpi_command, run_bounded, tail

#: Where Debian's ``cp2k-data`` puts the basis sets and pseudopotentials.
CP2K_DATA_DIR = Path("/usr/share/cp2k")

#: CP2K: GPW, the shipped DZVP-MOLOPT-SR-GTH / GTH-PBE (Li q3, N q5), Gamma only,
#: 400 Ry density cutoff (REL_CUTOFF 50), OT/DIIS with a FULL_SINGLE_INVERSE
#: preconditioner, EPS_SCF 1e-6, ASPC extrapolation of the wavefunction between steps.
CP2K_SETTINGS: dict[str, Any] = {
    "method": "GPW",
    "xc": "PBE",
    "kpts": "gamma",
    "basis": "DZVP-MOLOPT-SR-GTH",
    "potential": "GTH-PBE",
    "cutoff_Ry": 400.0,
    "rel_cutoff_Ry": 50.0,
    "scf": "OT DIIS, FULL_SINGLE_INVERSE",
    "eps_scf": 1e-6,
    "max_scf": 30,
    "outer_max_scf": 10,
    "extrapolation": "ASPC",
}


def cp2k_binary() -> str | None:
    for name in ("cp2k.psmp", "cp2k.popt", "cp2k"):
        path = shutil.which(name)
        if path:
            return path
    return None


def cp2k_available() -> bool:
    return (
        cp2k_binary() is not None
        and shutil.which("mpiexec") is not None
        and (CP2K_DATA_DIR / "BASIS_MOLOPT").exists()
        and (CP2K_DATA_DIR / "GTH_POTENTIALS").exists()
    )


def cp2k_input(
    *,
    atoms: Atoms,
    n_steps: int,
    settings: dict[str, Any] | None = None,
    timestep_fs: float = MD_TIMESTEP_FS,
    temperature_K: float = MD_TEMPERATURE_K,
    seed: int = MD_SEED,
    project: str = "aimd",
) -> str:
    """CP2K input text for ``n_steps`` of NVE BOMD (see :data:`CP2K_SETTINGS`)."""
    s = dict(CP2K_SETTINGS if settings is None else settings)
    cell = atoms.cell.array
    coords = "\n".join(
        f"      {sym:2s} {x:16.10f} {y:16.10f} {z:16.10f}"
        for sym, (x, y, z) in zip(
            atoms.get_chemical_symbols(), atoms.positions, strict=True
        )
    )
    kinds = "\n".join(
        f"    &KIND {el}\n      BASIS_SET {s['basis']}\n"
        f"      POTENTIAL {s['potential']}\n    &END KIND"
        for el in sorted(set(atoms.get_chemical_symbols()))
    )
    return f"""&GLOBAL
  PROJECT {project}
  RUN_TYPE MD
  PRINT_LEVEL LOW
  SEED {seed}
&END GLOBAL
&MOTION
  &MD
    ENSEMBLE NVE
    STEPS {n_steps}
    TIMESTEP {timestep_fs}
    TEMPERATURE {temperature_K}
  &END MD
&END MOTION
&FORCE_EVAL
  METHOD QUICKSTEP
  &DFT
    BASIS_SET_FILE_NAME {CP2K_DATA_DIR / "BASIS_MOLOPT"}
    POTENTIAL_FILE_NAME {CP2K_DATA_DIR / "GTH_POTENTIALS"}
    &MGRID
      CUTOFF {s["cutoff_Ry"]}
      REL_CUTOFF {s["rel_cutoff_Ry"]}
    &END MGRID
    &QS
      EPS_DEFAULT 1.0E-12
      EXTRAPOLATION {s["extrapolation"]}
      EXTRAPOLATION_ORDER 3
    &END QS
    &SCF
      SCF_GUESS ATOMIC
      EPS_SCF {s["eps_scf"]:.1E}
      MAX_SCF {s["max_scf"]}
      &OT ON
        MINIMIZER DIIS
        PRECONDITIONER FULL_SINGLE_INVERSE
      &END OT
      &OUTER_SCF ON
        EPS_SCF {s["eps_scf"]:.1E}
        MAX_SCF {s["outer_max_scf"]}
      &END OUTER_SCF
      &PRINT
        &RESTART OFF
        &END RESTART
      &END PRINT
    &END SCF
    &XC
      &XC_FUNCTIONAL {s["xc"]}
      &END XC_FUNCTIONAL
    &END XC
  &END DFT
  &SUBSYS
    &CELL
      A {cell[0, 0]:.10f} {cell[0, 1]:.10f} {cell[0, 2]:.10f}
      B {cell[1, 0]:.10f} {cell[1, 1]:.10f} {cell[1, 2]:.10f}
      C {cell[2, 0]:.10f} {cell[2, 1]:.10f} {cell[2, 2]:.10f}
      PERIODIC XYZ
    &END CELL
    &COORD
{coords}
    &END COORD
{kinds}
  &END SUBSYS
&END FORCE_EVAL
"""


def parse_cp2k_md_log(text: str) -> dict[str, Any]:
    """Per-step wall times and SCF iterations from a CP2K MD log (PRINT_LEVEL LOW).

    CP2K prints ``Used time [s]`` once per MD step (step 0 is the initial force call)
    and ``*** SCF run converged in N steps ***`` (or ``Leaving inner SCF loop after
    reaching N steps``) per SCF. Returns ``step_times_s`` with step 0 first and
    ``scf_iterations`` per (outer+inner) SCF, summed per MD step where possible.
    """
    step_times_s: list[float] = []
    scf_per_step: list[int] = []
    current = 0
    for line in text.splitlines():
        stripped = line.strip()
        if "SCF run converged in" in stripped or "Leaving inner SCF loop after" in stripped:
            digits = [int(t) for t in stripped.replace("***", " ").split() if t.isdigit()]
            if digits:
                current += digits[0]
        elif stripped.startswith("Used time [s]") or "Used time [s]" in stripped:
            step_times_s.append(float(stripped.split()[-1]))
            scf_per_step.append(current)
            current = 0
    # CP2K does not print 'Used time' for step 0 in every version: the MD header
    # of the first step carries it as 'MD| Used time [s]'; normalise to step 0 first.
    return {"step_times_s": step_times_s, "scf_iterations": scf_per_step}


def cp2k_version() -> str:
    binary = cp2k_binary()
    out = subprocess.run(
        [binary or "cp2k", "--version"], capture_output=True, text=True, timeout=60
    ).stdout
    for line in out.splitlines():
        if "CP2K version" in line:
            return line.strip()
    return "CP2K (unknown version)"


def measure_cp2k(
    *, atoms: Atoms, n_cores: int, n_steps: int, timeout_s: float, workdir: Path
) -> dict[str, Any]:
    (workdir / "aimd.inp").write_text(cp2k_input(atoms=atoms, n_steps=n_steps))
    binary = cp2k_binary()
    assert binary is not None
    cmd = [*mpi_command(n_cores=n_cores), binary, "-i", "aimd.inp", "-o", "aimd.out"]
    log = workdir / "run.log"
    t0 = time.perf_counter()
    proc = run_bounded(cmd, cwd=workdir, timeout_s=timeout_s, log_path=log)
    total_s = time.perf_counter() - t0
    out = workdir / "aimd.out"
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"CP2K run failed (exit {proc.returncode}); last lines:\n"
            f"{tail(out if out.exists() else log)}"
        )
    parsed = parse_cp2k_md_log(out.read_text(errors="replace"))
    times, scf = parsed["step_times_s"], parsed["scf_iterations"]
    if len(times) < n_steps + 1:
        raise RuntimeError(f"CP2K printed {len(times)} step times, expected {n_steps + 1}")
    return {
        "code": "cp2k",
        "version": cp2k_version(),
        "settings": {
            **CP2K_SETTINGS,
            "md": f"NVE, {MD_TIMESTEP_FS} fs, start at {MD_TEMPERATURE_K:g} K",
            "parallel": f"{n_cores} MPI ranks x 1 thread",
        },
        "first_step_s": times[0],
        "step_times_s": times[1:],
        "step_cpu_s": None,
        "scf_iterations": scf[1:],
        "first_scf_iterations": scf[0],
        "total_wall_s": total_s,
    }
