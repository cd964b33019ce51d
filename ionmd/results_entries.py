"""The entries of :class:`ionmd.Results`: one material (``results["gvd"]``) and
one of its temperatures, typed read-only views of results.json's
``materials.<id>`` and its ``temperatures`` (units in the names; nan where
results.json has None). Named *Entry*: what they are written from is the
analysis's :class:`ionmd.analysis.diffusion.DiffusionResult` and
:class:`ionmd.analysis.material_summary.MaterialSummary`; ``ionmd.results`` keeps
the public API's old names (``TemperatureResult``, ``MaterialResult``) as aliases
of these entries, the only meaning those names have."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ionmd.analysis.verdict import Verdict

NAN = float("nan")


def _f(x: Any) -> float:
    return NAN if x is None else float(x)


def _pair(x: Any) -> tuple[float, float]:
    if not x:
        return (NAN, NAN)
    return (_f(x[0]), _f(x[1]))


@dataclass(frozen=True, kw_only=True)
class TemperatureEntry:
    """One (material, temperature) system."""

    temperature_K: float
    D_cm2_s: float
    D_ci95_cm2_s: tuple[float, float]
    sigma_mS_cm: float
    sigma_ci95_mS_cm: tuple[float, float]
    msd_max_A2: float
    reliable: bool
    used_in_fit: bool
    notes: tuple[str, ...] = ()
    #: the framework (non-Li) tracer MSD's maximum, and whether it melted (≥ 5 Å²
    #: and still growing: :func:`ionmd.analysis.reliability.is_framework_mobile`)
    framework_msd_max_A2: float = NAN
    framework_mobile: bool = False
    #: the Haven ratio D_tracer / D_σ with its 95 % interval (nan: not computed)
    haven_ratio: float = NAN
    haven_ratio_ci95: tuple[float, float] = (NAN, NAN)
    #: the collective (charge) diffusivity with its 95 % interval
    D_sigma_cm2_s: float = NAN
    D_sigma_ci95_cm2_s: tuple[float, float] = (NAN, NAN)
    duration_ps: float = NAN
    partial: bool = False
    #: the simulated cell: "experimental", "relaxed" or "npt" (this
    #: temperature's own NPT cell), and its volume against the experimental, %
    cell_source: str = "experimental"
    volume_change_pct: float = 0.0

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TemperatureEntry:
        return cls(
            temperature_K=_f(d.get("temperature_K")),
            D_cm2_s=_f(d.get("D_cm2_s")),
            D_ci95_cm2_s=_pair(d.get("D_ci95_cm2_s")),
            sigma_mS_cm=_f(d.get("sigma_mS_cm")),
            sigma_ci95_mS_cm=_pair(d.get("sigma_ci95_mS_cm")),
            msd_max_A2=_f(d.get("msd_max_A2")),
            reliable=bool(d.get("reliable", False)),
            used_in_fit=bool(d.get("used_in_fit", False)),
            notes=tuple(str(n) for n in d.get("notes") or ()),
            framework_msd_max_A2=_f(d.get("framework_msd_max_A2")),
            framework_mobile=bool(d.get("framework_mobile", False)),
            haven_ratio=_f(d.get("haven_ratio")),
            haven_ratio_ci95=_pair(d.get("haven_ratio_ci95")),
            D_sigma_cm2_s=_f(d.get("D_sigma_cm2_s")),
            D_sigma_ci95_cm2_s=_pair(d.get("D_sigma_ci95_cm2_s")),
            duration_ps=_f(d.get("duration_ps")),
            partial=bool(d.get("partial", False)),
            # results.json from before the cells: the experimental cell
            cell_source=str(d.get("cell_source") or "experimental"),
            volume_change_pct=_f(d.get("volume_change_pct", 0.0)),
        )


@dataclass(frozen=True, kw_only=True)
class MaterialEntry:
    """One material: its temperatures, the Arrhenius fit and σ at 300 K."""

    material_id: str
    formula: str
    temperatures: tuple[TemperatureEntry, ...]
    Ea_eV: float
    Ea_sigma_eV: float
    #: the activation energy's 95 % interval (the one every report shows)
    Ea_ci95_eV: tuple[float, float]
    D0_cm2_s: float
    D_300K_cm2_s: float
    D_300K_ci95_cm2_s: tuple[float, float]
    sigma_300K_mS_cm: float
    sigma_300K_ci95_mS_cm: tuple[float, float]
    sigma_exp_mS_cm: float
    log10_error: float
    n_reliable: int
    all_reliable: bool
    status: str
    #: is σ(300 K) a prediction, and why not (:mod:`ionmd.analysis.verdict`)
    verdict: Verdict
    notes: tuple[str, ...] = ()
    #: this material's figures that exist (Li MSD, Arrhenius)
    msd_figure: Path | None = None
    arrhenius_figure: Path | None = None

    @property
    def prediction(self) -> bool:
        """σ(300 K) is a prediction (``verdict.status == "prediction"``)."""
        return self.verdict.prediction

    def at(self, temperature_K: float) -> TemperatureEntry:
        """The result at one temperature (KeyError naming the ones there are)."""
        for t in self.temperatures:
            if abs(t.temperature_K - temperature_K) < 1e-6:
                return t
        have = ", ".join(f"{t.temperature_K:g}" for t in self.temperatures)
        raise KeyError(
            f"{self.material_id}: no result at {temperature_K:g} K (have {have})"
        )

    @property
    def D_cm2_s(self) -> dict[float, float]:
        """D per temperature (K → cm²/s)."""
        return {t.temperature_K: t.D_cm2_s for t in self.temperatures}

    @classmethod
    def from_json(
        cls,
        material_id: str,
        d: Mapping[str, Any],
        *,
        status: str | None = None,
        verdict: Verdict | None = None,
        out_dir: Path | None = None,
    ) -> MaterialEntry:
        """``status``: the material's ``requested_materials`` status in results.json
        (fitted, no_fit, not_simulated); derived the same way when absent.
        ``verdict``: its verdict (default: computed from ``d``); ``out_dir``: where
        its figures are looked for."""
        from ionmd.analysis.results_file import verdict_basis_of_dict
        from ionmd.analysis.verdict import material_verdict
        from ionmd.analysis.verdict_basis import RequestedState

        temps = tuple(TemperatureEntry.from_json(t) for t in d.get("temperatures") or ())
        if status is None:
            fitted = math.isfinite(_f(d.get("sigma_300K_mS_cm")))
            status = "fitted" if fitted else "no_fit"
        return cls(
            material_id=material_id,
            formula=str(d.get("formula") or ""),
            temperatures=temps,
            Ea_eV=_f(d.get("Ea_eV")),
            Ea_sigma_eV=_f(d.get("Ea_sigma_eV")),
            Ea_ci95_eV=_pair(d.get("Ea_ci95_eV")),
            D0_cm2_s=_f(d.get("D0_cm2_s")),
            D_300K_cm2_s=_f(d.get("D_300K_cm2_s")),
            D_300K_ci95_cm2_s=_pair(d.get("D_300K_ci95_cm2_s")),
            sigma_300K_mS_cm=_f(d.get("sigma_300K_mS_cm")),
            sigma_300K_ci95_mS_cm=_pair(d.get("sigma_300K_ci95_mS_cm")),
            sigma_exp_mS_cm=_f(d.get("sigma_exp_mS_cm")),
            log10_error=_f(d.get("log10_error")),
            n_reliable=int(d.get("n_reliable") or 0),
            all_reliable=bool(d.get("all_reliable", False)),
            status=str(status),
            verdict=verdict
            or material_verdict(
                material_id, verdict_basis_of_dict(d), RequestedState(status=status)
            ),
            notes=tuple(str(n) for n in d.get("notes") or ()),
            msd_figure=_figure(out_dir, material_id, 0),
            arrhenius_figure=_figure(out_dir, material_id, 1),
        )


def _figure(out_dir: Path | None, material_id: str, which: int) -> Path | None:
    """A material's figure in ``out_dir`` (0: Li MSD, 1: Arrhenius) when it exists."""
    if out_dir is None:
        return None
    from ionmd.report.figures import figure_names

    path = out_dir / figure_names([material_id])[which]
    return path if path.is_file() else None


__all__ = ["NAN", "MaterialEntry", "TemperatureEntry"]
