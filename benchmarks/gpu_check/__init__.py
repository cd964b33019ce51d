"""The device check: everything ionmd needs to know about a GPU, in one call.

    bash benchmarks/gpu_check.sh --out DIR            # on the GPU machine (<= 8 min)
    bash benchmarks/gpu_check.sh --dry-run --out DIR  # the same script on the CPU

Writes ``DIR/gpu_check.json`` after every part (a kill loses only the part it
was in) and prints a table at the end. Each part has its own time limit and is
skipped or stopped with a reason rather than losing the rest. The parts, one
file each (``settings.PARTS`` is their order):

- ``environment``: device, versions, neighbour-list backend, what is installed
  (``environment.py``, with ``model_load``);
- ``engine_vs_ase``: the engine against the study's way (ASE + the same model,
  one system after the other) on the same α-Li3N systems, and the engine's
  overhead over the model alone; interleaved repeats, median and spread;
- ``study_batch``: µs per atom-step at the study's batch (its 21 materials at
  one temperature ≈ 5,500 atoms). There is no OBELiX data on the device: a
  stand-in of the same size is built from α-Li3N supercells (21 systems,
  19 × 256 + 2 × 320 = 5,504 atoms), with the memory per atom against the
  memory model (:mod:`ionmd.campaign.memory`);
- ``largest_batch``: the largest batch the memory model says fits, tried
  (halved on out-of-memory), µs per atom-step there;
- ``float64``: float32 (the CUDA default) against float64;
- ``cueq``, ``compile``, ``skin``: each fast path on against off, same
  systems: forces against the plain path and µs per atom-step (``fast_paths.py``);
- ``host_syncs``: device → host reads per ordinary step (torch's sync debug
  mode on CUDA; the Python-level counter everywhere);
- ``adaptive``: the adaptive protocol's in-flight batch (stand-ins at two
  temperatures, a batch of one temperature's worth, refilled as systems leave):
  µs per atom-step of the whole loop and batch occupancy;
- ``real_model``: a pretrained model on a real electrolyte: SevenNet-0 on
  Li6PS5Cl at 700 K (416 atoms, float32) for as long as its time allows, D with
  its 95 % interval, the Li MSD reached, atom-steps per second, next to the
  published AIMD value;
- ``projection``: wall time of the study's full protocol (1.43e9 atom-steps)
  at the measured throughput.

The harness (``harness.py``: time limits, fault isolation, the JSON; ``cli.py``:
the arguments and the table of ``table.py``) shares with the parts the model
cache, the systems (``systems.py``) and what several parts measure alike
(``measures.py``).

The MACE has random weights with medium-mpa-0's architecture (``mace-mpa0-arch``):
the weights cannot be fetched on the device; it costs what the real model
costs and predicts nothing (``real_model`` is the one part that predicts). The
dry run uses ``mace-tiny`` and tiny sizes.
"""

from benchmarks.gpu_check.cli import main, out_problem
from benchmarks.gpu_check.harness import Check
from benchmarks.gpu_check.parts import RUNNERS, run_part
from benchmarks.gpu_check.settings import (
    BUDGET_S,
    LIMITS_S,
    PARTS,
    RESERVE_S,
    SCHEMA,
    SIZES,
    STATUSES,
)
from benchmarks.gpu_check.systems import ase_systems, n_atoms, standin_systems

__all__ = [
    "BUDGET_S",
    "LIMITS_S",
    "PARTS",
    "RESERVE_S",
    "RUNNERS",
    "SCHEMA",
    "SIZES",
    "STATUSES",
    "Check",
    "ase_systems",
    "main",
    "n_atoms",
    "out_problem",
    "run_part",
    "standin_systems",
]
