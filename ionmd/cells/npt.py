"""The NPT stage: every (material, temperature) system at its temperature and
``pressure_GPa`` together in one batch, then its mean cell for the NVT production.

``npt_cell = "isotropic"``: torch-sim's Nosé–Hoover MTK isotropic integrator
(Tuckerman et al. 2006): one log-volume strain per system, its own chain
thermostat and barostat; ``"anisotropic"``: the same scheme with one
log-strain per lattice vector, the angles kept (:mod:`ionmd.cells.npt_aniso`,
written here). Both are deterministic given the start, so the only random
numbers are the initial momenta, drawn per system from its own seed
(:mod:`ionmd.engine.seeding`): a system's stage is the same alone or in any
batch, and a stage killed part-way is re-run to the same result. (torch-sim's
Langevin and C-rescale NPT draw their noise once for the whole batch, the trap
docs/cells.md describes; they are not used.) Relaxation times: the
thermostat's is the campaign's ``thermostat_tau_fs``; the barostat's
:data:`BAROSTAT_TAU_FS` (1 ps: a volume oscillation of a few ps in a solid of
bulk modulus 20–100 GPa, slow enough not to disturb the ions, fast enough for 5
of them in the default 10 ps).

The production cell is the mean cell of the stage's second half. A system
whose volume grows by more than :data:`MELT_VOLUME_GROWTH` over its start is
ended with its reason when, in the second half, it exceeds the first half's
mean volume by more than :data:`MELT_VOLUME_GROWTH` (a crystal settles to its
volume within the first half, whatever its start; one whose volume still grows
by 15 % is running away: a crystal at its melting point expands ≲ 10 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ionmd.cells.settings import GPA_IN_EV_A3, CellSettings
from ionmd.cells.stress import stress_on
from ionmd.engine.seeding import maxwell_boltzmann_momenta, system_seed
from ionmd.log import get_logger

log = get_logger(__name__)

#: the barostat's relaxation time (fs)
BAROSTAT_TAU_FS = 1000.0
#: V/V̄ − 1 (V̄: the mean volume of the stage's first half) above which a volume
#: in the second half ends the system as melting (the volume running away)
MELT_VOLUME_GROWTH = 0.15
#: the volume and pressure are recorded every this many fs
SERIES_EVERY_FS = 10.0


@dataclass(frozen=True, kw_only=True)
class NptResult:
    """One system after its NPT stage."""

    #: the mean cell of the second half (row vectors, Å)
    cell_A: np.ndarray
    #: the series, every ``SERIES_EVERY_FS``: time (ps), volume (Å³), pressure (GPa)
    time_ps: np.ndarray
    volume_A3: np.ndarray
    pressure_GPa: np.ndarray
    #: the same times: the three lattice vectors' lengths (samples, 3; Å) and the
    #: pressure along each (samples, 3; GPa, :func:`axis_pressure`)
    lengths_A: np.ndarray
    axis_pressure_GPa: np.ndarray
    #: why the system was ended (melting), or None
    failed: str | None = None


def npt_seed(*, run_seed: int, material_id: str, temperature_K: float) -> int:
    """The stage's own momentum seed (not the production's)."""
    return system_seed(
        run_seed=run_seed, material_id=f"{material_id}|npt", temperature_K=temperature_K
    )


def npt_systems(
    systems: Sequence[Any],
    *,
    model: Any,
    settings: CellSettings,
    timestep_fs: float,
    thermostat_tau_fs: float,
) -> list[NptResult]:
    """The NPT stage of ``systems`` (``SystemSpec``: atoms, temperature, seed) in
    one batch with ``model`` (its stress switched on for the stage)."""
    import torch_sim as ts
    from torch_sim.units import MetalUnits

    from ionmd.engine.integrator import time_internal

    state = ts.io.atoms_to_state(
        [s.atoms for s in systems], device=model.device, dtype=model.dtype
    )
    temps = [float(s.temperature_K) for s in systems]
    kT = torch.tensor(temps, dtype=model.dtype, device=model.device) * float(
        MetalUnits.temperature
    )
    state.momenta = _momenta(systems, like=state.positions)
    dt = time_internal(timestep_fs)
    p_ext = settings.pressure_GPa * GPA_IN_EV_A3
    n_steps = max(2, round(settings.npt_ps * 1000.0 / timestep_fs))
    every = max(1, round(SERIES_EVERY_FS / timestep_fs))
    rows: list[tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    init, step_fn = _integrator(settings.npt_cell)
    with stress_on(model):
        st = init(
            state,
            model,
            kT=kT,
            dt=dt,
            t_tau=time_internal(thermostat_tau_fs),
            b_tau=time_internal(BAROSTAT_TAU_FS),
        )
        for step in range(1, n_steps + 1):
            st = step_fn(st, model, dt=dt, kT=kT, external_pressure=p_ext)
            if step % every == 0 or step == n_steps:
                rows.append((step * timestep_fs / 1000.0, *observe(st), axis_pressure(st)))
    log.info(f"NPT stage: {len(systems)} systems, {n_steps} steps ({settings.npt_cell})")
    return _results(rows, v_start=[float(s.atoms.get_volume()) for s in systems])


def _integrator(npt_cell: str) -> tuple[Any, Any]:
    """(init, step) of ``npt_cell``'s integrator, both with torch-sim's isotropic
    Nosé–Hoover MTK signature."""
    if npt_cell == "anisotropic":
        from ionmd.cells.npt_aniso import aniso_init, aniso_step

        return aniso_init, aniso_step
    from torch_sim.integrators import npt

    return npt.npt_nose_hoover_isotropic_init, npt.npt_nose_hoover_isotropic_step


def _momenta(systems: Sequence[Any], *, like: torch.Tensor) -> torch.Tensor:
    """Every system's momenta from its own stage seed (float64 on the CPU)."""
    parts = []
    for s in systems:
        seed = npt_seed(
            run_seed=s.run_seed, material_id=s.material_id, temperature_K=s.temperature_K
        )
        parts.append(
            maxwell_boltzmann_momenta(
                masses_amu=s.atoms.get_masses(), temperature_K=s.temperature_K, seed=seed
            )
        )
    return torch.as_tensor(np.concatenate(parts), dtype=like.dtype, device=like.device)


