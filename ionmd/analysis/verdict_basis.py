"""What a material's verdict (:func:`ionmd.analysis.verdict.material_verdict`) is
decided on, typed: the analysed numbers (:class:`VerdictBasis`, from the
analysis's :class:`ionmd.analysis.material_summary.MaterialSummary`), the
requested material's status (:class:`RequestedState`) and the adaptive
protocol's decision (:class:`AdaptiveDecision`). A results.json written before
verdicts were kept is read into the same types by
:mod:`ionmd.analysis.results_file`, so the verdict logic never reads the page
format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ionmd.analysis.material_summary import MaterialSummary

__all__ = [
    "AdaptiveDecision",
    "RequestedState",
    "TemperatureState",
    "VerdictBasis",
    "basis_of_summary",
]


@dataclass(frozen=True, kw_only=True)
class TemperatureState:
    """One analysed temperature, as far as a verdict asks."""

    temperature_K: float
    #: at the study's 20 Å² Li MSD
    reliable: bool
    #: the framework moved (melting?)
    framework_mobile: bool
    #: frames too far apart to unwrap, and the reader's reason (None: not said)
    unwrap_unreliable: bool
    unwrap_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class VerdictBasis:
    """One analysed material's numbers that decide its verdict."""

    formula: str
    temperatures: tuple[TemperatureState, ...]
    #: the requested temperatures (the analysed ones when none were stated)
    temperatures_requested_K: tuple[float, ...]
    temperatures_missing_K: tuple[float, ...]
    #: the study's subset: every requested temperature analysed and reliable
    all_reliable: bool
    sigma_300K_mS_cm: float | None
    sigma_300K_ci95_mS_cm: tuple[float | None, float | None] | None
    sigma_exp_mS_cm: float | None
    #: whether the Arrhenius extrapolation is a prediction (None: not recorded)
    arrhenius_prediction: bool | None = None
    arrhenius_prediction_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestedState:
    """A requested material's status (``fitted``, ``no_fit``, ``not_simulated``)
    and why, with what is known of it without an analysis."""

    status: str | None = None
    reason: str | None = None
    formula: str | None = None
    sigma_exp_mS_cm: float | None = None


@dataclass(frozen=True, kw_only=True)
class AdaptiveDecision:
    """The adaptive protocol's decision on a material: its status (``resolved``
    or why not), the reason, and the width of its σ(300 K) interval in decades."""

    status: str | None = None
    reason: str | None = None
    sigma300_log10_ci: float | None = None


def basis_of_summary(m: MaterialSummary) -> VerdictBasis:
    """The verdict's basis of an analysed material."""
    analysed = tuple(m.temperatures_analysed_K)
    requested = m.temperatures_requested_K
    return VerdictBasis(
        formula=m.formula,
        temperatures=tuple(
            TemperatureState(
                temperature_K=r.temperature_K,
                reliable=bool(r.reliable),
                framework_mobile=bool(r.framework_mobile),
                unwrap_unreliable=bool(r.unwrap_unreliable),
                unwrap_reason=r.unwrap_unreliable or None,
            )
            for r in m.temperatures
        ),
        temperatures_requested_K=tuple(requested if requested is not None else ())
        or analysed,
        temperatures_missing_K=tuple(m.temperatures_missing_K),
        all_reliable=bool(m.all_reliable),
        sigma_300K_mS_cm=m.sigma_extrap_mS_cm,
        sigma_300K_ci95_mS_cm=tuple(m.sigma_extrap_ci95_mS_cm),
        sigma_exp_mS_cm=m.sigma_exp_mS_cm,
        arrhenius_prediction=bool(m.prediction),
        arrhenius_prediction_reason=m.prediction_reason or None,
    )
