"""The systems of a batch: (simulation cell, temperature) pairs, and the
batched torch-sim state built from them (atoms flat, with a system index)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ionmd.engine.seeding import maxwell_boltzmann_momenta, system_seed
from ionmd.errors import InputError
from ionmd.fileformat import NptStageSeries, SystemInfo, system_key


@dataclass(frozen=True, kw_only=True)
class SystemSpec:
    """One (material, temperature) system, ready to simulate.

    ``atoms`` is the simulation cell (the supercell already applied), with its
    cell as row vectors in Å. ``supercell (3, 3)`` records the matrix that was
    applied to the input structure.
    """

    material_id: str
    atoms: object  # ase.Atoms (kept untyped so importing this needs no ase)
    temperature_K: float
    run_seed: int = 0
    supercell: np.ndarray = field(default_factory=lambda: np.eye(3, dtype=np.int64))
    #: how ``atoms``' cell was obtained: "experimental" (the structure file's) or
    #: "relaxed" (:mod:`ionmd.cells`), then with the experimental cell (3, 3) in Å
    cell_source: str = "experimental"
    experimental_cell: np.ndarray | None = None
    #: the NPT stage that gave the cell (``cell_source = "npt"``): its series go
    #: to the run file with the system
    npt_stage: NptStageSeries | None = None

    @property
    def key(self) -> str:
        return system_key(self.material_id, self.temperature_K)

    @property
    def seed(self) -> int:
        return system_seed(
            run_seed=self.run_seed,
            material_id=self.material_id,
            temperature_K=self.temperature_K,
        )

    def content_sha256(self) -> str:
        """sha256 of what this system is made of: atomic numbers, positions, cell,
        periodicity, supercell, temperature and seed (a changed structure file,
        supercell rule or occupancy choice changes it)."""
        import hashlib

        atoms: Any = self.atoms
        h = hashlib.sha256()
        h.update(self.material_id.encode())
        for arr in (
            np.asarray(atoms.get_atomic_numbers(), dtype=np.int64),
            np.asarray(atoms.get_positions(), dtype=np.float64),
            np.asarray(atoms.cell[:], dtype=np.float64),
            np.asarray(atoms.pbc, dtype=np.int8),
            np.asarray(self.supercell, dtype=np.int64),
            np.asarray([self.temperature_K], dtype=np.float64),
            np.asarray([self.seed], dtype=np.int64),
        ):
            h.update(repr(arr.shape).encode())
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()

    def info(
        self,
        *,
        timestep_fs: float,
        steps_total: int,
        equilibration_steps: int,
        sample_every_steps: int,
        mobile_species: str,
        model_name: str,
        model_version: str,
    ) -> SystemInfo:
        atoms = self.atoms
        return SystemInfo(
            key=self.key,
            material_id=self.material_id,
            formula=_reduced_formula(atoms.get_chemical_symbols()),  # type: ignore[attr-defined]
            temperature_K=float(self.temperature_K),
            timestep_fs=float(timestep_fs),
            steps_total=int(steps_total),
            equilibration_steps=int(equilibration_steps),
            sample_every_steps=int(sample_every_steps),
            cell=np.asarray(atoms.cell[:], dtype=np.float64),  # type: ignore[attr-defined]
            species=tuple(atoms.get_chemical_symbols()),  # type: ignore[attr-defined]
            mobile_species=mobile_species,
            supercell=np.asarray(self.supercell, dtype=np.int64),
            model_name=model_name,
            model_version=model_version,
            seed=self.seed,
            cell_source=self.cell_source,
            experimental_cell=self.experimental_cell,
            npt_stage=self.npt_stage,
        )


def _reduced_formula(symbols: Sequence[str]) -> str:
    """``Li3N`` for a 3×3×3 supercell of Li3N (ASE's mode="reduce" only merges runs)."""
    from ase.formula import Formula

    # "metal": metals first, then the rest alphabetically (Li3N, Li10GeP2S12), as
    # pymatgen and the literature write them; str() would give NLi3
    return Formula.from_list(list(symbols)).reduce()[0].format("metal")


def check_systems(systems: Sequence[SystemSpec], *, mobile_species: str) -> None:
    """Refuse empty batches, duplicate keys and systems without mobile ions."""
    if not systems:
        raise InputError("no systems to simulate")
    seen: set[str] = set()
    for s in systems:
        if s.key in seen:
            raise InputError(f"system {s.key} appears twice")
        seen.add(s.key)
        symbols = s.atoms.get_chemical_symbols()  # type: ignore[attr-defined]
        if mobile_species not in symbols:
            raise InputError(f"{s.material_id}: no {mobile_species} atoms to follow")


def mobile_mask(
    systems: Sequence[SystemSpec], *, species: str, device: torch.device
) -> torch.Tensor:
    """``(n_atoms,)`` True for the atoms of ``species``, in batch order."""
    mask = np.concatenate(
        [
            np.asarray(s.atoms.get_chemical_symbols()) == species  # type: ignore[attr-defined]
            for s in systems
        ]
    )
    return torch.as_tensor(mask, device=device)


def build_state(
    systems: Sequence[SystemSpec], *, device: torch.device, dtype: torch.dtype
) -> tuple[object, torch.Tensor, torch.Tensor]:
    """The batched state and its initial momenta.

    Returns ``(state, momenta (n_atoms, 3), kT (n_systems,))``: a torch-sim
    ``SimState`` with all systems (atoms flat, ``state.system_idx``), momenta
    drawn per system from its own seed (batch-invariant), and the target kT in eV.
    """
    import torch_sim as ts
    from torch_sim.units import MetalUnits

    state = ts.io.atoms_to_state([s.atoms for s in systems], device=device, dtype=dtype)
    momenta = []
    for s in systems:
        masses = s.atoms.get_masses()  # type: ignore[attr-defined]
        momenta.append(
            maxwell_boltzmann_momenta(
                masses_amu=masses, temperature_K=s.temperature_K, seed=s.seed
            )
        )
    p = torch.as_tensor(np.concatenate(momenta), device=device, dtype=dtype)
    kT = torch.tensor(
        [s.temperature_K * float(MetalUnits.temperature) for s in systems],
        device=device,
        dtype=dtype,
    )
    return state, p, kT
