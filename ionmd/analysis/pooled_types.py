"""The typed results of pooling (:mod:`ionmd.analysis.pooling`): what goes in (one
member's numbers at one temperature, :class:`MemberRow`) and what comes out (per
temperature :class:`PooledTemperature` of :class:`PooledValue`, per material
:class:`PooledMaterial` with its Arrhenius fit). Numbers only: results.json's
``pooled_replicas`` / ``pooled_orderings`` are laid out from them by
:mod:`ionmd.report.results_json` and read back into them by
:mod:`ionmd.analysis.results_file`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MemberRow", "PooledMaterial", "PooledTemperature", "PooledValue"]


@dataclass(frozen=True, kw_only=True)
class MemberRow:
    """One member (a replica or an ordering) of a pool at one temperature: what
    pooling reads of it. Not finite ``D_cm2_s``: the member is left out there; a
    not finite interval counts as no own error."""

    temperature_K: float
    D_cm2_s: float | None
    D_ci95_cm2_s: tuple[float, float] | None
    sigma_mS_cm: float | None
    sigma_ci95_mS_cm: tuple[float, float] | None
    #: at the study's 20 Å² Li MSD (for a pooled member: in every one of its own)
    reliable: bool
    used_in_fit: bool
    n_mobile: float
    volume_A3: float


@dataclass(frozen=True, kw_only=True)
class PooledValue:
    """The members' mean, its random-effects 95 % interval (lower end floored at
    0), the sample standard deviation between members and each member's value
    (:func:`ionmd.analysis.pooling.pooled_value`)."""

    value: float
    ci95: tuple[float, float]
    spread: float
    members: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class PooledTemperature:
    """One temperature of a pool: which members had a finite D there, their
    pooled D (cm²/s) and, when every one of them has a σ, pooled σ (mS/cm)."""

    temperature_K: float
    #: the members with a finite D here, in the pool's order
    members: tuple[str, ...]
    D_cm2_s: PooledValue
    sigma_mS_cm: PooledValue | None
    #: reliable in every member
    reliable_all: bool
    #: in the fit of every member
    used_in_fit: bool
    #: the members' mean Li count and volume (σ at the extrapolation temperature)
    n_mobile: float
    volume_A3: float


@dataclass(frozen=True, kw_only=True)
class PooledMaterial:
    """A material pooled over its replicas or orderings (``word``): its members,
    the pooled temperatures and the weighted Arrhenius fit of the pooled D with D
    and σ at ``extrapolation_K`` with the measured σ and the log10 error. When
    fewer than two temperatures could be fitted: no fitted temperatures and every
    field after them None (results.json then holds no extrapolation)."""

    #: "replica" or "ordering"
    word: str
    members: tuple[str, ...]
    temperatures: tuple[PooledTemperature, ...]
    #: the temperatures in the fit (empty: no fit)
    arrhenius_temperatures_K: tuple[float, ...] = ()
    Ea_eV: float | None = None
    Ea_ci95_eV: tuple[float, float] | None = None
    extrapolation_K: float | None = None
    D_300K_cm2_s: float | None = None
    D_300K_ci95_cm2_s: tuple[float, float] | None = None
    sigma_300K_mS_cm: float | None = None
    sigma_300K_ci95_mS_cm: tuple[float, float] | None = None
    sigma_exp_mS_cm: float | None = None
    log10_error: float | None = None

    @property
    def fitted(self) -> bool:
        """Whether the pooled D had an Arrhenius fit (and so a σ(300 K))."""
        return bool(self.arrhenius_temperatures_K)
