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
:data:`BAROSTAT_TAU_FS` (1 ps). torch-sim's barostat mass W = 3 (N + 1) kT τ²
makes the volume oscillate with period 2π τ sqrt((N + 1) kT / (3 B V)),
independent of the cell's size: ~0.3 ps at 300 K and ~0.5 ps at 800 K for
bulk modulus B = 60 GPa (measured on α-Li3N with CHGNet: ~0.37 and ~0.5 ps,
docs/cells.md), slow against the ions' vibrations (~0.1 ps), and 10–30
periods in the default 10-ps stage, whose second half averages over them.

The production cell is the mean cell of the stage's second half. A system is
ended with its reason when, in the second half, it exceeds the first half's
mean volume by more than :data:`MELT_VOLUME_GROWTH` (a crystal settles to its
volume within the first half, whatever its start; one whose volume still grows
by 15 % is running away: a crystal at its melting point expands ≲ 10 %); or
whose framework moves by the NVT runs' rule (:mod:`ionmd.cells.npt_framework`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ionmd.cells.npt_framework import STAGE_MELT, FrameworkMsd, with_framework_verdict
from ionmd.cells.npt_guard import out_of_bounds, start_volumes
from ionmd.cells.settings import GPA_IN_EV_A3, CellSettings
from ionmd.cells.stress import stress_on
from ionmd.engine.seeding import maxwell_boltzmann_momenta, system_seed
from ionmd.engine.systems import mobile_mask
from ionmd.errors import InputError
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
    #: the framework's MSD (Å²) from the stage's start, at the series' times
    #: (:mod:`ionmd.cells.npt_framework`)
    framework_msd_A2: np.ndarray | None = None


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
    mobile_species: str = "Li",
) -> list[NptResult]:
    """The NPT stage of ``systems`` (``SystemSpec``: atoms, temperature, seed) in
    one batch with ``model`` (its stress switched on for the stage); the atoms
    not of ``mobile_species`` are the framework whose MSD judges melting.

    A system whose cell blows up (:mod:`ionmd.cells.npt_guard`) is ended with
    its reason and the series up to then; the others go on without it
    (:meth:`NptRun.without`), ending as they would have without it in the
    batch (each system's stage is deterministic and its own)."""
    done: dict[int, NptResult] = {}
    idx = list(range(len(systems)))
    run: NptRun | None = NptRun(
        systems,
        model=model,
        settings=settings,
        timestep_fs=timestep_fs,
        thermostat_tau_fs=thermostat_tau_fs,
        mobile_species=mobile_species,
    )
    while run is not None:
        while not run.done:
            run.step()
        results = run.results()
        if not run.blown:
            done.update(zip(idx, results, strict=True))
            break
        for j, reason in run.blown.items():
            done[idx[j]] = dataclasses.replace(results[j], failed=reason)
            log.warning(f"{run.systems[j].key}: {reason}")
        idx = [i for j, i in enumerate(idx) if j not in run.blown]
        run = run.without(set(run.blown))
    return [done[i] for i in range(len(systems))]


