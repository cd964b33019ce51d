"""The anisotropic NPT integrator (``npt_cell = "anisotropic"``): the three cell
lengths relax to the target pressure independently, the cell's angles kept.

Written here from the physics (Martyna, Tobias & Klein 1994; Tuckerman et al.
2006), because torch-sim 0.6.2's anisotropic barostats (Langevin, stochastic
cell rescaling) draw their noise once for the whole batch (``state.rng``): a
system's stage would depend on the other systems of its batch, and a stage
killed part-way could not be re-run to the same cell. This one is the
deterministic Nosé–Hoover MTK scheme of the isotropic stage with one strain per
lattice vector instead of one for the volume; its only random numbers are the
initial momenta, drawn per system from its own seed (``ionmd.cells.npt``).
Chosen over a stochastic barostat with per-system noise: no generator state to
keep, and at three lengths it is no more code than the isotropic scheme.

The cell. Row vectors h = diag(e^ε₁, e^ε₂, e^ε₃) h₀: lattice vector k is
stretched along itself by e^εₖ, so every angle between the lattice vectors is
kept (the diagonal of the cell matrix in the cell's own frame for an
orthogonal cell; for α-Li3N's hexagonal cell a, b and c change, the 120° and
90° stay). The full triclinic shape is not changed: a shear would need the
cell's rotation removed and the symmetric 3×3 strain, for no material here.

Equations of motion (row vectors, per system; r = s h, s fractional):

- ṡ = (p/m) h⁻¹ (the ions move with the cell, ṙ = p/m + r L, L = h⁻¹ diag(v) h);
- ṗ = F − p Lᵀ − (Σₖ vₖ / N_f) p, N_f = 3N − 3; in the lattice components
  πₖ = p·aₖ this is π̇ₖ = F·aₖ − (vₖ + Σⱼ vⱼ/N_f) πₖ;
- ε̇ₖ = vₖ = p_εₖ / W,  ṗ_εₖ = (h Π h⁻¹)ₖₖ + 2K/N_f − P_ext V, with
  Π = Σᵢ pᵢᵀpᵢ/mᵢ − V σ the (unnormalised) pressure tensor (σ torch-sim's stress,
  (1/V) ∂E/∂ε); (h Π h⁻¹)ₖₖ / V is the pressure along lattice vector k (Πₖₖ/V
  for an orthogonal cell), the force conjugate to εₖ at fixed fractional
  coordinates. Summed over k these are the isotropic scheme's equations.

These conserve H + Σₖ p_εₖ²/2W + P_ext V plus the two chains' energies
(:func:`invariant_eV`, tested), and with the 1/N_f terms the phase-space
compressibility is −Σₖ vₖ, so they sample exp(−β(H + P_ext V)) dL₁ dL₂ dL₃: the
isothermal–isobaric ensemble of a cell of three independent lengths at fixed
angles (the MTK correction; the same N_f = 3N − 3 as torch-sim's isotropic).

Time steps: Trotter-split as the isotropic scheme (chains ½, momenta ½, cell and
positions 1, momenta ½, chains ½), each piece solved exactly: the lattice
components decay as e^{−x} with x = (vₖ + Σv/N_f) dt/2, the fractional
coordinates move by (p/m) h⁻¹ (1 − e^{−vₖ dt})/vₖ along axis k.

Relaxation times. The particles' chain thermostat: the campaign's
``thermostat_tau_fs``; the barostat's chain (one chain on the three strain
momenta, 3 degrees of freedom): ``BAROSTAT_TAU_FS`` = 1 ps as the isotropic
stage. Each strain's mass W = (N + 1) kT τ_b², a third of the isotropic
barostat's 3 (N + 1) kT τ_b²: a uniform strain of the three then has the
isotropic stage's volume frequency, so both stages settle the volume alike.
The three shape modes are softer and slower than the volume: the stage's mean
lengths carry a larger statistical error than its mean volume (measured in
docs/cells.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch_sim.integrators.md import (
    NoseHooverChain,
    NoseHooverChainFns,
    construct_nose_hoover_chain,
)
from torch_sim.integrators.npt import NPTState

#: torch-sim's isotropic defaults: chain length, chain steps, Suzuki–Yoshida order
CHAIN = (3, 2, 3)


@dataclass(kw_only=True)
class AnisoNptState(NPTState):
    """A batch under the anisotropic NPT integrator (torch-sim's state plus the
    three log-strains per system, their momenta and mass, and both chains)."""

    #: the start's cell, row vectors (n_systems, 3, 3)
    reference_rows: torch.Tensor
    #: εₖ = ln(|aₖ| / |aₖ⁰|) (n_systems, 3) ...
    log_strain: torch.Tensor
    #: ... their momenta (n_systems, 3) ...
    strain_momentum: torch.Tensor
    #: ... and mass (n_systems,)
    strain_mass: torch.Tensor
    thermostat: NoseHooverChain
    thermostat_fns: NoseHooverChainFns
    barostat: NoseHooverChain
    barostat_fns: NoseHooverChainFns

    _system_attributes = NPTState._system_attributes | {
        "reference_rows",
        "log_strain",
        "strain_momentum",
        "strain_mass",
    }
    _global_attributes = NPTState._global_attributes | {
        "thermostat",
        "thermostat_fns",
        "barostat",
        "barostat_fns",
    }


def aniso_init(
    state: Any,
    model: Any,
    *,
    kT: torch.Tensor,
    dt: float,
    t_tau: float,
    b_tau: float,
) -> AnisoNptState:
    """The start: ``state`` (its momenta set) at strain 0 and strain momenta 0."""
    import torch_sim as ts

    dev, dtype = state.device, state.dtype
    n = state.n_systems
    kT = torch.as_tensor(kT, device=dev, dtype=dtype).expand(n)
    tensor = {"device": dev, "dtype": dtype}
    thermostat_fns = construct_nose_hoover_chain(
        torch.as_tensor(dt, **tensor), *CHAIN, torch.as_tensor(t_tau, **tensor)
    )
    barostat_fns = construct_nose_hoover_chain(
        torch.as_tensor(dt, **tensor), *CHAIN, torch.as_tensor(b_tau, **tensor)
    )
    n_atoms = torch.bincount(state.system_idx, minlength=n).to(dtype)
    out = model(state)
    ke = ts.calc_kinetic_energy(
        masses=state.masses, momenta=state.momenta, system_idx=state.system_idx
    )
    zeros = torch.zeros((n, 3), **tensor)
    return AnisoNptState.from_state(
        state,
        momenta=state.momenta,
        energy=out["energy"],
        forces=out["forces"],
        stress=out["stress"],
        reference_rows=state.row_vector_cell.clone(),
        log_strain=zeros.clone(),
        strain_momentum=zeros.clone(),
        strain_mass=(n_atoms + 1) * kT * float(b_tau) ** 2,
        thermostat=thermostat_fns.initialize(3 * n_atoms - 3, ke, kT),
        thermostat_fns=thermostat_fns,
        barostat=barostat_fns.initialize(torch.full_like(kT, 3.0), zeros[:, 0], kT),
        barostat_fns=barostat_fns,
    )


def aniso_step(
    st: AnisoNptState,
    model: Any,
    *,
    dt: float,
    kT: torch.Tensor,
    external_pressure: float,
) -> AnisoNptState:
    """One step: chains ½, the MTK step, chains ½ (the isotropic scheme's order)."""
    import torch_sim as ts

    kT = torch.as_tensor(kT, device=st.device, dtype=st.dtype).expand(st.n_systems)
    each = torch.arange(st.n_systems, device=st.device)
    st.strain_momentum, st.barostat = st.barostat_fns.half_step(
        st.strain_momentum, st.barostat, kT, each
    )
    st.momenta, st.thermostat = st.thermostat_fns.half_step(
        st.momenta, st.thermostat, kT, st.system_idx
    )
    dt = torch.as_tensor(dt, device=st.device, dtype=st.dtype)
    _mtk_step(st, model, dt=dt, p_ext=external_pressure)
    st.thermostat.kinetic_energy = ts.calc_kinetic_energy(
        masses=st.masses, momenta=st.momenta, system_idx=st.system_idx
    )
    st.barostat.kinetic_energy = _strain_kinetic_eV(st)
    st.momenta, st.thermostat = st.thermostat_fns.half_step(
        st.momenta, st.thermostat, kT, st.system_idx
    )
    st.strain_momentum, st.barostat = st.barostat_fns.half_step(
        st.strain_momentum, st.barostat, kT, each
    )
    return st


def _mtk_step(st: AnisoNptState, model: Any, *, dt: torch.Tensor, p_ext: float) -> None:
    """Strain momenta ½, ion momenta ½, strains and positions 1, forces, ion
    momenta ½, strain momenta ½ (in place)."""
    half = dt / 2
    st.strain_momentum = st.strain_momentum + half * _strain_force(st, p_ext=p_ext)
    v = st.strain_momentum / st.strain_mass[:, None]
    h_old = st.row_vector_cell
    st.momenta = _kick(st, h=h_old, forces=st.forces, v=v, dt=half)
    st.log_strain = st.log_strain + v * dt
    h_new = cell_rows(st)
    st.positions = _drift(st, h_old=h_old, h_new=h_new, v=v, dt=dt)
    st.row_vector_cell = h_new
    out = model(st)
    st.forces, st.stress, st.energy = out["forces"], out["stress"], out["energy"]
    st.momenta = _kick(st, h=h_new, forces=st.forces, v=v, dt=half)
    st.strain_momentum = st.strain_momentum + half * _strain_force(st, p_ext=p_ext)


def cell_rows(st: AnisoNptState) -> torch.Tensor:
    """The cell of the strains: lattice vector k stretched by e^εₖ (row vectors)."""
    return torch.exp(st.log_strain)[:, :, None] * st.reference_rows


def _phi(x: torch.Tensor) -> torch.Tensor:
    """(1 − e^{−x}) / x, 1 at x = 0 (the exact drift and kick of a linear decay)."""
    safe = torch.where(x == 0, torch.ones_like(x), x)
    return torch.where(x == 0, torch.ones_like(x), -torch.expm1(-safe) / safe)


def _fractional(x: torch.Tensor, h: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Row vectors ``x`` (per atom) in the cell ``h``'s basis: x h⁻¹."""
    return torch.einsum("ij,ijk->ik", x, torch.linalg.inv(h)[idx])


def _drift(
    st: AnisoNptState,
    *,
    h_old: torch.Tensor,
    h_new: torch.Tensor,
    v: torch.Tensor,
    dt: torch.Tensor,
) -> torch.Tensor:
    """Positions after ``dt`` of ṡ = (p/m) h(t)⁻¹ with h(t) = e^{vt} h_old: the
    fractional coordinates move by (p/m) h_old⁻¹ (1 − e^{−vₖ dt})/vₖ per axis."""
    idx = st.system_idx
    frac = _fractional(st.positions, h_old, idx)
    vel = _fractional(st.momenta / st.masses[:, None], h_old, idx)
    frac = frac + vel * (dt * _phi(v * dt))[idx]
    return torch.einsum("ij,ijk->ik", frac, h_new[idx])


def _kick(
    st: AnisoNptState,
    *,
    h: torch.Tensor,
    forces: torch.Tensor,
    v: torch.Tensor,
    dt: torch.Tensor,
) -> torch.Tensor:
    """Momenta after ``dt`` of ṗ = F − p Lᵀ − (Σv/N_f) p, exactly: in the lattice
    components πₖ = p·aₖ the coupling is a decay at rate vₖ + Σv/N_f."""
    idx = st.system_idx
    h_at = h[idx]
    pi = torch.einsum("ij,ikj->ik", st.momenta, h_at)
    f = torch.einsum("ij,ikj->ik", forces, h_at)
    rate = v + (v.sum(-1) / _n_free(st))[:, None]
    x = (rate * dt)[idx]
    pi = pi * torch.exp(-x) + f * dt * _phi(x)
    return torch.linalg.solve(h_at, pi.unsqueeze(-1)).squeeze(-1)


def _n_free(st: AnisoNptState) -> torch.Tensor:
    """N_f = 3N − 3 per system (the total momentum is 0 and stays 0)."""
    return st.thermostat.degrees_of_freedom


def axis_virial_eV(
    *,
    rows: torch.Tensor,
    stress: torch.Tensor,
    masses: torch.Tensor,
    momenta: torch.Tensor,
    system_idx: torch.Tensor,
) -> torch.Tensor:
    """(h Π h⁻¹)ₖₖ per system (n_systems, 3), eV: V times the pressure along each
    lattice vector, Π = Σ pᵀp/m − V σ (``rows``: the cell, row vectors)."""
    n = rows.shape[0]
    outer = momenta[:, :, None] * momenta[:, None, :] / masses[:, None, None]
    kin = torch.zeros((n, 3, 3), dtype=rows.dtype, device=rows.device)
    kin.index_add_(0, system_idx, outer)
    volume = torch.linalg.det(rows).abs()
    pi = kin - volume[:, None, None] * stress
    return torch.diagonal(rows @ pi @ torch.linalg.inv(rows), dim1=-2, dim2=-1)


def _strain_force(st: AnisoNptState, *, p_ext: float) -> torch.Tensor:
    """ṗ_εₖ = (h Π h⁻¹)ₖₖ + 2K/N_f − P_ext V (n_systems, 3)."""
    import torch_sim as ts

    rows = st.row_vector_cell
    virial = axis_virial_eV(
        rows=rows,
        stress=st.stress,
        masses=st.masses,
        momenta=st.momenta,
        system_idx=st.system_idx,
    )
    ke = ts.calc_kinetic_energy(
        masses=st.masses, momenta=st.momenta, system_idx=st.system_idx
    )
    volume = torch.linalg.det(rows).abs()
    return virial + (2 * ke / _n_free(st) - p_ext * volume)[:, None]


def _strain_kinetic_eV(st: AnisoNptState) -> torch.Tensor:
    return (st.strain_momentum**2).sum(-1) / (2 * st.strain_mass)


def _chain_eV(chain: NoseHooverChain, kT: torch.Tensor) -> torch.Tensor:
    """A Nosé–Hoover chain's energy: Σ p_ξ²/2Q + N_dof kT ξ₀ + kT Σ_{j>0} ξⱼ."""
    kinetic = (chain.momenta**2 / (2 * chain.masses)).sum(-1)
    weights = torch.ones_like(chain.positions)
    weights[:, 0] = chain.degrees_of_freedom
    return kinetic + kT * (weights * chain.positions).sum(-1)


def invariant_eV(
    st: AnisoNptState, *, kT: torch.Tensor, external_pressure: float
) -> torch.Tensor:
    """The conserved extended energy per system (eV): E_pot + K + Σ p_ε²/2W +
    P_ext V + both chains' energies (a check of the integrator)."""
    import torch_sim as ts

    kT = torch.as_tensor(kT, device=st.device, dtype=st.dtype).expand(st.n_systems)
    ke = ts.calc_kinetic_energy(
        masses=st.masses, momenta=st.momenta, system_idx=st.system_idx
    )
    volume = torch.linalg.det(st.row_vector_cell).abs()
    return (
        st.energy
        + ke
        + _strain_kinetic_eV(st)
        + external_pressure * volume
        + _chain_eV(st.thermostat, kT)
        + _chain_eV(st.barostat, kT)
    )
