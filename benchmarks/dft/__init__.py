"""Measured cost of one AIMD step (DFT) against one ML-MD step (MACE): same cell, cores.

The study behind ionmd quotes MACE on one GPU as ~378x faster than VASP on a 64-core
node. This module does not quote: it *measures* an ML-vs-DFT step-cost ratio on the
machine it runs on, with an open-source DFT code from Debian.

* :func:`measure_dft_step` runs a short Born-Oppenheimer AIMD (velocity-Verlet NVE, 2 fs)
  with GPAW (plane waves, PBE, Gamma only; default) or CP2K (GPW, DZVP-MOLOPT-SR-GTH,
  GTH-PBE, Gamma only, OT), each driven as a subprocess under ``mpiexec``.
* :func:`measure_ml_step` runs the same MD with ASE and a MACE model (default
  ``mace-mpa0-arch``: random weights with the architecture of MACE medium-mpa-0,
  which costs what the real model costs) on the same number of CPU threads.
* :func:`dft_vs_ml` builds alpha-Li3N, runs both and returns their step-time ratio.

``python -m benchmarks.dft [--quick] [--out DIR]`` prints a markdown table and writes
``DIR/dft.json``. Settings, their rationale and measured numbers: docs/dft_benchmark.md.

Modules: ``common`` (MD settings, the cell), ``process`` (MPI, bounded runs),
``gpaw`` and ``cp2k`` (each code's inputs, parsing, one run), ``codes`` (which
code, one measured DFT step), ``ml`` (the ML step), ``compare`` (ratio, table, CLI).
"""

from benchmarks.dft.codes import (
    CP2K_DATA_DIR,
    DFTCodeMissingError,
    measure_dft_step,
    resolve_code,
)
from benchmarks.dft.common import MD_SEED, MD_TEMPERATURE_K, MD_TIMESTEP_FS, alpha_li3n
from benchmarks.dft.compare import (
    FULL_REPEAT,
    LI3N_A_A,
    LI3N_C_A,
    QUICK_REPEAT,
    dft_vs_ml,
    main,
    markdown_table,
)
from benchmarks.dft.cp2k import CP2K_SETTINGS, cp2k_input, parse_cp2k_md_log
from benchmarks.dft.gpaw import GPAW_SETTINGS, INPUTS_DIR, gpaw_job
from benchmarks.dft.ml import measure_ml_step
from benchmarks.dft.process import SYSTEM_PYTHON

__all__ = [
    "CP2K_DATA_DIR",
    "CP2K_SETTINGS",
    "FULL_REPEAT",
    "GPAW_SETTINGS",
    "INPUTS_DIR",
    "LI3N_A_A",
    "LI3N_C_A",
    "MD_SEED",
    "MD_TEMPERATURE_K",
    "MD_TIMESTEP_FS",
    "QUICK_REPEAT",
    "SYSTEM_PYTHON",
    "DFTCodeMissingError",
    "alpha_li3n",
    "cp2k_input",
    "dft_vs_ml",
    "gpaw_job",
    "main",
    "markdown_table",
    "measure_dft_step",
    "measure_ml_step",
    "parse_cp2k_md_log",
    "resolve_code",
]