class NptRun:
    """The NPT stage of ``systems`` (``SystemSpec``: atoms, temperature, seed),
    step by step: run to its end by :func:`npt_systems`, or one step per step
    of the one MD loop (:mod:`ionmd.cells.npt_phase`), whose checkpoints hold
    :meth:`state_dict`. ``restore``: such a state (no force call: the
    checkpoint holds the forces, energy and stress)."""

    def __init__(
        self,
        systems: Sequence[Any],
        *,
        model: Any,
        settings: CellSettings,
        timestep_fs: float,
        thermostat_tau_fs: float,
        mobile_species: str,
        restore: dict[str, Any] | None = None,
    ) -> None:
        import torch_sim as ts
        from torch_sim.units import MetalUnits

        from ionmd.engine.integrator import time_internal

        self.systems, self.model = list(systems), model
        self.settings, self.timestep_fs = settings, float(timestep_fs)
        #: what a run of some of these systems is built from (:meth:`without`)
        self._args = {
            "model": model,
            "settings": settings,
            "timestep_fs": timestep_fs,
            "thermostat_tau_fs": thermostat_tau_fs,
            "mobile_species": mobile_species,
        }
        #: the step and time of a step whose blow-up left the others' state
        #: whole (the guard after a finished step), its bookkeeping still to do
        self._unfinished: tuple[int, float] | None = None
        state = ts.io.atoms_to_state(
            [s.atoms for s in systems], device=model.device, dtype=model.dtype
        )
        temps = [float(s.temperature_K) for s in systems]
        self.kT = torch.tensor(temps, dtype=model.dtype, device=model.device) * float(
            MetalUnits.temperature
        )
        state.momenta = _momenta(systems, like=state.positions)
        self.dt = time_internal(timestep_fs)
        self.p_ext = settings.pressure_GPa * GPA_IN_EV_A3
        #: the stage's steps, and those run
        self.n_steps = settings.npt_steps(timestep_fs=timestep_fs)
        self.steps_done = 0
        self._every = max(1, round(SERIES_EVERY_FS / timestep_fs))
        self._rows: list[tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._fw_msd: list[np.ndarray] = []
        #: the systems whose cell blew up (index -> reason): the run ends there
        self.blown: dict[int, str] = {}
        init, self._step_fn = _integrator(settings.npt_cell)
        forces = model if restore is None else _zero_forces
        with stress_on(model):
            self.st = _model_call(
                lambda: init(
                    state,
                    forces,
                    kT=self.kT,
                    dt=self.dt,
                    t_tau=time_internal(thermostat_tau_fs),
                    b_tau=time_internal(BAROSTAT_TAU_FS),
                ),
                time_ps=0.0,
            )
        framework = ~mobile_mask(systems, species=mobile_species, device=self.st.device)
        self.v_start = start_volumes(self.st)
        self._framework = FrameworkMsd(self.st, framework=framework)
        if restore is not None:
            self._load(restore)

    @property
    def done(self) -> bool:
        """True once every step ran, or a cell blew up."""
        return bool(self.blown) or self.steps_done >= self.n_steps

    @property
    def n_atoms(self) -> int:
        return int(self.st.positions.shape[0])

    def step(self) -> None:
        """One step of every system (the model's stress on for it), its series
        sampled when due; a blow-up ends the run (:attr:`blown`)."""
        step = self.steps_done + 1
        t_ps = step * self.timestep_fs / 1000.0
        with stress_on(self.model):
            self.st, self.blown, finished = _checked_step(
                self._step_fn,
                self.st,
                self.model,
                dt=self.dt,
                kT=self.kT,
                p_ext=self.p_ext,
                v_start=self.v_start,
                t_ps=t_ps,
            )
        if self.blown:
            self._unfinished = (step, t_ps) if finished else None
            return
        self._after_step(step, t_ps)

    def _after_step(self, step: int, t_ps: float) -> None:
        self.steps_done = step
        if step % self._every == 0 or step == self.n_steps:
            self._rows.append((t_ps, *observe(self.st), axis_pressure(self.st)))
            self._fw_msd.append(self._framework.sample(self.st))

    def without(self, gone: set[int]) -> NptRun | None:
        """The run of the others (None: no other left). After a step the guard
        judged (its blown systems' cells out of bounds, the others' step whole)
        or between steps, the gone systems are taken out of the batch and the
        others go on from where they are (their per-system state sliced: each
        system's stage is its own, so they go on as they would have alone, to
        float tolerance); when the model failed inside the step (the state may
        be half-updated) the others start their stage again from its start."""
        keep = [j for j in range(len(self.systems)) if j not in gone]
        if not keep:
            return None
        if self.blown and self._unfinished is None:
            return NptRun([self.systems[j] for j in keep], **self._args)
        self._select(keep)
        if self._unfinished is not None:
            self._after_step(*self._unfinished)
        self.blown, self._unfinished = {}, None
        return self

    def _select(self, keep: list[int]) -> None:
        """Only the systems ``keep`` (indices), in every per-system record."""
        n = len(self.systems)
        mask = torch.zeros(n, dtype=torch.bool, device=self.kT.device)
        mask[keep] = True
        atoms = mask[self.st.system_idx].cpu().numpy()
        old = self.st
        self.st = old[keep]
        for name in _CHAINS:
            chain = getattr(old, name)
            sliced = {
                f.name: getattr(chain, f.name)[mask]
                for f in dataclasses.fields(chain)
                if isinstance(getattr(chain, f.name), torch.Tensor)
            }
            setattr(self.st, name, dataclasses.replace(chain, **sliced))
        self.kT, self.v_start = self.kT[mask], self.v_start[mask]
        self.systems = [self.systems[j] for j in keep]
        k = np.asarray(keep)
        self._rows = [(t, c[k], v[k], p[k], a[k]) for t, c, v, p, a in self._rows]
        self._fw_msd = [x[k] for x in self._fw_msd]
        self._framework.select(keep=k, atoms=atoms)

    def results(self) -> list[NptResult]:
        """Every system's result (the series up to now)."""
        out = _results(
            self._rows,
            v_start=[float(s.atoms.get_volume()) for s in self.systems],
            start=[np.asarray(s.atoms.cell[:], dtype=np.float64) for s in self.systems],
        )
        n = len(self.systems)
        msd = np.stack(self._fw_msd, axis=1) if self._fw_msd else np.zeros((n, 0))
        return with_framework_verdict(out, msd_A2=msd)

    def state_dict(self) -> dict[str, Any]:
        """What continues the run bit for bit: the integrator's tensors (the
        state's and its two chains'), the series so far and the framework MSD's
        unwrapping (host copies)."""
        return {
            "steps_done": self.steps_done,
            "state": _tensors(self.st),
            "rows": list(self._rows),
            "fw_msd": list(self._fw_msd),
            "framework": self._framework.state_dict(),
        }

    def _load(self, saved: dict[str, Any]) -> None:
        self.steps_done = int(saved["steps_done"])
        _load_tensors(self.st, saved["state"])
        self._rows = list(saved["rows"])
        self._fw_msd = list(saved["fw_msd"])
        self._framework.load_state_dict(saved["framework"])


#: the chain objects of the NPT states whose tensors a checkpoint holds
_CHAINS = ("thermostat", "barostat")


def _tensors(st: Any) -> dict[str, Any]:
    """Every tensor of an NPT state and of its chains, on the host."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(st):
        value = getattr(st, f.name)
        if isinstance(value, torch.Tensor):
            out[f.name] = value.detach().cpu()
        elif f.name in _CHAINS and value is not None:
            out[f.name] = {
                c.name: getattr(value, c.name).detach().cpu()
                for c in dataclasses.fields(value)
                if isinstance(getattr(value, c.name), torch.Tensor)
            }
    return out


def _load_tensors(st: Any, saved: dict[str, Any]) -> None:
    """Overwrite a freshly initialised NPT state with :func:`_tensors`' copies."""
    device = st.positions.device
    for name, value in saved.items():
        if isinstance(value, dict):
            chain = getattr(st, name)
            for c, t in value.items():
                setattr(chain, c, t.to(device))
        else:
            setattr(st, name, value.to(device))


def _zero_forces(state: Any) -> dict[str, torch.Tensor]:
    """Stands in for the model when a run is rebuilt from a checkpoint (the
    checkpoint's energy, forces and stress then replace these)."""
    zeros = state.positions.new_zeros
    return {
        "energy": zeros(state.n_systems),
        "forces": zeros(state.positions.shape),
        "stress": zeros((state.n_systems, 3, 3)),
    }


def _checked_step(
    step_fn: Any,
    st: Any,
    model: Any,
    *,
    dt: Any,
    kT: torch.Tensor,
    p_ext: float,
    v_start: torch.Tensor,
    t_ps: float,
) -> tuple[Any, dict[int, str], bool]:
    """One step, then the systems out of bounds (:mod:`ionmd.cells.npt_guard`),
    and whether the step finished. A model that fails during the step (a
    neighbour list overflowing at an exploded cell) is a blow-up of the systems
    out of bounds (the step not finished), or, when none is, a one-line
    InputError naming the model's error."""
    try:
        st = step_fn(st, model, dt=dt, kT=kT, external_pressure=p_ext)
    except torch.OutOfMemoryError:
        raise
    except Exception as err:
        blown = out_of_bounds(st, v_start=v_start, time_ps=t_ps)
        if not blown:
            raise _model_error(err, time_ps=t_ps) from err
        return st, blown, False
    return st, out_of_bounds(st, v_start=v_start, time_ps=t_ps), True


def _model_call(call: Any, *, time_ps: float) -> Any:
    """``call()``, a model's failure a one-line InputError."""
    try:
        return call()
    except torch.OutOfMemoryError:
        raise
    except Exception as err:
        raise _model_error(err, time_ps=time_ps) from err


def _model_error(err: Exception, *, time_ps: float) -> InputError:
    if isinstance(err, KeyError) and err.args == ("stress",):  # the barostat reads it
        return InputError("the model gives no stress: the NPT stage needs one")
    first = (str(err).strip().splitlines() or [""])[0][:300]
    return InputError(
        f"the model failed during the NPT stage at {time_ps:.3g} ps with no system's "
        f"cell out of bounds: {type(err).__name__}: {first}"
    )


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
    pressure (GPa): N/(N − 1) · 2 KE'/(3V) − tr(σ)/3, KE' the kinetic energy
    without the centre of mass's (σ: torch-sim's stress, eV/Å³; ``stress``:
    when ``st`` holds none, e.g. an NVT state).

    The kinetic term is the one MTK's barostat drives to the target,
    (1 + 3/N_f) 2 KE/(3V) with N_f = 3N − 3 (the stage's centre of mass at
    rest): its mean is N kT/V, the ideal gas's. 2 KE/(3V) alone reads kT/V low
    there (N − 1 moving degrees of freedom per direction); in an ensemble that
    also thermalises the centre of mass (Langevin NVT) both estimators give N kT/V.
    """
    import torch_sim as ts

    cell = st.row_vector_cell.detach().to("cpu", torch.float64).numpy().copy()
    volume = np.abs(np.linalg.det(cell))
    idx, m = st.system_idx, st.masses
    ke = ts.calc_kinetic_energy(masses=m, momenta=st.momenta, system_idx=idx).detach()
    p_com = torch.zeros(len(volume), 3, dtype=ke.dtype, device=ke.device)
    p_com = p_com.index_add(0, idx, st.momenta.detach())
    m_sys = torch.zeros(len(volume), dtype=ke.dtype, device=ke.device).index_add(0, idx, m)
    n = torch.bincount(idx, minlength=len(volume)).to(ke.dtype)
    ke_int = (ke - (p_com**2).sum(-1) / (2.0 * m_sys)) * n / (n - 1.0).clamp(min=1.0)
    ke_int = ke_int.to("cpu", torch.float64).numpy()
    sigma = (st.stress if stress is None else stress).detach()
    tr = torch.diagonal(sigma, dim1=-2, dim2=-1).sum(-1)
    virial = -tr.to("cpu", torch.float64).numpy() / 3.0
    pressure = (2.0 * ke_int / (3.0 * volume) + virial) / GPA_IN_EV_A3
    return cell, volume, pressure


def axis_pressure(st: Any, *, stress: torch.Tensor | None = None) -> np.ndarray:
    """Per system the pressure along each lattice vector (n_systems, 3), GPa:
    (h Π h⁻¹)ₖₖ / V (``ionmd.cells.npt_aniso``; Πₖₖ/V, the pressure tensor's
    diagonal, for an orthogonal cell), with the whole kinetic energy: their mean
    is :func:`observe`'s pressure to within kT/V (the centre of mass it leaves out)."""
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
    start: list[np.ndarray] | None = None,
) -> list[NptResult]:
    """Per system: the series up to its end, the mean cell of its second half
    (``rows``: time, then :func:`observe`'s three and :func:`axis_pressure`;
    none: a stage ended before its first sample, the cells ``start``)."""
    if not rows:
        return [_empty(np.asarray(c, dtype=np.float64)) for c in start or ()]
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
                f"{STAGE_MELT}: volume +"
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


def _empty(cell_A: np.ndarray) -> NptResult:
    """A stage ended before its first sample: no series, the start's cell."""
    return NptResult(
        cell_A=cell_A,
        time_ps=np.zeros(0),
        volume_A3=np.zeros(0),
        pressure_GPa=np.zeros(0),
        lengths_A=np.zeros((0, 3)),
        axis_pressure_GPa=np.zeros((0, 3)),
    )
