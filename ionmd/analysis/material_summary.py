"""One material's analysed numbers over its temperatures (made by
:func:`ionmd.analysis.summarise.summarise_material`; results.json's
``materials.<id>`` is written from it by :mod:`ionmd.report.results_json`); its
own module so that the modules that read it (requested, the figures) need not
import the code that makes it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ionmd.analysis.arrhenius import ArrheniusFit
from ionmd.analysis.diffusion import DiffusionResult
from ionmd.analysis.fit_temperatures import fit_use


@dataclass(kw_only=True)
class MaterialSummary:
    """One material over its temperatures (sorted by T)."""

    material_id: str
    formula: str
    temperatures: list[DiffusionResult]
    arrhenius: ArrheniusFit | None
    extrapolate_K: float
    D_extrap_cm2_s: float
    D_extrap_ci95_cm2_s: tuple[float, float]
    sigma_extrap_mS_cm: float
    sigma_extrap_ci95_mS_cm: tuple[float, float]
    sigma_exp_mS_cm: float | None
    log10_error: float
    notes: list[str] = field(default_factory=list)
    #: the temperatures the run was asked for (None: not stated, = the analysed ones)
    temperatures_requested_K: list[float] | None = None
    #: per temperature (as ``temperatures``): in the Arrhenius fit, and why
    fit_use: list[tuple[bool, str]] = field(default_factory=list)
    #: whose rule chose the fitted temperatures: "study" or "adaptive"
    fit_protocol: str = "study"
    #: whether the extrapolation is a prediction, else why not
    prediction: bool = True
    prediction_reason: str = ""

    def fit_use_per_temperature(self) -> list[tuple[bool, str]]:
        """Each temperature's (used in the fit, why); the study's rule for a
        summary built without one."""
        return self.fit_use or fit_use(self.temperatures)

    @property
    def used_in_fit_K(self) -> list[float]:
        """The temperatures in the Arrhenius fit."""
        return [
            float(r.temperature_K)
            for r, (used, _) in zip(
                self.temperatures, self.fit_use_per_temperature(), strict=True
            )
            if used
        ]

    @property
    def cell_source(self) -> str | None:
        """How the simulated cells were obtained: the temperatures' one source,
        "mixed" when they differ, None when no reader said."""
        sources = {r.cell_source for r in self.temperatures} - {None}
        if not sources:
            return None
        return sources.pop() if len(sources) == 1 else "mixed"

    @property
    def volume_change_pct(self) -> float | None:
        """The simulated cell's volume against the experimental one, %, when every
        temperature has the same (a relaxed cell); None when they differ (then
        per temperature) or are not known."""
        changes = [r.volume_change_pct for r in self.temperatures]
        if not changes or any(c is None for c in changes):
            return None
        return changes[0] if max(changes) - min(changes) <= 1e-9 else None

    @property
    def n_reliable(self) -> int:
        return sum(r.reliable for r in self.temperatures)

    @property
    def temperatures_analysed_K(self) -> list[float]:
        return [float(r.temperature_K) for r in self.temperatures]

    @property
    def temperatures_missing_K(self) -> list[float]:
        """Requested temperatures without an analysed result (failed, too short,
        never run)."""
        have = self.temperatures_analysed_K
        return [
            t
            for t in self.temperatures_requested_K or []
            if not any(abs(t - a) < 1e-6 for a in have)
        ]

    @property
    def all_reliable(self) -> bool:
        """The study's subset: every *requested* temperature analysed and reliable
        (a failed or missing temperature, or one whose frames were too far apart
        to unwrap, disqualifies the material)."""
        return (
            bool(self.temperatures)
            and self.n_reliable == len(self.temperatures)
            and not self.temperatures_missing_K
            and not any(r.unwrap_unreliable for r in self.temperatures)
        )


__all__ = ["MaterialSummary"]
