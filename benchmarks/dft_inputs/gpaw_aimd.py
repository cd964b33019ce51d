"""Born-Oppenheimer AIMD driver for GPAW, run by Debian's system Python.

Usage (from ``benchmarks.dft``, never imported by ionmd)::

    mpiexec -n 2 /usr/bin/python3 gpaw_aimd.py job.json result.json

``job.json`` holds the cell (``numbers``, ``positions_A``, ``cell_A``), the DFT
``settings`` and the MD settings (``n_steps``, ``timestep_fs``, ``temperature_K``,
``seed``). The script runs velocity-Verlet NVE from Maxwell-Boltzmann velocities and
writes, on rank 0, the wall time and CPU time (summed over ranks) of the first force
call (setup + SCF from scratch) and of every later MD step (one SCF restarted from the
previous wavefunctions), with the SCF iteration count of each.
Runs on ASE 3.22 / GPAW 22.8 (Debian bookworm).
"""

import json
import sys
import time

import numpy as np
from ase import Atoms, units
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
from ase.md.verlet import VelocityVerlet
from gpaw import GPAW, PW, FermiDirac, __version__
from gpaw.mpi import world


def _n_scf(calc: GPAW) -> int:
    try:
        return int(calc.get_number_of_iterations())
    except Exception:  # older/newer GPAW spell it differently
        return int(getattr(calc.scf, "niter", -1))


def main(job_path: str, result_path: str) -> None:
    with open(job_path) as fh:
        job = json.load(fh)
    s = job["settings"]
    atoms = Atoms(
        numbers=job["numbers"],
        positions=job["positions_A"],
        cell=job["cell_A"],
        pbc=True,
    )
    if s["mode"] == "pw":
        mode = PW(s["ecut_eV"])
    else:
        mode = "lcao"
    calc = GPAW(
        mode=mode,
        basis=s.get("basis", "dzp"),
        xc=s["xc"],
        kpts={"size": (1, 1, 1), "gamma": True},
        occupations=FermiDirac(s["smearing_eV"]),
        symmetry="off",  # MD breaks every symmetry of the start
        convergence={
            "energy": s["scf_energy_eV_per_electron"],
            "density": s["scf_density"],
        },
        txt=job.get("txt", "-") if world.rank == 0 else None,
    )
    atoms.calc = calc
    MaxwellBoltzmannDistribution(
        atoms, temperature_K=job["temperature_K"], rng=np.random.default_rng(job["seed"])
    )

    t0, c0 = time.perf_counter(), time.process_time()
    atoms.get_forces()
    first_step_s = time.perf_counter() - t0
    first_step_cpu_s = time.process_time() - c0
    first_scf = _n_scf(calc)

    step_times_s: list[float] = []
    step_cpu_s: list[float] = []
    scf_iterations: list[int] = []
    dyn = VelocityVerlet(atoms, timestep=job["timestep_fs"] * units.fs)
    for _ in range(job["n_steps"]):
        t0, c0 = time.perf_counter(), time.process_time()
        dyn.run(1)
        step_times_s.append(time.perf_counter() - t0)
        step_cpu_s.append(time.process_time() - c0)
        scf_iterations.append(_n_scf(calc))

    # CPU seconds summed over all ranks (MPI busy-polling counts too)
    cpu = np.array([first_step_cpu_s, *step_cpu_s])
    world.sum(cpu)
    if world.rank == 0:
        with open(result_path, "w") as fh:
            json.dump(
                {
                    "version": f"GPAW {__version__}",
                    "first_step_s": first_step_s,
                    "first_scf_iterations": first_scf,
                    "first_step_cpu_s": float(cpu[0]),
                    "step_times_s": step_times_s,
                    "step_cpu_s": cpu[1:].tolist(),
                    "scf_iterations": scf_iterations,
                    "energy_eV": float(atoms.get_potential_energy()),
                    "n_ranks": world.size,
                },
                fh,
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
