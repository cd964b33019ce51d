"""0 K relaxation of positions and cell, many structures in one batch.

torch-sim's FIRE (``ase_fire``: ASE's FIRE, its defaults dt 0.1, dt_max 1.0,
max step 0.2 Å) with the Fréchet cell filter (ASE's ``FrechetCellFilter``:
the cell as the matrix logarithm of its deformation, scaled by the atom
count), all structures in one state. FIRE's state (dt, α, step counts) is per
system, so a system's path does not depend on the others; a system that
converges keeps being stepped with the rest (removing it would cost a state
rebuild), but its structure is taken at the step it first converged: the
result of a system alone and in a batch is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ionmd.cells.settings import CellSettings
from ionmd.cells.stress import stress_on
from ionmd.errors import InputError
from ionmd.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class Relaxed:
    """One structure after the relaxation (``atoms``: the last one reached when
    not ``converged``)."""

    atoms: Any  # ase.Atoms
    converged: bool
    n_steps: int
    fmax_eV_A: float
    max_stress_GPa: float
    energy_eV: float


def relax_structures(
    structures: Sequence[Any], *, model: Any, settings: CellSettings
) -> list[Relaxed]:
    """Relax every structure (ase.Atoms, periodic) together with ``model`` until
    each meets ``settings``' force and stress limits or ``relax_max_steps``."""
    import torch_sim as ts
    from torch_sim.optimizers import cell_filters, fire

    from ionmd.cells.settings import GPA_IN_EV_A3

    state = ts.io.atoms_to_state(list(structures), device=model.device, dtype=model.dtype)
    n = state.n_systems
    with stress_on(model):
        try:
            st = fire.fire_init(
                state,
                model,
                fire_flavor="ase_fire",
                cell_filter=cell_filters.CellFilter.frechet,
            )
        except KeyError:  # the cell filter reads output["stress"]
            raise InputError(
                f"{type(model).__name__} gives no stress: the relaxed cell needs one"
            ) from None
        done_at = torch.full((n,), -1, dtype=torch.long)
        taken: list[Any] = [None] * n
        fmax = torch.zeros(n, dtype=torch.float64)
        smax = torch.zeros(n, dtype=torch.float64)
        energy = torch.zeros(n, dtype=torch.float64)
        step = 0
        while True:
            f_now, s_now = _residuals(st, n=n)
            ok = (f_now <= settings.relax_fmax_eV_A) & (
                s_now <= settings.relax_stress_eV_A3
            )
            new = ok & (done_at < 0)
            if step == settings.relax_max_steps:
                new = done_at < 0  # the last structure, reported not converged
            for i in torch.nonzero(new).flatten().tolist():
                taken[i] = _take(st, i)
                done_at[i] = step
                fmax[i], smax[i] = f_now[i], s_now[i]
                energy[i] = float(st.energy[i])
            if bool((done_at >= 0).all()):
                break
            st = fire.fire_step(st, model, fire_flavor="ase_fire")
            step += 1
    out = []
    for i in range(n):
        converged = bool(
            fmax[i] <= settings.relax_fmax_eV_A and smax[i] <= settings.relax_stress_eV_A3
        )
        out.append(
            Relaxed(
                atoms=_as_atoms(structures[i], taken[i]),
                converged=converged,
                n_steps=int(done_at[i]),
                fmax_eV_A=float(fmax[i]),
                max_stress_GPa=float(smax[i]) / GPA_IN_EV_A3,
                energy_eV=float(energy[i]),
            )
        )
    log.info(
        f"relaxed {n} structures in {step} FIRE steps "
        f"({sum(r.converged for r in out)} converged)"
    )
    return out


def _residuals(st: Any, *, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per system: the largest atomic force (eV/Å) and stress component (eV/Å³)."""
    norms = torch.linalg.norm(st.forces.detach(), dim=1).to("cpu", torch.float64)
    idx = st.system_idx.to("cpu")
    fmax = torch.zeros(n, dtype=torch.float64).scatter_reduce(
        0, idx, norms, reduce="amax", include_self=True
    )
    smax = st.stress.detach().abs().amax(dim=(1, 2)).to("cpu", torch.float64)
    return fmax, smax


def _take(st: Any, i: int) -> tuple[np.ndarray, np.ndarray]:
    """System ``i``'s positions (Å) and cell (row vectors, Å), on the host."""
    mask = (st.system_idx == i).to("cpu").numpy()
    positions = st.positions.detach().to("cpu", torch.float64).numpy()[mask]
    cell = st.row_vector_cell[i].detach().to("cpu", torch.float64).numpy()
    return positions.copy(), cell.copy()


def _as_atoms(original: Any, taken: tuple[np.ndarray, np.ndarray]) -> Any:
    """A copy of ``original`` with the relaxed positions and cell."""
    atoms = original.copy()
    positions, cell = taken
    atoms.set_cell(cell, scale_atoms=False)
    atoms.set_positions(positions)
    return atoms
