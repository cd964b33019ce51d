"""Small models and structures for engine tests (independent of calculators/)."""

import numpy as np
import torch
from ase import Atoms
from ase.build import bulk
from torch_sim.models.interface import ModelInterface

from ionmd.campaign.config import RunConfig
from ionmd.engine.systems import SystemSpec

AR_SIGMA, AR_EPS = 3.405, 0.0104


def lj_model(dtype=torch.float64):
    """Shifted-force Lennard-Jones for argon: energy and force both go to zero
    at the cutoff, so the NH invariant is conserved up to integration error
    (plain truncated LJ jumps when pairs cross the cutoff)."""
    from torch_sim.models.pair_potential import PairPotentialModel

    s, e, rc = AR_SIGMA, AR_EPS, 2.5 * AR_SIGMA

    def lj(r):
        x6 = (s / r) ** 6
        return 4 * e * (x6 * x6 - x6)

    def dlj(r):
        x6 = (s / r) ** 6
        return 4 * e * (-12 * x6 * x6 + 6 * x6) / r

    rc_t = torch.tensor(rc, dtype=torch.float64)
    e_rc, f_rc = float(lj(rc_t)), float(dlj(rc_t))

    def pair(dr, zi, zj):
        return lj(dr) - e_rc - (dr - rc) * f_rc

    return PairPotentialModel(
        pair_fn=pair, cutoff=rc, device=torch.device("cpu"), dtype=dtype
    )


def argon(n: int = 3, *, li_every: int = 4) -> Atoms:
    """fcc argon (4 n³ atoms); every ``li_every``-th atom labelled Li (mass of Ar
    kept) so the engine has a 'mobile species' to follow."""
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(n)
    symbols = atoms.get_chemical_symbols()
    for i in range(0, len(atoms), li_every):
        symbols[i] = "Li"
    atoms.set_chemical_symbols(symbols)
    atoms.set_masses([39.948] * len(atoms))
    return atoms


class ZeroModel(ModelInterface):
    """No forces at all: free flight (ballistic) test."""

    def __init__(self, dtype=torch.float64):
        super().__init__()
        self._device = torch.device("cpu")
        self._dtype = dtype
        self._compute_stress = False
        self._compute_forces = True

    def forward(self, state, **kwargs):
        n_sys = int(state.system_idx.max()) + 1
        return {
            "energy": torch.zeros(n_sys, dtype=self._dtype),
            "forces": torch.zeros_like(state.positions),
        }


class SmallDevice(ModelInterface):
    """``inner`` on a "device" that holds ``max_atoms`` atoms: a force call on
    more raises CUDA's out-of-memory error (injected: no GPU here). ``sizes``:
    the atoms of every force call."""

    def __init__(self, inner, *, max_atoms: int):
        super().__init__()
        self.inner, self.max_atoms, self.sizes = inner, max_atoms, []
        self._device, self._dtype = inner.device, inner.dtype
        self._compute_stress = False
        self._compute_forces = True

    def forward(self, state, **kwargs):
        self.sizes.append(int(state.positions.shape[0]))
        if self.sizes[-1] > self.max_atoms:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
        return self.inner(state, **kwargs)


def quick_config(**kw) -> RunConfig:
    base = dict(
        materials=("x",),
        temperatures_K=(50.0,),
        duration_ps=1.0,
        equilibration_ps=0.2,
        timestep_fs=5.0,
        sample_every_fs=25.0,
        msd_every_fs=5.0,
        thermo_every_fs=25.0,
        progress=False,
    )
    base.update(kw)
    return RunConfig(**base)


def spec(atoms: Atoms, T: float, material_id: str = "ar", seed: int = 0) -> SystemSpec:
    return SystemSpec(
        material_id=material_id,
        atoms=atoms,
        temperature_K=T,
        run_seed=seed,
        supercell=np.eye(3, dtype=np.int64),
    )
