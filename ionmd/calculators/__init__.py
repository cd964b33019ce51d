"""Force models by name, as torch-sim models (the engine) or ASE calculators.

Names (``load_model``, ``load_ase_calculator``, ``model_info``):

- ``mace:<foundation>``, e.g. ``mace:medium-mpa-0`` (the study's model, the
  default), ``mace:small``, ``mace:medium``: MACE-MP foundation weights from
  mace's cache (``~/.cache/mace``), downloaded if possible.
- ``mace:/path/file.model`` or any path ending ``.model``: a local MACE file.
- ``mace-tiny``: small random MACE (seeded): for testing mechanics, not physics.
- ``mace-mpa0-arch``: random MACE with MACE-MPA-0 medium's architecture: for
  benchmarks only (same cost as the real model, meaningless forces).
- ``sevennet-0``: SevenNet-0 (11Jul2024), weights shipped in sevenn 0.10.x.
- ``chgnet`` (CHGNet 0.3.0), ``chgnet:0.2.0``, ``chgnet:r2scan``: weights shipped
  in chgnet (``pip install ionmd[chgnet]``), batched in ``chgnet.py``.
- ``orb:<name>``, ``mattersim:<checkpoint>``, ``fairchem:<name>``,
  ``nequip:/path/model.nequip.pt2``: torch-sim's wrappers, where the package is
  installed (``extras.py``; which share an environment: ``docs/models.md``).
- ``lj``: Lennard-Jones, argon parameters unless given.
- ``toy`` (alias ``toy-conductor``): the toy conductor (Li hopping in an fcc
  LJ framework, ``docs/toy_conductor.md``): real diffusion on a CPU, for tests.

Importing this package imports neither mace, sevenn, e3nn nor chgnet: each loader
imports what it needs. Every torch-sim model returned has stress off and gives
the same forces for wrapped and unwrapped positions.
"""

from ionmd.calculators.registry import (
    DEFAULT_MODEL,
    MODEL_NAMES,
    gives_stress,
    load_ase_calculator,
    load_model,
    model_info,
)
from ionmd.errors import ModelLoadError

__all__ = [
    "DEFAULT_MODEL",
    "MODEL_NAMES",
    "ModelLoadError",
    "gives_stress",
    "load_ase_calculator",
    "load_model",
    "model_info",
]
