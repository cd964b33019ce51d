"""NVT Nosé–Hoover chain, one chain and one target temperature per system.

We use torch-sim's integrator (``nvt_nose_hoover_init``/``_step``: Martyna et
al. 1996, Suzuki–Yoshida chain substeps; its docstring carries the equations).
Measured and kept: the step itself is batch-invariant (a system alone and in a
batch stay identical to float tolerance, tests/engine/test_batch_invariance.py).
What we do ourselves, and why:
- initial momenta: torch-sim draws the whole batch from one generator, which
  makes a system's trajectory depend on its batch; we pass per-system seeded
  momenta (:mod:`ionmd.engine.seeding`);
- τ: torch-sim's default is 10·dt in code (100·dt in its docstring); we always
  pass τ explicitly (``thermostat_tau_fs``, 100 fs by default).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

_FS_TO_PS = 1e-3

#: the per-system tensors of the Nosé–Hoover chain (saved, restored, selected)
CHAIN_FIELDS = (
    "positions",
    "momenta",
    "masses",
    "tau",
    "kinetic_energy",
    "degrees_of_freedom",
)


def time_internal(fs: float) -> float:
    """fs → torch-sim's internal time unit (Å·sqrt(amu/eV))."""
    from torch_sim.units import MetalUnits

    return fs * _FS_TO_PS * float(MetalUnits.time)


def nh_init(
    state: object,
    model: object,
    *,
    kT: torch.Tensor,
    momenta: torch.Tensor,
    timestep_fs: float,
    tau_fs: float,
    chain_length: int = 3,
) -> object:
    """Nosé–Hoover state from a ``SimState``, ``kT (n_systems,)`` eV and
    ``momenta (n_atoms, 3)``."""
    from torch_sim.integrators.nvt import nvt_nose_hoover_init

    return nvt_nose_hoover_init(
        state,
        model,
        kT=kT,
        dt=time_internal(timestep_fs),
        tau=time_internal(tau_fs),
        chain_length=chain_length,
        momenta=momenta,
    )


def nh_step(state: object, model: object, *, kT: torch.Tensor, dt: float) -> object:
    """One NVT step; ``dt`` in internal units (:func:`time_internal`)."""
    from torch_sim.integrators.nvt import nvt_nose_hoover_step

    return nvt_nose_hoover_step(state, model, dt=dt, kT=kT)


def nh_conserved_energy(state: object, *, kT: torch.Tensor) -> torch.Tensor:
    """Extended-system energy per system ``(n_systems,)``, eV."""
    from torch_sim.integrators.nvt import nvt_nose_hoover_invariant

    return nvt_nose_hoover_invariant(state, kT)


def kinetic_temperature_K(state: object) -> torch.Tensor:
    """Instantaneous kinetic temperature per system (3N − 3 dof), K."""
    from torch_sim.units import MetalUnits

    return state.calc_kT() / float(MetalUnits.temperature)  # type: ignore[attr-defined]


def select_systems(state: object, keep: torch.Tensor) -> object:
    """The NH state of the systems where ``keep (n_systems,)`` is True (torch-sim
    slices the atoms and per-system tensors; the chain is sliced here)."""
    st: Any = state
    idx = torch.nonzero(keep).squeeze(-1).tolist()
    new = st[idx]
    new.chain = dataclasses.replace(
        st.chain, **{n: getattr(st.chain, n)[keep] for n in CHAIN_FIELDS}
    )
    return new


def concat_systems(a: object, b: object) -> object:
    """Two NH states as one batch, ``b``'s systems after ``a``'s."""
    import torch_sim as ts

    chain_a, chain_b = a.chain, b.chain  # type: ignore[attr-defined]
    st: Any = ts.concatenate_states([a, b])  # type: ignore[type-var]
    st.chain = dataclasses.replace(
        chain_a,
        **{n: torch.cat([getattr(chain_a, n), getattr(chain_b, n)]) for n in CHAIN_FIELDS},
    )
    return st