def observe(
    st: Any, *, stress: torch.Tensor | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per system: cell (row vectors, Å), volume (Å³) and the instantaneous
    pressure (GPa): 2 KE / (3V) − tr(σ)/3 (σ: torch-sim's stress, eV/Å³;
    ``stress``: when ``st`` holds none, e.g. an NVT state)."""
    import torch_sim as ts

    cell = st.row_vector_cell.detach().to("cpu", torch.float64).numpy().copy()
    volume = np.abs(np.linalg.det(cell))
    ke = ts.calc_kinetic_energy(
        masses=st.masses, momenta=st.momenta, system_idx=st.system_idx
    )
    ke = ke.detach().to("cpu", torch.float64).numpy()
    sigma = (st.stress if stress is None else stress).detach()
    tr = torch.diagonal(sigma, dim1=-2, dim2=-1).sum(-1)
    virial = -tr.to("cpu", torch.float64).numpy() / 3.0
    pressure = (2.0 * ke / (3.0 * volume) + virial) / GPA_IN_EV_A3
    return cell, volume, pressure


def axis_pressure(st: Any, *, stress: torch.Tensor | None = None) -> np.ndarray:
    """Per system the pressure along each lattice vector (n_systems, 3), GPa:
    (h Π h⁻¹)ₖₖ / V (``ionmd.cells.npt_aniso``; Πₖₖ/V, the pressure tensor's
    diagonal, for an orthogonal cell). Their mean is :func:`observe`'s pressure."""
    from ionmd.cells.npt_aniso import axis_virial_eV

    rows = st.row_vector_cell.detach()
    virial = axis_virial_eV(
        rows=rows,
        stress=(st.stress if stress is None else stress).detach(),
        masses=st.masses,
        momenta=st.momenta.detach(),
        system_idx=st.system_idx,
    )
    volume = torch.linalg.det(rows).abs()
    out = virial / volume[:, None] / GPA_IN_EV_A3
    return out.to("cpu", torch.float64).numpy()


def _results(
    rows: list[tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    *,
    v_start: list[float],
) -> list[NptResult]:
    """Per system: the series up to its end, the mean cell of its second half
    (``rows``: time, then :func:`observe`'s three and :func:`axis_pressure`)."""
    t = np.array([r[0] for r in rows])
    cells = np.stack([r[1] for r in rows])  # (samples, n, 3, 3)
    vols = np.stack([r[2] for r in rows])
    press = np.stack([r[3] for r in rows])
    axes = np.stack([r[4] for r in rows])  # (samples, n, 3)
    out = []
    for i in range(len(v_start)):
        n = len(t)
        v_ref = float(np.mean(vols[: max(1, n // 2), i]))
        grown = np.nonzero(~(vols[n // 2 :, i] <= v_ref * (1.0 + MELT_VOLUME_GROWTH)))[0]
        failed = None
        end = n
        if grown.size:
            end = n // 2 + int(grown[0]) + 1
            failed = (
                f"melting during the NPT stage: volume +"
                f"{100 * (vols[end - 1, i] / v_ref - 1):.0f} % over the first half's "
                f"mean at {t[end - 1]:.3g} ps (> {100 * MELT_VOLUME_GROWTH:.0f} %)"
            )
        half = cells[end // 2 : end, i]
        out.append(
            NptResult(
                cell_A=half.mean(axis=0),
                time_ps=t[:end],
                volume_A3=vols[:end, i],
                pressure_GPa=press[:end, i],
                lengths_A=np.linalg.norm(cells[:end, i], axis=-1),
                axis_pressure_GPa=axes[:end, i],
                failed=failed,
            )
        )
    return out
